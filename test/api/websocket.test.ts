import t from 'tap';
import WebSocket from 'ws';
import { ndjson, post, startTestApp } from '../helpers/app.js';

const running = await startTestApp();
t.teardown(() => running.stop());
const wsUrl = running.url.replace(/^http/, 'ws') + '/v1/stream';

type Msg = {
  type: string;
  channel?: string;
  code?: string;
  message?: string;
  retryable?: boolean;
  more?: number;
  channels?: string[];
  windows?: { brand: string; window: string; posts: number }[];
};

/** A real ws client that records every message. */
async function client(): Promise<{
  ws: WebSocket;
  messages: Msg[];
  next: (pred: (m: Msg) => boolean, timeoutMs?: number) => Promise<Msg>;
}> {
  const ws = new WebSocket(wsUrl);
  const messages: Msg[] = [];
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Msg;
    messages.push(m);
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const next = (pred: (m: Msg) => boolean, timeoutMs = 10_000) =>
    new Promise<Msg>((resolve, reject) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error('no matching message')), timeoutMs);
      waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  return { ws, messages, next };
}

t.test('a subscriber receives the window update caused by an event it POSTed', async (t) => {
  const c = await client();
  t.teardown(() => c.ws.close());
  c.ws.send(JSON.stringify({ op: 'subscribe', channels: ['brand:cafe-aurora'] }));
  const sub = await c.next((m) => m.type === 'subscribed');
  t.same(sub.channels, ['brand:cafe-aurora']);
  await c.next((m) => m.type === 'snapshot');
  const res = await fetch(`${running.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: ndjson([post({ text: 'Café Aurora has the best croissants 😍' })]),
  });
  t.equal(res.status, 202);
  const update = await c.next((m) => m.type === 'update' && m.channel === 'brand:cafe-aurora');
  const minute = update.windows!.find((w) => w.window === '1m');
  t.match(minute, { brand: 'Cafe Aurora', posts: 1 });
});

t.test(
  'updates are conflated: a burst of events arrives as few messages with the newest totals',
  async (t) => {
    const c = await client();
    t.teardown(() => c.ws.close());
    c.ws.send(JSON.stringify({ op: 'subscribe', channels: ['brand:bluebird-roasters'] }));
    await c.next((m) => m.type === 'snapshot');
    const burst = Array.from({ length: 200 }, () => post({ text: 'Bluebird Roasters again' }));
    await fetch(`${running.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson(burst),
    });
    const last = await c.next(
      (m) => m.type === 'update' && (m.windows ?? []).some((w) => w.window === '1m' && w.posts === 200),
    );
    t.ok(last, 'the newest value arrives');
    const updates = c.messages.filter((m) => m.type === 'update');
    t.ok(updates.length < 200, `200 events, ${updates.length} update messages`);
  },
);

t.test('bad client messages get error codes and the connection keeps working', async (t) => {
  const c = await client();
  t.teardown(() => c.ws.close());
  c.ws.send('not json');
  t.equal((await c.next((m) => m.type === 'error')).code, 'INVALID_MESSAGE');
  c.messages.length = 0;
  c.ws.send(JSON.stringify({ op: 'dance' }));
  t.equal((await c.next((m) => m.type === 'error')).code, 'UNKNOWN_OP');
  c.messages.length = 0;
  c.ws.send(JSON.stringify({ op: 'subscribe', channels: ['brand:nope', 'weather'] }));
  t.match(await c.next((m) => m.type === 'error'), {
    code: 'UNKNOWN_CHANNEL',
    message: /^unknown channels "brand:nope", "weather"; use "brands"/,
    retryable: false,
    channels: ['brand:nope', 'weather'],
    more: 0,
  });
  c.messages.length = 0;
  c.ws.send(JSON.stringify({ op: 'subscribe', channels: 'brands' }));
  t.equal((await c.next((m) => m.type === 'error')).code, 'INVALID_MESSAGE');
  c.ws.send(JSON.stringify({ op: 'ping' }));
  t.ok(await c.next((m) => m.type === 'pong'), 'still answering');
  c.ws.send(JSON.stringify({ op: 'subscribe', channels: ['brands'] }));
  t.same((await c.next((m) => m.type === 'subscribed')).channels, ['brands']);
  const metrics = await (await fetch(`${running.url}/metrics`)).text();
  t.match(metrics, /pulsewatch_ws_errors_total\{code="UNKNOWN_CHANNEL"\} [1-9]/);
  t.match(metrics, /pulsewatch_ws_clients [1-9]/);
});

t.test('one message naming thousands of unknown channels gets one error listing the first ten', async (t) => {
  const c = await client();
  t.teardown(() => c.ws.close());
  const names = Array.from({ length: 5000 }, (_, i) => `nope-${i}`);
  c.ws.send(JSON.stringify({ op: 'subscribe', channels: [...names, 'brands', 'x'.repeat(300)] }));
  c.ws.send(JSON.stringify({ op: 'ping' }));
  await c.next((m) => m.type === 'pong');
  const errors = c.messages.filter((m) => m.type === 'error');
  t.equal(errors.length, 1, 'one error for the message');
  t.match(errors[0], {
    code: 'UNKNOWN_CHANNEL',
    retryable: false,
    channels: names.slice(0, 10),
    more: 4991,
    message: /^unknown channels "nope-0", .*"nope-9" and 4991 more; use /,
  });
  t.same(
    c.messages.find((m) => m.type === 'subscribed')?.channels,
    ['brands'],
    'the known channel is subscribed all the same',
  );
  c.messages.length = 0;
  c.ws.send(JSON.stringify({ op: 'subscribe', channels: ['y'.repeat(5000)] }));
  const long = await c.next((m) => m.type === 'error');
  t.same(long.channels, [`${'y'.repeat(100)}…`], 'a long name is cut');
  t.ok(long.message!.length < 500, `so the error stays small (${long.message!.length} characters)`);
});
