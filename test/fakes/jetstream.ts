import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A local Jetstream (github.com/bluesky-social/jetstream): WebSocket `/subscribe` with
 * `wantedCollections` (exact NSIDs or `prefix.*`), `wantedDids` and `cursor` (a time_us to replay
 * from, inclusive; absent: live tail). Commit events are filtered by collection, identity and
 * account events reach every subscriber; both are filtered by DID. Messages are JSON text frames.
 * Every emitted event gets a fresh, strictly increasing `time_us`, as Jetstream stamps them.
 */
export interface FakeJetstream {
  /** `ws://127.0.0.1:<port>/subscribe` */
  readonly url: string;
  /** The query of every subscribe request, in order. */
  readonly subscriptions: URLSearchParams[];
  /** Stamps `time_us`, keeps the event for replay, and sends it to the matching subscribers. Returns the time_us. */
  emit(event: JetstreamEvent): number;
  /** Moves the stamping clock on: the next event's `time_us` is at least this many µs after the last one's. */
  advanceClock(us: number): void;
  /** Sends raw text to every subscriber that is not stalled (malformed frames). */
  sendRaw(text: string): void;
  /** Closes every connection abruptly. */
  dropClients(): void;
  /** The connections open now get no more messages and no pongs, and stay open. */
  stallClients(): void;
  clients(): number;
  close(): Promise<void>;
}

export type JetstreamEvent = Record<string, unknown> & {
  did: string;
  kind: string;
  time_us?: number;
  commit?: JetstreamCommit;
};

export interface JetstreamCommit {
  rev?: string;
  operation: string;
  collection: string;
  rkey: string;
  record?: Record<string, unknown>;
  cid?: string;
}

const FIXTURES: JetstreamEvent[] = JSON.parse(
  readFileSync(new URL('../fixtures/bluesky/events.json', import.meta.url), 'utf8'),
) as JetstreamEvent[];

/** The Jetstream fixtures, written from the Jetstream README's message format (a fresh copy each call). */
export function jetstreamFixtures(): JetstreamEvent[] {
  return structuredClone(FIXTURES);
}

let serial = 0;
/** A new post create mentioning Northwind Coffee, created now, by one of a few accounts. */
export function makePost(over: { did?: string; text?: string } = {}): JetstreamEvent {
  serial++;
  const did = over.did ?? `did:plc:fakeauthor${String(serial % 5).padStart(16, '0')}`;
  return {
    did,
    kind: 'commit',
    commit: {
      rev: `3lpw${serial.toString(36).padStart(9, '0')}`,
      operation: 'create',
      collection: 'app.bsky.feed.post',
      rkey: `3lpwp${process.pid.toString(36)}${serial.toString(36).padStart(7, '0')}`,
      record: {
        $type: 'app.bsky.feed.post',
        createdAt: new Date().toISOString(),
        langs: ['en'],
        text: over.text ?? `Flat white number ${serial} from Northwind Coffee, very good`,
      },
      cid: `bafyreifake${serial}`,
    },
  };
}

interface Client {
  ws: WebSocket;
  collections: string[];
  dids: Set<string>;
  stalled: boolean;
  /** Replay done: live events may be sent. */
  live: boolean;
}

export async function startFakeJetstream(): Promise<FakeJetstream> {
  const log: JetstreamEvent[] = [];
  const clients = new Set<Client>();
  const subscriptions: URLSearchParams[] = [];
  let lastTimeUs = 0;

  const server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, autoPong: false });

  const wants = (c: Client, e: JetstreamEvent) => {
    if (c.dids.size > 0 && !c.dids.has(e.did)) return false;
    if (e.kind !== 'commit') return true;
    const collection = e.commit?.collection ?? '';
    if (c.collections.length === 0) return true;
    return c.collections.some((w) =>
      w.endsWith('.*') ? collection.startsWith(w.slice(0, -1)) : w === collection,
    );
  };

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (status: number, message: string) => {
      const reason = status === 404 ? 'Not Found' : 'Bad Request';
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${message}`,
      );
    };
    if (url.pathname !== '/subscribe') return refuse(404, 'not found');
    const cursor = url.searchParams.get('cursor');
    if (cursor !== null && !/^\d+$/.test(cursor)) return refuse(400, 'invalid cursor');
    const collections = url.searchParams.getAll('wantedCollections');
    if (collections.some((c) => !/^[a-zA-Z0-9.-]+(\.\*)?$/.test(c))) return refuse(400, 'invalid collection');
    subscriptions.push(url.searchParams);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = {
        ws,
        collections,
        dids: new Set(url.searchParams.getAll('wantedDids')),
        stalled: false,
        live: false,
      };
      clients.add(c);
      ws.on('close', () => clients.delete(c));
      ws.on('error', () => clients.delete(c));
      ws.on('ping', (data) => {
        if (!c.stalled) ws.pong(data);
      });
      if (cursor !== null)
        for (const e of log) if (e.time_us! >= Number(cursor) && wants(c, e)) ws.send(JSON.stringify(e));
      c.live = true;
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `ws://127.0.0.1:${port}/subscribe`,
    subscriptions,
    emit(event) {
      lastTimeUs = Math.max(lastTimeUs + 1, Date.now() * 1000);
      const e = { ...event, time_us: lastTimeUs };
      log.push(e);
      const text = JSON.stringify(e);
      for (const c of clients) if (c.live && !c.stalled && wants(c, e)) c.ws.send(text);
      return lastTimeUs;
    },
    advanceClock(us) {
      lastTimeUs = Math.max(lastTimeUs, Date.now() * 1000) + us - 1;
    },
    sendRaw(text) {
      for (const c of clients) if (!c.stalled) c.ws.send(text);
    },
    dropClients() {
      for (const c of clients) c.ws.terminate();
      clients.clear();
    },
    stallClients() {
      for (const c of clients) c.stalled = true;
    },
    clients: () => clients.size,
    async close() {
      for (const c of clients) c.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
