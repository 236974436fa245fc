import t, { type Test } from 'tap';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { BrandDirectory } from '../../api/brands.js';
import { CampaignHub } from '../../api/campaign-hub.js';
import { LiveHub } from '../../api/live-hub.js';
import { Metrics } from '../../api/plugins/metrics.js';
import { SLOW_CLIENT_CLOSE_CODE, SLOW_CLIENT_METRIC } from '../../api/plugins/websocket.js';
import { CampaignService, MemoryBus, MemoryCampaignStore, type WindowRow } from '../../stream/index.js';
import { metricValue } from '../helpers/app.js';
import { eventually } from '../helpers/async.js';
import { websocketServer } from '../helpers/ws-server.js';

// Many brands make each `brands` update large, so that a client which stops reading fills the
// kernel's socket buffers quickly and the server's own buffer is what the test watches.
const BRANDS = new BrandDirectory(Array.from({ length: 300 }, (_, i) => ({ name: `Brand ${i}` })));
const MAX_BUFFERED = 256 * 1024;
const MIN = 60_000;
const T0 = Math.floor(Date.now() / MIN) * MIN;

function rows(version: number, posts = version): WindowRow[] {
  return BRANDS.list.flatMap((b) =>
    [0, 1, 2].map((k) => ({
      brand: b.name,
      window: '1m',
      start: T0 - k * MIN,
      end: T0 - k * MIN + MIN,
      partition: 0,
      version,
      final: false,
      posts,
      positive: posts,
      neutral: 0,
      negative: 0,
      unsupported: 0,
      sentiment_sum: posts / 2,
      likes: version,
      shares: 0,
      replies: 0,
      authors: 1,
    })),
  );
}

/** A campaign hub whose next read the test can hold back, to make it end after a poll's. */
class GatedCampaignHub extends CampaignHub {
  private gate: Promise<void> | undefined;

  /** Holds the next read's value until the returned function is called. */
  holdNextRead(): () => void {
    let release = () => {};
    this.gate = new Promise((r) => (release = r));
    return release;
  }

  override async snapshot(channel: string) {
    const gate = this.gate;
    this.gate = undefined;
    const value = await super.snapshot(channel);
    await gate;
    return value;
  }
}

/**
 * A real server with the WebSocket plugin over a live hub fed by the test, and campaign channels
 * over an in-memory campaign service (its hub reads the store every 10 ms).
 */
async function server(t: Test, maxStalledMs: number) {
  const hub = new LiveHub({ bus: new MemoryBus(), brands: BRANDS });
  const metrics = new Metrics({ defaultMetrics: false });
  const service = new CampaignService({ store: new MemoryCampaignStore(), defaultsEveryMs: 0 });
  const campaigns = new GatedCampaignHub(service, 10);
  t.teardown(() => campaigns.stop());
  const { app, url } = await websocketServer(t, {
    hub,
    campaigns,
    metrics,
    flushIntervalMs: 10,
    maxBufferedBytes: MAX_BUFFERED,
    maxStalledMs,
  });
  hub.apply(rows(1));
  const value = (name: string) => metricValue({ metrics }, name);
  // The server's end of each connection: what it has not yet handed to the kernel is what it holds.
  const sockets: Socket[] = [];
  app.server.on('connection', (socket: Socket) => sockets.push(socket));
  const buffered = () => Math.max(0, ...sockets.map((c) => c.writableLength));
  return { hub, service, campaigns, value, buffered, url };
}

/**
 * A client subscribed to `brands` and `extra` channels (their first messages read); a stalled one
 * then stops reading its socket.
 */
