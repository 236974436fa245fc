import type { FastifyPluginAsync } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { ErrorCodes, type ErrorCode, type WindowAggregate } from '../../stream/index.js';
import { AlertHub } from '../alert-hub.js';
import type { AnalyticsHub } from '../analytics-hub.js';
import { CampaignHub } from '../campaign-hub.js';
import type { PollingHub } from '../polling-hub.js';
import type { LiveHub } from '../live-hub.js';
import type { Metrics } from './metrics.js';

export interface WebSocketOptions {
  hub: LiveHub;
  /** Channels `alerts` and `alerts:<brand id>`; none without it. */
  alerts?: AlertHub;
  /** Channels `campaigns` and `campaign:<id>`; none without it. */
  campaigns?: CampaignHub;
  /** Channels `analytics:<brand id>` and `segments`; none without it. */
  analytics?: AnalyticsHub;
  metrics: Metrics;
  /** Least time between two updates of one channel to one client. */
  flushIntervalMs: number;
  /**
   * A client with more than this many bytes unsent is skipped until it catches up, and its own
   * messages are not read meanwhile (so its requests cannot queue replies it does not read): checked
   * at each flush and after each of its messages.
   */
  maxBufferedBytes: number;
  /**
   * A client whose unsent bytes stay above `maxBufferedBytes` for longer than this is closed with
   * code 1013 (try again later): it reconnects and gets a fresh snapshot. Default 10 s.
   */
  maxStalledMs?: number;
  /**
   * Every this many ms the server pings each client (a WebSocket ping frame, which browsers answer
   * on their own); a client that has sent neither a pong nor a message since the previous ping is
   * gone without closing (a dropped network, a sleeping laptop) and its connection is ended.
   * 0: no heartbeat. Default 30 s.
   */
  heartbeatMs?: number;
  /** Most channels one client may subscribe to. */
  maxChannels?: number;
}

/** Close code for a client cut off for not reading: 1013 "try again later" (RFC 6455 registry). */
export const SLOW_CLIENT_CLOSE_CODE = 1013;
export const SLOW_CLIENT_METRIC = 'pulsewatch_ws_slow_clients_closed_total';

type ClientMessage = { op: 'subscribe' | 'unsubscribe'; channels: string[] } | { op: 'ping' };

/** One connection, as the shared flush sees it. */
interface Client {
  socket: WebSocket;
  channels: Set<string>;
  /** Over the byte limit at this flush (then skipped); checked once per flush. */
  over: boolean;
  /** Heard from (a pong or a message) since the last heartbeat ping. */
  alive: boolean;
  /**
   * Window values a client did not get when its channel was flushed (it was over the limit), per
   * channel: merged with newer ones, and sent once it is under the limit again.
   */
  missed: Map<string, Map<string, WindowAggregate>>;
  /**
   * Checks the byte limit: pauses reading while over it, closes a client over it for too long; under
   * it, answers the messages that waited and reads again. Whether it is over.
   */
  checkBuffer(): boolean;
  /** Sends the campaign and analytics values it missed while over the limit (the newest of each). */
  sendMissedPolls(): void;
  send(type: string, body: Record<string, unknown>): void;
  /** Sends a message already encoded (the same bytes for every client of a channel). */
  sendEncoded(type: string, data: Buffer): void;
}

const windowKey = (v: WindowAggregate) => `${v.brand}\u0000${v.window}\u0000${v.start}`;
/** Unknown channel names one error lists, and the characters shown of each: the reply stays small. */
const UNKNOWN_LISTED = 10;
const NAME_SHOWN = 100;
const encode = (type: string, body: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ type, ...body }));

/**
 * `/v1/stream`: clients subscribe to channels and get conflated window updates: per channel at
 * most one message per flush interval, carrying the newest value of each window that changed.
 * One flush serves every client: a channel's update is encoded once and the same bytes go to each
 * of its subscribers, so the cost of a flush grows with the clients only by the sends.
 * A slow client never builds an unbounded buffer: over `maxBufferedBytes` it gets fewer, newer
 * updates and its own messages wait; if it stays over for `maxStalledMs` it is closed. What the
 * server holds for one client is then at most the limit, one flush or the replies to one of its
 * messages, and the alerts of that time (besides the kernel's socket buffers, which a client that
 * does not read fills first).
 */
