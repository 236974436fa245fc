// A restart with another --analytics-window or --alert-window restores a checkpoint whose open
// windows have the old size: they must not come out as windows of the new size.
import t from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import {
  enrichEvent,
  OPERATORS,
  PartitionOperators,
  WindowOperator,
  type EnrichedEvent,
  type OperatorsSnapshot,
} from '../../stream/index.js';
import type { SpikeWindowsMessage } from '../../stream/operators/spike-windows.js';
import { seededEvents } from '../helpers/oracle.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
// The checkpoint: every event before it is folded before the restart (audience segments are made
// from about 09:06 on), inside the 5-minute window 09:05-09:10.
const CUT = T0 + 7 * MIN;
const matcher = new BrandMatcher(DEFAULT_BRANDS);
const scorer = new RulesSentiment();
const events: EnrichedEvent[] = seededEvents(7, DEFAULT_BRANDS, 10, T0, T0 + 12 * MIN).map((e) =>
  enrichEvent(e, matcher, scorer),
);
const cut = events.findIndex((e) => e.ts >= CUT);

const stage2 = (analyticsMs: number, spikeMs: number) =>
  new PartitionOperators({
    partition: 0,
    windows: [{ name: '1m', sizeMs: MIN }],
    allowedLatenessMs: 0,
    outOfOrdernessMs: 0,
    operators: OPERATORS,
    brands: DEFAULT_BRANDS,
    spikeWindowMs: spikeMs,
    analytics: { windowMs: analyticsMs },
  });

/** A checkpoint of a stage 2 with 5-minute analytics and spike windows, taken at CUT. */
function checkpoint(): OperatorsSnapshot {
  const a = stage2(5 * MIN, 5 * MIN);
  for (let i = 0; i < cut; i++) a.fold(events[i]!);
  a.emit(cut);
  return JSON.parse(JSON.stringify(a.snapshot())) as OperatorsSnapshot;
}

/** Restores `snap` into a stage 2 with 1-minute windows, reads the rest; its rows by table and messages. */
function resume(snap: OperatorsSnapshot) {
  const b = stage2(MIN, MIN);
  const dropped = b.restore(snap);
  const rows = new Map<string, Record<string, number | string>[]>();
  const spikes: SpikeWindowsMessage[] = [];
  for (let i = cut; i < events.length; i++) {
    b.fold(events[i]!);
    if (i % 200 === 0 || i === events.length - 1) {
      const out = b.emit(i);
      for (const w of out.writes) {
        const list = rows.get(w.table.name) ?? [];
        list.push(...(w.rows as unknown as Record<string, number | string>[]));
        rows.set(w.table.name, list);
      }
      for (const p of out.publish) spikes.push(p.data as SpikeWindowsMessage);
    }
  }
  return { b, dropped, rows, spikes };
}

const postsOf = (brand: string, start: number) =>
  events.filter((e) => e.brands.includes(brand) && e.ts >= start && e.ts < start + MIN).length;

t.test('analytics: a restart with a smaller window drops the old windows', async (t) => {
  const { dropped, rows } = resume(checkpoint());
  for (const op of ['voice', 'influencers', 'trends', 'topics', 'segments'])
    t.ok((dropped[op] ?? 0) > 0, `${op} reports the windows it dropped`);
  for (const table of [
    'voice_windows',
    'influencer_windows',
    'trend_windows',
    'topic_windows',
    'segment_windows',
  ]) {
    const list = rows.get(table) ?? [];
    t.ok(list.length > 0, `${table} has rows`);
    t.same(
      list.filter((r) => (r.start as number) < CUT || r.size_ms !== MIN),
      [],
      `${table}: no window of the old size (all start at or after the restart, 1 minute long)`,
    );
  }
  // The windows of the new size hold what a run with 1-minute windows from the start has in them
  // (late events and all): they count from the restart on, which is their start here.
  const straight = stage2(MIN, MIN);
  const expected = new Map<string, unknown>();
  for (let i = 0; i < events.length; i++) {
    straight.fold(events[i]!);
    if (i % 200 === 0 || i === events.length - 1)
      for (const w of straight.emit(i).writes)
        if (w.table.name === 'voice_windows')
          for (const r of w.rows as unknown as Record<string, number | string>[])
            if (r.final === 1) expected.set(`${r.brand}|${r.start}`, r.posts);
  }
  const voice = rows.get('voice_windows')!.filter((r) => r.final === 1);
  t.ok(voice.length >= 3 * DEFAULT_BRANDS.length);
  for (const r of voice)
    t.equal(
      r.posts,
      expected.get(`${r.brand}|${r.start}`),
      `voice ${r.brand} +${((r.start as number) - T0) / MIN}m`,
    );
});