async function subscribedClient(t: Test, url: string, stalled = true, extra: string[] = []) {
  const ws = new WebSocket(url);
  t.teardown(() => ws.terminate());
  const messages: string[] = [];
  ws.on('message', (d) => messages.push(String(d)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const channels = ['brands', ...extra];
  ws.send(JSON.stringify({ op: 'subscribe', channels }));
  const first = (channel: string) => messages.some((m) => m.includes(`"channel":"${channel}"`));
  while (!channels.every(first)) await once(ws, 'message');
  if (stalled) ws.pause();
  return { ws, messages };
}

const once = (ws: WebSocket, event: string) => new Promise((r) => ws.once(event, r));

/** The size of a message carrying every window of the `brands` channel (an update or a snapshot). */
const brandsMessageBytes = (hub: LiveHub, type: 'update' | 'snapshot') =>
  JSON.stringify({ type, channel: 'brands', windows: hub.snapshot('brands') }).length;

/** Applies new versions of every window, 5 ms apart, until `done` says so. */
async function produceUntil(hub: LiveHub, done: () => Promise<boolean>, onStep: () => void): Promise<number> {
  let v = 2;
  for (; !(await done()); v++) {
    hub.apply(rows(v));
    onStep();
    await new Promise((r) => setTimeout(r, 5));
  }
  return v;
}

t.test(
  'a client that stops reading is closed with 1013, and its buffer stays bounded meanwhile',
  async (t) => {
    const s = await server(t, 300);
    const c = await subscribedClient(t, s.url);
    const updateBytes = brandsMessageBytes(s.hub, 'update');
    let most = 0;
    await produceUntil(
      s.hub,
      async () => (await s.value(SLOW_CLIENT_METRIC)) > 0,
      () => (most = Math.max(most, s.buffered())),
    );
    t.ok(most > MAX_BUFFERED, `the server's buffer for the client passed the limit (${most} bytes)`);
    // A flush is sent only while under the limit, so at most one update goes over it (2x for the
    // larger numbers of later versions).
    t.ok(
      most <= MAX_BUFFERED + 2 * updateBytes,
      `the server's buffer stayed at most the limit and one update: ${most} <= ${MAX_BUFFERED} + 2 x ${updateBytes}`,
    );
    t.ok((await s.value('pulsewatch_ws_flushes_skipped_total')) > 0, 'flushes were skipped first');
    const closed = new Promise<[number, string]>((r) =>
      c.ws.once('close', (code, why) => r([code, String(why)])),
    );
    c.ws.resume();
    const [code, reason] = await closed;
    t.equal(code, SLOW_CLIENT_CLOSE_CODE, 'once it reads again, the client finds the close frame: 1013');
    t.match(reason, /too slow/);
    t.equal(await s.value(SLOW_CLIENT_METRIC), 1, 'counted once');
    while ((await s.value('pulsewatch_ws_clients')) !== 0) await new Promise((r) => setTimeout(r, 10));
    t.pass('the server let the connection go');
  },
);

t.test(
  'a client that stops reading for a while catches up with the newest values and gets answers to what it sent meanwhile; others on its channel are not held up',
  async (t) => {
    const s = await server(t, 3_600_000);
    const reader = await subscribedClient(t, s.url, false);
    const c = await subscribedClient(t, s.url);
    await produceUntil(
      s.hub,
      async () => (await s.value('pulsewatch_ws_flushes_skipped_total')) > 0,
      () => undefined,
    );
    // The newest value, applied while the client is skipped, and a request sent while it does not read.
    reader.messages.length = 0;
    s.hub.apply(rows(1_000_000, 424_242));
    while (!reader.messages.some((m) => m.includes('"posts":424242'))) await once(reader.ws, 'message');
    t.pass('a client that reads got the newest value while the other was skipped');
    c.ws.send(JSON.stringify({ op: 'ping' }));
    c.ws.resume();
    const has = (what: string) => c.messages.some((m) => m.includes(what));
    while (!(has('"posts":424242') && has('"type":"pong"'))) await once(c.ws, 'message');
    t.pass('the newest value and the pong arrived');
    t.equal(c.ws.readyState, WebSocket.OPEN, 'still connected');
    t.equal(await s.value(SLOW_CLIENT_METRIC), 0, 'nobody closed');
  },
);

t.test(
  'a client that sends requests without reading the replies is paused at once: the server holds at most the limit and one reply, and answers every request once the client reads',
  async (t) => {
    const s = await server(t, 3_600_000);
    const c = await subscribedClient(t, s.url);
    const snapshotBytes = brandsMessageBytes(s.hub, 'snapshot');
    // Each request's reply is a full snapshot of every brand; all of them would be ~60 MB.
    const REQUESTS = 300;
    for (let i = 0; i < REQUESTS; i++) c.ws.send(JSON.stringify({ op: 'subscribe', channels: ['brands'] }));
    c.ws.send(JSON.stringify({ op: 'ping' }));
    let most = 0;
    const sample = () => (most = Math.max(most, s.buffered()));
    // While the client does not read, the server's buffer only grows: sampled once it is over.
    while (sample() <= MAX_BUFFERED) await new Promise((r) => setTimeout(r, 5));
    c.ws.on('message', sample);
    c.ws.resume();
    const snapshots = () => c.messages.filter((m) => m.startsWith('{"type":"snapshot"')).length;
    while (!c.messages.some((m) => m === '{"type":"pong"}')) await once(c.ws, 'message');
    t.equal(snapshots(), REQUESTS + 1, 'every request was answered, in order, before the pong');
    t.ok(
      most <= MAX_BUFFERED + 2 * snapshotBytes,
      `the server's buffer stayed at most the limit and one reply: ${most} <= ${MAX_BUFFERED} + 2 x ${snapshotBytes}`,
    );
    t.equal(await s.value(SLOW_CLIENT_METRIC), 0, 'nobody closed');
  },
);

t.test(
  'a campaign change pushed while a client was over the limit reaches it once it reads again',
  async (t) => {
    const s = await server(t, 3_600_000);
    await s.service.create({ id: 'c-slow', arms: ['a', 'b'] });
    const channel = 'campaign:c-slow';
    const reader = await subscribedClient(t, s.url, false, [channel]);
    const c = await subscribedClient(t, s.url, true, [channel]);
    await produceUntil(
      s.hub,
      async () => (await s.value('pulsewatch_ws_flushes_skipped_total')) > 0,
      () => undefined,
    );
    for (let i = 0; i < 3; i++) await s.service.decide('c-slow');
    const pulled = (m: string) => m.startsWith('{"type":"campaign"') && m.includes('"pulls":3,');
    while (!reader.messages.some(pulled)) await once(reader.ws, 'message');
    t.pass('the hub pushed the change (3 pulls) while the other client was over the limit');
    c.ws.resume();
    // Nothing else changes from here on: without the missed value the client would wait forever.
    await eventually(async () => c.messages.some(pulled) || undefined, 10_000, 'the 3 pulls');
    t.pass('the client that was over the limit got the change it missed');
    t.equal(c.ws.readyState, WebSocket.OPEN, 'still connected');
  },
);

t.test(
  "a client's first read of a campaign that ends after a newer poll's push does not replace it",
  async (t) => {
    const s = await server(t, 3_600_000);
    await s.service.create({ id: 'c-race', arms: ['a', 'b'] });
    const c = await subscribedClient(t, s.url, false);
    const release = s.campaigns.holdNextRead();
    c.ws.send(JSON.stringify({ op: 'subscribe', channels: ['campaign:c-race'] }));
    while (!c.messages.some((m) => m.includes('"channels":["campaign:c-race"]'))) await once(c.ws, 'message');
    // The held read has 0 pulls; a poll then reads the 3 and pushes them.
    for (let i = 0; i < 3; i++) await s.service.decide('c-race');
    const campaign = () => c.messages.filter((m) => m.startsWith('{"type":"campaign"'));
    while (!campaign().some((m) => m.includes('"pulls":3,'))) await once(c.ws, 'message');
    release();
    c.ws.send(JSON.stringify({ op: 'ping' }));
    while (!c.messages.includes('{"type":"pong"}')) await once(c.ws, 'message');
    t.match(campaign().at(-1), /"pulls":3,/, 'the newest value is the last the client got');
  },
);