export const websocketPlugin: FastifyPluginAsync<WebSocketOptions> = async (app, o) => {
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  const maxChannels = o.maxChannels ?? 100;
  const maxStalledMs = o.maxStalledMs ?? 10_000;
  const clients = new Set<Client>();
  /** Per window channel: its subscribers, and the values changed since the last flush. */
  const feeds = new Map<string, { subscribers: Set<Client>; pending: Map<string, WindowAggregate> }>();
  const offHub = o.hub.onUpdate((channel, value) => feeds.get(channel)?.pending.set(windowKey(value), value));

  const flush = () => {
    let buffered = 0;
    for (const c of clients) {
      c.over = c.socket.readyState === c.socket.OPEN && c.checkBuffer();
      buffered += c.socket.bufferedAmount;
    }
    o.metrics.wsBuffered.set(buffered);
    for (const [channel, feed] of feeds) {
      if (feed.pending.size === 0) continue;
      let shared: Buffer | undefined;
      for (const c of feed.subscribers) {
        if (c.socket.readyState !== c.socket.OPEN) continue;
        const missed = c.missed.get(channel);
        if (c.over || missed) {
          const m = missed ?? new Map<string, WindowAggregate>();
          for (const [k, v] of feed.pending) m.set(k, v);
          c.missed.set(channel, m);
          continue;
        }
        shared ??= encode('update', { channel, windows: [...feed.pending.values()] });
        c.sendEncoded('update', shared);
      }
      feed.pending.clear();
    }
    for (const c of clients) {
      if (c.socket.readyState !== c.socket.OPEN) continue;
      if (c.over) {
        if (c.missed.size > 0) o.metrics.wsSkipped.inc();
        continue;
      }
      for (const [channel, values] of c.missed) c.send('update', { channel, windows: [...values.values()] });
      c.missed.clear();
      c.sendMissedPolls();
    }
  };
  const timer = setInterval(flush, o.flushIntervalMs);

  // A polling hub pushes one value object per channel and poll to all of the channel's watchers:
  // it is encoded once, for the first of them, and the same bytes go to the rest.
  const pushes = new WeakMap<object, { channel: string; data: Buffer }>();
  const encodedPush = (type: string, channel: string, value: object): Buffer => {
    const hit = pushes.get(value);
    if (hit?.channel === channel) return hit.data;
    const data = encode(type, { channel, ...value });
    pushes.set(value, { channel, data });
    return data;
  };

  // A client whose reading is paused (over the byte limit) cannot be heard from: the stall limit
  // deals with it, so the heartbeat leaves it alone.
  const heartbeat = () => {
    for (const c of clients) {
      if (c.socket.readyState !== c.socket.OPEN || c.socket.isPaused) continue;
      if (!c.alive) {
        o.metrics.wsDeadClosed.inc();
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  };
  const heartbeatMs = o.heartbeatMs ?? 30_000;
  const heartbeatTimer = heartbeatMs > 0 ? setInterval(heartbeat, heartbeatMs) : undefined;

  // Alerts are few and each matters: sent at once, never conflated; encoded once per channel.
  const offAlerts = o.alerts?.onAlert((alert) => {
    const encoded = new Map<string, Buffer>();
    for (const c of clients) {
      if (c.socket.readyState !== c.socket.OPEN) continue;
      for (const channel of c.channels) {
        if (!AlertHub.matches(channel, alert)) continue;
        let data = encoded.get(channel);
        if (!data) encoded.set(channel, (data = encode('alert', { channel, alert })));
        c.sendEncoded('alert', data);
      }
    }
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    clearInterval(heartbeatTimer);
    offHub();
    offAlerts?.();
  });

  const route = {
    websocket: true,
    config: { scope: 'read', keyInQuery: true },
    schema: { hide: true },
  } as const;
  app.get('/v1/stream', route, (socket: WebSocket) => {
    const channels = new Set<string>();
    o.metrics.wsClients.inc();

    const send = (type: string, body: Record<string, unknown>) => sendEncoded(type, encode(type, body));
    const sendEncoded = (type: string, data: Buffer) => {
      socket.send(data, { binary: false });
      o.metrics.wsMessages.inc({ type });
    };
    const fail = (code: ErrorCode, message: string, details: Record<string, unknown> = {}) => {
      o.metrics.wsErrors.inc({ code });
      send('error', { code, message, retryable: ErrorCodes[code].retryable, ...details });
    };

    /** Since when the client's unsent bytes are over the limit; undefined while under. */
    let overSince: number | undefined;
    const overLimit = () => socket.bufferedAmount > o.maxBufferedBytes;
    /**
     * Messages that arrived while reading was paused: ws hands over every message of one read at
     * once, so the rest of the read during which the client went over the limit waits here, to be
     * answered in order once it is under again. Pausing stops further reads: this holds one read.
     */
    const waiting: { raw: Buffer; isBinary: boolean }[] = [];
    const answerWaiting = () => {
      while (waiting.length > 0 && !overLimit()) {
        const m = waiting.shift()!;
        handle(m.raw, m.isBinary);
      }
      if (waiting.length === 0 && !overLimit()) socket.resume();
    };
    const checkBuffer = (): boolean => {
      if (socket.isPaused && !overLimit()) answerWaiting();
      if (!overLimit()) {
        overSince = undefined;
        return false;
      }
      overSince ??= Date.now();
      if (!socket.isPaused) socket.pause();
      if (Date.now() - overSince > maxStalledMs) {
        o.metrics.wsSlowClosed.inc();
        // Read again, so that the client's answer to the close frame completes the handshake; ws
        // destroys the socket if none comes (its closeTimeout), and nothing more is queued meanwhile.
        socket.resume();
        socket.close(SLOW_CLIENT_CLOSE_CODE, 'too slow: reconnect and take a new snapshot');
      }
      return true;
    };

    const subscribeWindows = (channel: string) => {
      let feed = feeds.get(channel);
      if (!feed) feeds.set(channel, (feed = { subscribers: new Set(), pending: new Map() }));
      feed.subscribers.add(client);
    };
    const unsubscribeWindows = (channel: string) => {
      const feed = feeds.get(channel);
      feed?.subscribers.delete(client);
      if (feed?.subscribers.size === 0) feeds.delete(channel);
      client.missed.delete(channel);
    };

    // Campaign statistics and analytics come conflated from their hubs: one store read per interval
    // per channel, whatever the number of clients. The hub pushes a value once, when it changes, so
    // a client over the limit keeps the newest value it was not sent, and gets it once under it.
    const polled = <P extends object>(hub: PollingHub<P> | undefined, type: string) => {
      /** Per watched channel: how to stop watching, and whether a poll pushed a value yet. */
      const watches = new Map<string, { off: () => void; polled: boolean }>();
      /** Per channel, the newest value not sent because the client was over the limit. */
      const missed = new Map<string, P>();
      const deliver = (channel: string, value: P) => {
        if (socket.readyState !== socket.OPEN || !watches.has(channel)) return;
        if (overLimit()) {
          missed.set(channel, value);
          o.metrics.wsSkipped.inc();
          return;
        }
        missed.delete(channel);
        sendEncoded(type, encodedPush(type, channel, value));
      };
      return {
        watch(channel: string) {
          if (!hub || watches.has(channel)) return;
          const watch = { off: () => {}, polled: false };
          watch.off = hub.watch(channel, (_, value) => {
            watch.polled = true;
            deliver(channel, value);
          });
          watches.set(channel, watch);
          hub.current(channel).then(
            (value) => {
              // A poll's push came first: the hub compares its next reads with that value, so this
              // one (which may be older) must not replace it on the client.
              if (watches.get(channel) === watch && !watch.polled) deliver(channel, value);
            },
            () => fail('INTERNAL', `could not read ${channel}; updates follow`),
          );
        },
        unwatch(channel: string) {
          watches.get(channel)?.off();
          watches.delete(channel);
          missed.delete(channel);
        },
        sendMissed() {
          for (const [channel, value] of missed) deliver(channel, value);
        },
        close() {
          for (const c of [...watches.keys()]) this.unwatch(c);
        },
      };
    };
    const campaigns = polled(o.campaigns, 'campaign');
    const analytics = polled(o.analytics, 'analytics');

    const client: Client = {
      socket,
      channels,
      over: false,
      alive: true,
      missed: new Map(),
      checkBuffer,
      sendMissedPolls() {
        campaigns.sendMissed();
        analytics.sendMissed();
      },
      send,
      sendEncoded,
    };
    clients.add(client);

    const known = (c: string) =>
      o.hub.isChannel(c) ||
      (o.alerts !== undefined && o.alerts.isChannel(c)) ||
      (o.campaigns !== undefined && CampaignHub.isChannel(c)) ||
      (o.analytics !== undefined && o.analytics.isChannel(c));
    /** One error for all the unknown channels of a message, listing the first few. */
    const failUnknown = (names: string[]) => {
      const listed = names
        .slice(0, UNKNOWN_LISTED)
        .map((n) => (n.length > NAME_SHOWN ? `${n.slice(0, NAME_SHOWN)}…` : n));
      const more = names.length - listed.length;
      fail(
        'UNKNOWN_CHANNEL',
        `unknown channel${names.length > 1 ? 's' : ''} ${listed.map((n) => JSON.stringify(n)).join(', ')}${more > 0 ? ` and ${more} more` : ''}; use "brands", "brand:<id>" from GET /v1/brands, "alerts", "alerts:<brand id>", "campaigns", "campaign:<id>", "analytics:<brand id>" or "segments"`,
        { channels: listed, more },
      );
    };

    const subscribe = (names: string[]) => {
      const unknown = [...new Set(names.filter((c) => !known(c)))];
      if (unknown.length > 0) failUnknown(unknown);
      const added = [...new Set(names.filter(known))];
      const fresh = added.filter((c) => !channels.has(c));
      if (channels.size + fresh.length > maxChannels)
        return fail('INVALID_MESSAGE', `at most ${maxChannels} channels per connection`);
      if (added.length === 0) return;
      for (const c of added) channels.add(c);
      send('subscribed', { channels: added });
      for (const c of added)
        if (o.campaigns && CampaignHub.isChannel(c)) campaigns.watch(c);
        else if (o.analytics?.isChannel(c)) analytics.watch(c);
        else if (o.alerts?.isChannel(c)) send('snapshot', { channel: c, alerts: o.alerts.snapshot(c) });
        else {
          subscribeWindows(c);
          send('snapshot', { channel: c, windows: o.hub.snapshot(c) });
        }
    };

    const handle = (raw: Buffer, isBinary: boolean): void => {
      if (socket.readyState !== socket.OPEN) return;
      let msg: ClientMessage;
      try {
        if (isBinary) throw new Error('binary');
        msg = JSON.parse(raw.toString('utf8')) as ClientMessage;
        if (typeof msg !== 'object' || msg === null || typeof msg.op !== 'string') throw new Error('no op');
      } catch {
        return fail('INVALID_MESSAGE', 'send JSON text like {"op":"subscribe","channels":["brands"]}');
      }
      if (msg.op === 'ping') return send('pong', {});
      if (msg.op !== 'subscribe' && msg.op !== 'unsubscribe')
        return fail(
          'UNKNOWN_OP',
          `unknown op "${String((msg as { op: unknown }).op)}"; use subscribe, unsubscribe or ping`,
        );
      if (!Array.isArray(msg.channels) || !msg.channels.every((c) => typeof c === 'string'))
        return fail('INVALID_MESSAGE', '"channels" must be an array of strings');
      if (msg.op === 'subscribe') return subscribe(msg.channels);
      for (const c of msg.channels) {
        channels.delete(c);
        unsubscribeWindows(c);
        campaigns.unwatch(c);
        analytics.unwatch(c);
      }
      send('unsubscribed', { channels: msg.channels });
    };

    // Each message's replies count against the limit at once, not only at the next flush: a client
    // that sends requests without reading the replies is paused as soon as it is over.
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      client.alive = true;
      if (socket.isPaused) return void waiting.push({ raw, isBinary });
      handle(raw, isBinary);
      checkBuffer();
    });

    socket.on('close', () => {
      clients.delete(client);
      for (const c of channels) unsubscribeWindows(c);
      campaigns.close();
      analytics.close();
      o.metrics.wsClients.dec();
    });
  });
};