t.test('spikes: a restart with a smaller alert window publishes only windows of the new size', async (t) => {
  const { dropped, spikes } = resume(checkpoint());
  t.ok((dropped.spikes ?? 0) > 0, 'spikes reports the windows it dropped');
  // What a run with 1-minute spike windows from the start publishes (late events and all).
  const straight = stage2(MIN, MIN);
  const expected = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    straight.fold(events[i]!);
    if (i % 200 === 0 || i === events.length - 1)
      for (const p of straight.emit(i).publish)
        for (const w of (p.data as SpikeWindowsMessage).windows)
          for (const [brand, partial] of Object.entries(w.brands))
            expected.set(`${brand}|${w.start}`, partial.posts);
  }
  const windows = spikes.flatMap((m) => m.windows);
  t.ok(windows.length >= 3);
  t.ok(spikes.every((m) => m.window_ms === MIN));
  for (const w of windows) {
    t.ok(w.start >= CUT, `window +${(w.start - T0) / MIN}m starts after the restart`);
    for (const [brand, p] of Object.entries(w.brands)) {
      t.equal(p.posts, expected.get(`${brand}|${w.start}`), `${brand} posts`);
      t.ok(Math.abs(p.posts - postsOf(brand, w.start)) <= 3, `${brand} posts: about those of its minute`);
    }
  }
});

t.test('a restart with the same windows keeps them, and so does a checkpoint without sizes', async (t) => {
  const snap = checkpoint();
  // What a checkpoint from before the sizes were recorded holds.
  const legacy = JSON.parse(JSON.stringify(snap)) as { operators: Record<string, Record<string, unknown>> };
  const ops = legacy.operators;
  for (const op of ['voice', 'influencers']) ops[op] = (ops[op] as { windows: unknown }).windows as never;
  for (const op of ['topics', 'segments', 'spikes']) delete ops[op]!.windowMs;
  delete (ops.trends!.windows as Record<string, unknown>).windowMs;
  ops.trends!.windows = (ops.trends!.windows as { windows: unknown }).windows;
  const run = (s: unknown) => {
    const b = stage2(5 * MIN, 5 * MIN);
    const dropped = b.restore(s as OperatorsSnapshot);
    const outs = [];
    for (let i = cut; i < events.length; i++) {
      b.fold(events[i]!);
      if (i % 200 === 0) outs.push(b.emit(i));
    }
    return { dropped, outs: JSON.stringify(outs) };
  };
  const same = run(snap);
  t.same(same.dropped, {}, 'nothing dropped');
  const old = run(legacy);
  t.same(old.dropped, {}, 'nothing dropped from a checkpoint without sizes');
  t.equal(old.outs, same.outs, 'the same output either way');
});

t.test('WindowOperator.restoreSized', async (t) => {
  const make = (sizeMs: number) =>
    new WindowOperator<number, { n: number }, number>({
      spec: { name: `${sizeMs}ms`, sizeMs },
      allowedLatenessMs: 0,
      aggregator: {
        create: () => ({ n: 0 }),
        add: (a, x) => void (a.n += x),
        result: (a) => a.n,
        snapshot: (a) => a.n,
        restore: (s) => ({ n: s as number }),
      },
    });
  const one = make(MIN);
  for (const m of [0, 1, 5, 6]) one.add('k', T0 + m * MIN, 1, 0);
  const snap = one.snapshot();
  const same = make(MIN);
  t.equal(same.restoreSized(snap, MIN), 0);
  t.equal(same.openWindows, 4);
  const five = make(5 * MIN);
  t.equal(five.restoreSized(snap, MIN), 4, 'another size: every window dropped');
  t.equal(five.openWindows, 0);
  t.same(five.emit(Number.POSITIVE_INFINITY), []);
  const legacy = make(5 * MIN);
  t.equal(legacy.restoreSized(snap, undefined), 2, 'no size recorded: windows off the grid dropped');
  t.same(
    legacy.emit(Number.POSITIVE_INFINITY).map((e) => e.start),
    [T0, T0 + 5 * MIN],
  );
});
