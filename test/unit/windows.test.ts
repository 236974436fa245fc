import t from 'tap';
import {
  parseWindow,
  PartitionOperators,
  windowAggregates,
  type WindowAggregates,
  type WindowRow,
  TumblingWindowAssigner,
  WatermarkTracker,
  WindowOperator,
  type Aggregator,
  type EnrichedEvent,
} from '../../stream/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const sum: Aggregator<number, { n: number }, number> = {
  create: () => ({ n: 0 }),
  add: (acc, x) => {
    acc.n += x;
  },
  result: (acc) => acc.n,
  snapshot: (acc) => ({ ...acc }),
  restore: (s) => ({ ...(s as { n: number }) }),
};

t.test('parseWindow accepts sizes that divide a day and refuses the rest', async (t) => {
  t.same(parseWindow('1m'), { name: '1m', sizeMs: MIN });
  t.same(parseWindow('1h'), { name: '1h', sizeMs: 60 * MIN });
  t.same(parseWindow('30s'), { name: '30s', sizeMs: 30_000 });
  t.throws(() => parseWindow('7m'), RangeError);
  t.throws(() => parseWindow('1w'), RangeError);
  t.throws(() => parseWindow(''), RangeError);
  t.throws(() => parseWindow('0m'), RangeError);
});

t.test('assigner aligns windows to the epoch', async (t) => {
  const a = new TumblingWindowAssigner(MIN);
  t.equal(a.assign(T0), T0);
  t.equal(a.assign(T0 + MIN - 1), T0);
  t.equal(a.assign(T0 + MIN), T0 + MIN);
  t.equal(a.assign(T0 - 1), T0 - MIN);
});

t.test('watermark trails the highest event time and never goes back', async (t) => {
  const w = new WatermarkTracker(5000);
  t.equal(w.current, -Infinity);
  w.observe(T0 + 10_000);
  t.equal(w.current, T0 + 5000);
  w.observe(T0); // out of order: no effect
  t.equal(w.current, T0 + 5000);
  w.advanceTo(T0 + 7000);
  t.equal(w.current, T0 + 7000);
  w.advanceTo(T0);
  t.equal(w.current, T0 + 7000);
  const copy = new WatermarkTracker(5000);
  copy.restore(JSON.parse(JSON.stringify(w.snapshot())));
  t.equal(copy.current, w.current);
});

t.test('operator emits updates while open, one final at end + lateness, then drops state', async (t) => {
  const op = new WindowOperator({
    spec: { name: '1m', sizeMs: MIN },
    allowedLatenessMs: 10_000,
    aggregator: sum,
  });
  t.ok(op.add('a', T0 + 1000, 1, -Infinity));
  t.ok(op.add('a', T0 + 2000, 2, -Infinity));
  t.ok(op.add('b', T0 + 3000, 5, -Infinity));
  let out = op.emit(T0 + 30_000);
  t.same(
    out.map((e) => [e.key, e.value, e.final]),
    [
      ['a', 3, false],
      ['b', 5, false],
    ],
    'updates before the final emission',
  );
  t.same(op.emit(T0 + 30_000), [], 'nothing changed, nothing emitted');
  // Watermark past the end but inside the allowed lateness: still open and updatable.
  t.ok(op.add('a', T0 + 4000, 10, T0 + MIN + 5000), 'allowed-late event accepted');
  out = op.emit(T0 + MIN + 5000);
  t.same(
    out.map((e) => [e.key, e.value, e.final]),
    [['a', 13, false]],
  );
  // Watermark reaches end + lateness: final emission of every window, once.
  out = op.emit(T0 + MIN + 10_000);
  t.same(
    out.map((e) => [e.key, e.value, e.final]),
    [
      ['a', 13, true],
      ['b', 5, true],
    ],
  );
  t.equal(op.openWindows, 0, 'state dropped after final');
  t.same(op.emit(T0 + 10 * MIN), [], 'final emitted only once');
  t.notOk(op.add('a', T0 + 5000, 1, T0 + MIN + 10_000), 'event for a final window is late');
  t.equal(op.openWindows, 0, 'late event changes nothing');
});

