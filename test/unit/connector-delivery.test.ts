import t from 'tap';
import { BatchDelivery, type BatchDeliveryOptions } from '../../ingest/connectors/delivery.js';
import { eventTime } from '../../ingest/connectors/connector.js';
import { SinkRefusedError } from '../../ingest/http-sink.js';
import { emptyResult, type EventSink, type SinkResult } from '../../ingest/sink.js';
import type { SocialEventInput } from '../../stream/index.js';
import { eventually } from '../helpers/app.js';

const ev = (i: number): SocialEventInput => ({
  id: `e${i}`,
  source: 'test',
  ts: Date.now(),
  author: { id: 'a' },
  text: 'x',
});

/** A sink that records batches and answers from a script (an error to throw, or accept). */
class ScriptedSink implements EventSink {
  readonly batches: string[][] = [];
  constructor(private readonly script: (Error | undefined)[] = []) {}
  async submit(events: readonly unknown[]): Promise<SinkResult> {
    const next = this.script.shift();
    if (next) throw next;
    this.batches.push(events.map((e) => (e as SocialEventInput).id));
    return { ...emptyResult(), accepted: events.length };
  }
}

function delivery(sink: EventSink, over: Partial<BatchDeliveryOptions<number>> = {}) {
  const acked: number[][] = [];
  const fatal: unknown[] = [];
  const retries: number[] = [];
  const abort = new AbortController();
  const d = new BatchDelivery<number>({
    sink,
    maxBatch: 3,
    flushMs: 20,
    maxPending: 100,
    initialBackoffMs: 1,
    maxBackoffMs: 5,
    signal: abort.signal,
    onAck: async (batch) => void acked.push(batch.map((p) => p.position)),
    onFatal: (err) => void fatal.push(err),
    onRetry: (_e, attempt) => void retries.push(attempt),
    ...over,
  });
  return { d, acked, fatal, retries, abort };
}

t.test(
  'events go out in batches of at most maxBatch, the rest after flushMs, positions in order',
  async (t) => {
    const sink = new ScriptedSink();
    const { d, acked } = delivery(sink);
    for (let i = 1; i <= 7; i++) t.equal(d.add(ev(i), i), undefined, 'no backpressure');
    await eventually(async () => (acked.flat().length === 7 ? true : undefined), 5000, 'all acknowledged');
    t.same(acked.flat(), [1, 2, 3, 4, 5, 6, 7]);
    t.same(
      sink.batches.map((b) => b.length),
      [3, 3, 1],
    );
    t.equal(d.pending, 0);
  },
);

t.test(
  'a batch the sink cannot take is retried; the position moves only after it is acknowledged',
  async (t) => {
    const sink = new ScriptedSink([new Error('ECONNREFUSED'), new Error('HTTP 503')]);
    const { d, acked, retries } = delivery(sink);
    d.add(ev(1), 1);
    d.add(ev(2), 2);
    t.equal(d.pending, 2);
    await d.flush();
    t.same(retries, [1, 2]);
    t.same(acked, [[1, 2]], 'acknowledged once, after the retries');
    t.same(sink.batches, [['e1', 'e2']]);
  },
);

t.test('a refused batch is fatal and is not acknowledged', async (t) => {
  const { d, acked, fatal } = delivery(
    new ScriptedSink([new SinkRefusedError(401, 'UNAUTHORIZED', 'bad key')]),
  );
  d.add(ev(1), 1);
  await d.flush();
  t.same(acked, []);
  t.equal(fatal.length, 1);
  t.type(fatal[0], SinkRefusedError);
  t.equal(d.add(ev(2), 2), undefined, 'nothing more is taken after a failure');
});

t.test('above maxPending the caller is asked to wait until the sink caught up', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sink: EventSink = {
    async submit(events) {
      await gate;
      return { ...emptyResult(), accepted: events.length };
    },
  };
  const { d, acked } = delivery(sink, { maxPending: 4 });
  t.equal(d.add(ev(1), 1), undefined);
  t.equal(d.add(ev(2), 2), undefined);
  t.equal(d.add(ev(3), 3), undefined, 'a full batch goes out');
  const wait = d.add(ev(4), 4);
  t.ok(wait instanceof Promise, 'four unacknowledged: wait');
  let done = false;
  void wait?.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(done, 'still waiting while the sink holds the batch');
  release();
  await wait;
  t.same(acked.flat(), [1, 2, 3, 4]);
});

t.test('stopping gives up retrying and leaves the batch unacknowledged', async (t) => {
  const sink = new ScriptedSink(Array.from({ length: 1000 }, () => new Error('down')));
  const { d, acked, fatal, abort } = delivery(sink, { initialBackoffMs: 5 });
  d.add(ev(1), 1);
  const flushing = d.flush();
  await eventually(async () => (sink.batches.length === 0 ? true : undefined));
  abort.abort();
  await flushing;
  t.same(acked, []);
  t.same(fatal, [], 'a stop is not a failure');
  t.equal(d.pending, 1);
});

t.test('eventTime keeps plausible claims and clamps unreadable, pre-2000 and future ones', async (t) => {
  const now = Date.UTC(2025, 0, 1);
  t.same(eventTime('2024-12-31T23:00:00Z', now, 60_000), { ts: Date.UTC(2024, 11, 31, 23), clamped: false });
  t.same(eventTime('2025-01-01T00:00:30Z', now, 60_000), { ts: now + 30_000, clamped: false });
  t.same(eventTime('2025-01-01T00:02:00Z', now, 60_000), { ts: now, clamped: true });
  t.same(eventTime('1970-01-01T00:00:00Z', now, 60_000), { ts: now, clamped: true });
  t.same(eventTime('not a date', now, 60_000), { ts: now, clamped: true });
  t.same(eventTime(undefined, now + 0.7, 60_000), { ts: now, clamped: true });
  // Without an offset a time is UTC, whatever the server's time zone (Date.parse read it as local).
  const tz = process.env.TZ;
  process.env.TZ = 'Asia/Tokyo';
  t.teardown(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });
  t.same(eventTime('2024-12-31T23:00:00.000', now, 60_000), {
    ts: Date.UTC(2024, 11, 31, 23),
    clamped: false,
  });
  t.same(eventTime('2024-12-31T23:00:00.123+01:00', now, 60_000), {
    ts: Date.UTC(2024, 11, 31, 22, 0, 0, 123),
    clamped: false,
  });
});
