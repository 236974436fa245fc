import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { BrandDirectory } from '../../api/brands.js';
import { LiveHub } from '../../api/live-hub.js';
import { Metrics } from '../../api/plugins/metrics.js';
import { MemoryBus } from '../../stream/index.js';
import { metricValue } from '../helpers/app.js';
import { websocketServer } from '../helpers/ws-server.js';

/**
 * The heartbeat: a client that answers no ping and sends nothing is gone without closing, and its
 * connection is ended; one that answers (as browsers do on their own), or that talks, is kept.
 * Counted in heartbeats the clients saw, not in wall time.
 */

// Long enough that a busy machine does not delay an answer past the next heartbeat.
const HEARTBEAT_MS = 500;
const DEAD_METRIC = 'pulsewatch_ws_dead_clients_closed_total';

async function server(t: Test, heartbeatMs = HEARTBEAT_MS) {
  const hub = new LiveHub({ bus: new MemoryBus(), brands: new BrandDirectory([{ name: 'Acme' }]) });
  const metrics = new Metrics({ defaultMetrics: false });
  const { url } = await websocketServer(t, {
    hub,
    metrics,
    flushIntervalMs: 10,
    maxBufferedBytes: 1024 * 1024,
    heartbeatMs,
  });
  return { url, dead: () => metricValue({ metrics }, DEAD_METRIC) };
}

/** A connected client that counts the server's pings; `autoPong` false makes it one that vanished. */
async function client(t: Test, url: string, autoPong: boolean) {
  const ws = new WebSocket(url, { autoPong });
  t.teardown(() => ws.terminate());
  let pings = 0;
  const pinged: (() => void)[] = [];
  ws.on('ping', () => {
    pings++;
    for (const f of pinged.splice(0)) f();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const untilPings = async (n: number) => {
    while (pings < n) await new Promise<void>((r) => pinged.push(r));
  };
  return { ws, closed, untilPings, pings: () => pings };
}

t.test('a client that answers no ping is ended; one that answers stays', async (t) => {
  const s = await server(t);
  const gone = await client(t, s.url, false);
  const alive = await client(t, s.url, true);
  // The silent one gets one ping, then is ended at the next heartbeat: 1006, no close frame.
  t.equal(await gone.closed, 1006, 'ended without a close handshake');
  t.equal(gone.pings(), 1, 'after one unanswered ping');
  t.equal(await s.dead(), 1, `${DEAD_METRIC} counts it`);
  // The answering one outlives several more heartbeats, and still gets replies.
  await alive.untilPings(5);
  t.equal(alive.ws.readyState, WebSocket.OPEN);
  const reply = new Promise<string>((r) => alive.ws.once('message', (d) => r(String(d))));
  alive.ws.send(JSON.stringify({ op: 'ping' }));
  t.same(JSON.parse(await reply), { type: 'pong' });
  t.equal(await s.dead(), 1, 'no other client ended');
});

t.test('a client that sends messages is alive, even if it answers no ping', async (t) => {
  const s = await server(t);
  const talker = await client(t, s.url, false);
  talker.ws.on('ping', () => talker.ws.send(JSON.stringify({ op: 'ping' })));
  await talker.untilPings(5);
  t.equal(talker.ws.readyState, WebSocket.OPEN);
  t.equal(await s.dead(), 0);
});

t.test('heartbeatMs 0: no pings, nobody ended', async (t) => {
  const { url } = await server(t, 0);
  const silent = await client(t, url, false);
  // Several flush intervals pass with messages to and fro; no ping arrives.
  for (let i = 0; i < 5; i++) {
    const reply = new Promise((r) => silent.ws.once('message', r));
    silent.ws.send(JSON.stringify({ op: 'ping' }));
    await reply;
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS));
  }
  t.equal(silent.pings(), 0);
  t.equal(silent.ws.readyState, WebSocket.OPEN);
});