t.test('out-of-order events inside the bound land in their own windows', async (t) => {
  const op = new WindowOperator({ spec: { name: '1m', sizeMs: MIN }, allowedLatenessMs: 0, aggregator: sum });
  const wm = new WatermarkTracker(5000);
  const times = [T0 + 59_000, T0 + MIN + 1000, T0 + 58_000, T0 + MIN + 2000, T0 + 57_000];
  for (const ts of times) {
    t.ok(op.add('k', ts, 1, wm.current), `accepted ${ts - T0}`);
    wm.observe(ts);
  }
  const out = op.emit(wm.current);
  t.same(
    out.map((e) => [e.start - T0, e.value, e.final]),
    [
      [0, 3, false],
      [MIN, 2, false],
    ],
  );
  wm.advanceTo(T0 + MIN);
  t.same(
    op.emit(wm.current).map((e) => [e.start - T0, e.value, e.final]),
    [[0, 3, true]],
    'first window final once the watermark reaches its end',
  );
});

t.test('snapshot and restore continue exactly where the operator was', async (t) => {
  const spec = { name: '1m', sizeMs: MIN };
  const a = new WindowOperator({ spec, allowedLatenessMs: 0, aggregator: sum });
  a.add('x', T0 + 1, 4, -Infinity);
  a.emit(-Infinity);
  a.add('x', T0 + 2, 1, -Infinity);
  const b = new WindowOperator({ spec, allowedLatenessMs: 0, aggregator: sum });
  b.restore(JSON.parse(JSON.stringify(a.snapshot())));
  t.same(b.emit(T0 + MIN), a.emit(T0 + MIN));
});

function enriched(
  ts: number,
  brands: string[],
  label: 'positive' | 'neutral' | 'negative',
  author = 'u1',
): EnrichedEvent {
  return {
    id: `e${ts}`,
    source: 'test',
    ts,
    received_ts: ts,
    author: { id: author, followers: 1 },
    text: '',
    tags: { hashtags: [], mentions: [], urls: [] },
    engagement: { likes: 1, shares: 2, replies: 3 },
    brands,
    sentiment: { label, score: label === 'positive' ? 0.5 : label === 'negative' ? -0.5 : 0, model: 'test' },
  };
}

t.test('partition windows: per-brand counts in every window size, late counted per window', async (t) => {
  const pw = new PartitionOperators({
    partition: 3,
    windows: [
      { name: '1m', sizeMs: MIN },
      { name: '1h', sizeMs: 60 * MIN },
    ],
    outOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    operators: [windowAggregates],
  });
  t.same(pw.fold(enriched(T0 + 1000, ['A', 'B'], 'positive', 'u1')), []);
  t.same(pw.fold(enriched(T0 + 2000, ['A'], 'negative', 'u2')), []);
  t.same(pw.fold(enriched(T0 + 3000, ['A'], 'negative', 'u2')), []);
  t.same(pw.fold(enriched(T0 + 2 * MIN, ['B'], 'neutral', 'u3')), []);
  const late = pw.fold(enriched(T0 + 4000, ['A'], 'positive', 'u4'));
  t.same(late, ['1m'], 'late for the closed minute, still on time for the open hour');
  const out = pw.emit(42);
  t.equal(out.writes.length, 1, 'one table written');
  t.equal(out.live.length, 1, 'one live update');
  t.equal(out.live[0]!.subject, 'live.windows.3');
  const rows = out.writes[0]!.rows as unknown as WindowRow[];
  t.ok(
    rows.every((r) => r.version === 42 && r.partition === 3),
    'rows carry the version and partition',
  );
  const a1m = rows.find((e) => e.brand === 'A' && e.window === '1m')!;
  t.equal(a1m.final, true);
  t.match(a1m, {
    posts: 3,
    positive: 1,
    negative: 2,
    neutral: 0,
    likes: 3,
    shares: 6,
    replies: 9,
    authors: 2,
  });
  t.equal(a1m.sentiment_sum, -0.5);
  const a1h = rows.find((e) => e.brand === 'A' && e.window === '1h')!;
  t.equal(a1h.final, false);
  t.match(a1h, { posts: 4, positive: 2, negative: 2, authors: 3 });
  const restored = new PartitionOperators(pw.options);
  restored.restore(JSON.parse(JSON.stringify(pw.snapshot())));
  t.equal(restored.watermark.current, pw.watermark.current);
  t.equal(restored.get<WindowAggregates>('windows')!.size, pw.get<WindowAggregates>('windows')!.size);
  t.same(restored.snapshot(), pw.snapshot(), 'the snapshot round-trips');
});
