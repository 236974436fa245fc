import t from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { hourOfWeek, HourOfWeekProfile, HOURS_PER_WEEK } from '../../engines/stats/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import {
  ACTIVITY_TABLE,
  enrichEvent,
  OPERATORS,
  PartitionOperators,
  selectOperators,
  SpikeWindows,
  type SpikeWindowsMessage,
  type ActivityRow,
  type EnrichedEvent,
  type FeedbackEvent,
  type OperatorContext,
  type TableWrite,
  tableKey,
} from '../../stream/index.js';
import { seededEvents } from '../helpers/oracle.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0); // a Monday
const context: OperatorContext = {
  partition: 1,
  windows: [
    { name: '1m', sizeMs: MIN },
    { name: '1h', sizeMs: 60 * MIN },
  ],
  allowedLatenessMs: 30_000,
};

function events(seed: number, minutes: number): EnrichedEvent[] {
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  const scorer = new RulesSentiment();
  return seededEvents(seed, DEFAULT_BRANDS, 30, T0, T0 + minutes * MIN).map((e) =>
    enrichEvent(e, matcher, scorer),
  );
}

/**
 * Seeded campaign feedback over the same minutes: every kind, values on most, decision ids on
 * most, times a little out of order, and a few far behind (late for their window).
 */
function feedback(seed: number, minutes: number, n: number): FeedbackEvent[] {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const kinds = ['impression', 'impression', 'impression', 'click', 'conversion', 'reward'] as const;
  const out: FeedbackEvent[] = [];
  for (let i = 0; i < n; i++) {
    const kind = kinds[Math.floor(rnd() * kinds.length)]!;
    const ts = Math.round(T0 + (i / n) * minutes * MIN - rnd() * 4_000 - (i % 97 === 96 ? 10 * MIN : 0));
    out.push({
      campaign: `c${Math.floor(rnd() * 3)}`,
      arm: `a${Math.floor(rnd() * 2)}`,
      ...(i % 5 !== 0 && { decision_id: `d${i}` }),
      kind,
      ...(kind !== 'impression' && i % 7 !== 0 && { value: Math.floor(rnd() * 8) / 4 }),
      ts,
    });
  }
  return out;
}

/** Both inputs of an operator: social events and campaign feedback. */
interface Input {
  social: EnrichedEvent[];
  feedback: FeedbackEvent[];
}

type AnyOperator = ReturnType<(typeof OPERATORS)[number]['create']>;

const BATCH = 50;

function batches(input: Input): number {
  return Math.ceil(input.social.length / BATCH);
}

/** Batches [from, to) of the input: social in 50s, feedback spread over the same batches. */
function slice(input: Input, from: number, to: number): Input {
  const per = Math.ceil(input.feedback.length / batches(input));
  return {
    social: input.social.slice(from * BATCH, to * BATCH),
    feedback: input.feedback.slice(from * per, to * per),
  };
}

/**
 * Feeds both inputs to an operator as the host does: a batch of 50 events, then (for operators that
 * read feedback) a batch of feedback, each followed by its emit; returns every batch's output.
 */
function drive(op: AnyOperator, input: Input, firstVersion: number) {
  const outputs: unknown[] = [];
  let wm = -Infinity;
  let maxTs = -Infinity;
  const n = batches(input);
  const per = Math.ceil(input.feedback.length / n);
  for (let b = 0; b < n; b++) {
    const i = b * BATCH;
    for (const e of input.social.slice(i, i + BATCH)) {
      op.fold(e, wm);
      maxTs = Math.max(maxTs, e.ts);
    }
    wm = maxTs - 5_000;
    outputs.push(JSON.parse(JSON.stringify(op.emit(wm, firstVersion + i))));
    if (!op.foldFeedback) continue;
    const late: unknown[] = [];
    input.feedback.slice(b * per, (b + 1) * per).forEach((f, j) => {
      const key = f.decision_id ? `${f.campaign}:${f.decision_id}:${f.kind}` : `fb:1:${b}:${j}`;
      late.push(op.foldFeedback!(f, key) ?? []);
    });
    outputs.push(late, JSON.parse(JSON.stringify(op.emitFeedback!(firstVersion + i))));
  }
  return outputs;
}

// One contract for every registered operator, as the engines share one: a new operator passes it
// or the suite fails.
for (const def of OPERATORS) {
  t.test(`operator ${def.name}: the operator contract`, async (t) => {
    const input: Input = { social: events(7, 12), feedback: feedback(7, 12, 600) };
    t.ok(input.social.length > 300, 'enough input');

    t.test('deterministic: the same input gives the same output', async (t) => {
      t.same(drive(def.create(context), input, 1), drive(def.create(context), input, 1));
    });

    t.test('snapshot round trip: a restored operator carries on exactly like the original', async (t) => {
      const half = Math.floor(batches(input) / 2);
      const original = def.create(context);
      drive(original, slice(input, 0, half), 1);
      const state = JSON.parse(JSON.stringify(original.snapshot())) as unknown;
      const restored = def.create(context);
      restored.restore(state);
      t.same(restored.snapshot(), original.snapshot(), 'the snapshot survives JSON and restore');
      t.equal(restored.size, original.size, 'the same number of keys');
      const rest = slice(input, half, batches(input));
      t.same(drive(restored, rest, 1000), drive(original, rest, 1000), 'the same output from there on');
    });

    t.test('restore(undefined) is an empty operator (switched on after the checkpoint)', async (t) => {
      const op = def.create(context);
      drive(op, slice(input, 0, 2), 1);
      op.restore(undefined);
      t.equal(op.size, 0);
      t.same(op.emit(Number.MAX_SAFE_INTEGER, 2).writes, [], 'nothing to write');
      if (op.emitFeedback) t.same(op.emitFeedback(3).writes, [], 'no feedback rows either');
    });

    t.test('rows carry the version they were emitted at; durable messages a deterministic id', async (t) => {
      const op = def.create(context);
      for (const e of input.social.slice(0, 3000)) op.fold(e, -Infinity);
      input.feedback.slice(0, 200).forEach((f, j) => op.foldFeedback?.(f, `k${j}`));
      const out = op.emit(T0 + 3 * MIN, 77);
      const fromFeedback = op.emitFeedback?.(77);
      const writes = [...out.writes, ...(fromFeedback?.writes ?? [])];
      t.ok(
        writes.length + (out.publish?.length ?? 0) + (fromFeedback?.publish?.length ?? 0) > 0,
        'something to write or publish',
      );
      for (const w of writes)
        t.ok(
          w.rows.every((r) => r.version === 77),
          `${w.table.name}: version 77`,
        );
      const again = def.create(context);
      for (const e of input.social.slice(0, 3000)) again.fold(e, -Infinity);
      t.same(
        again.emit(T0 + 3 * MIN, 78).publish?.map((m) => m.msgId),
        out.publish?.map((m) => m.msgId),
        'the same messages, by id, whatever the version',
      );
    });
  });
}

t.test(
  'the host: every operator folds every event; writes grouped by table; the checkpoint holds them all',
  async (t) => {
    const host = new PartitionOperators({ ...context, outOfOrdernessMs: 5_000, operators: OPERATORS });
    const input = events(3, 5);
    for (const e of input) host.fold(e);
    const out = host.emit(9);
    const written = out.writes.map((w) => w.table.name);
    t.equal(new Set(written).size, written.length, 'one write per table');
    t.ok(
      ['brand_activity', 'window_aggregates', 'voice_windows', 'topic_windows', 'best_time_hours'].every(
        (n) => written.includes(n),
      ),
      `the tables of every analysis with rows: ${written.join(', ')}`,
    );
    const snap = JSON.parse(JSON.stringify(host.snapshot())) as ReturnType<typeof host.snapshot>;
    t.same(
      Object.keys(snap.operators),
      OPERATORS.map((o) => o.name),
    );
    const again = new PartitionOperators(host.options);
    again.restore(snap);
    t.same(again.snapshot(), host.snapshot());

    const none = new PartitionOperators({ ...context, outOfOrdernessMs: 5_000, operators: [] });
    for (const e of input) t.same(none.fold(e), []);
    t.same(
      none.emit(1),
      { writes: [], live: [], publish: [], feedback: [] },
      'no operators: nothing to write',
    );
    t.equal(none.watermark.current, host.watermark.current, 'the watermark still moves');
  },
);

t.test(
  'an event too late for the analytics window is reported, once, though several analyses drop it',
  async (t) => {
    // Windows of an hour: a post 19 minutes behind is in time for them, not for the 5-minute analytics windows.
    const host = new PartitionOperators({
      ...context,
      windows: [{ name: '1h', sizeMs: 60 * MIN }],
      analytics: { windowMs: 5 * MIN },
      outOfOrdernessMs: 5_000,
      brands: DEFAULT_BRANDS,
      operators: selectOperators(['windows', 'voice', 'influencers', 'trends', 'topics', 'segments']),
    });
    const base = events(5, 1)[0]!;
    const post = (id: string, ts: number): EnrichedEvent => ({
      ...base,
      id,
      ts,
      text: 'the oat latte is lovely today',
      brands: ['Northwind Coffee'],
    });
    t.same(host.fold(post('a', T0)), [], 'in time');
    t.same(host.fold(post('b', T0 + 20 * MIN)), []);
    t.same(host.fold(post('c', T0 + MIN)), ['analytics 5m'], 'late for the analytics window: said once');
    t.same(
      host.fold({ ...post('d', T0 + MIN), brands: [] }),
      [],
      'a post about no tracked brand: not reported',
    );
    const voice = host
      .emit(1)
      .writes.find((w) => w.table.name === 'voice_windows')!
      .rows.filter((r) => (r as unknown as { start: number }).start === T0);
    t.match(voice, [{ posts: 1 }], 'and not counted there');
  },
);

t.test('selecting operators: registry order, unknown names refused', async (t) => {
  t.same(
    selectOperators(['activity', 'windows']).map((o) => o.name),
    ['windows', 'activity'],
  );
  t.same(selectOperators([]), []);
  t.throws(() => selectOperators(['windows', 'nope']), RangeError);
});

t.test('activity: per brand and hour of week, by event time, only changed hours emitted', async (t) => {
  const op = OPERATORS.find((o) => o.name === 'activity')!.create(context);
  const base = events(5, 1)[0]!;
  const at = (ts: number, label: 'negative' | 'positive', likes: number): EnrichedEvent => ({
    ...base,
    ts,
    brands: ['A', 'B'],
    sentiment: { label, score: 0, model: 't' },
    engagement: { likes, shares: 1, replies: 0 },
  });
  op.fold(at(T0 + 10 * MIN, 'negative', 2), 0); // Monday 00:10 UTC → hour 0
  op.fold(at(T0 + 25 * 3_600_000, 'positive', 0), 0); // Tuesday 01:00 → hour 25
  const rows = op.emit(0, 5).writes[0]!.rows as ActivityRow[];
  t.equal(op.emit(0, 5).writes.length, 0, 'nothing changed since');
  t.same(rows.map((r) => [r.brand, r.hour, r.posts, r.negative, r.engagement, r.partition]).sort(), [
    ['A', 0, 1, 1, 3, 1],
    ['A', 25, 1, 0, 1, 1],
    ['B', 0, 1, 1, 3, 1],
    ['B', 25, 1, 0, 1, 1],
  ]);
  t.equal(ACTIVITY_TABLE.key.join(','), 'brand,hour,partition');
});

t.test('hour of week: Monday 00:00 UTC is 0, Sunday 23:00 is 167, before 1970 too', async (t) => {
  t.equal(hourOfWeek(T0), 0);
  t.equal(hourOfWeek(T0 - 1), 167);
  t.equal(hourOfWeek(T0 + 7 * 24 * 3_600_000 + 3_600_000), 1);
  t.equal(hourOfWeek(Date.UTC(1969, 11, 29, 5)), 5, 'a Monday before the epoch');
  for (let h = 0; h < 2 * HOURS_PER_WEEK; h += 7) {
    const d = new Date(T0 + h * 3_600_000 + 59 * MIN);
    t.equal(hourOfWeek(d.getTime()), ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours());
  }
  const p = new HourOfWeekProfile();
  t.equal(p.update(Number.NaN, true, 1), -1, 'a non-finite time is not counted');
  p.update(T0, true, Number.POSITIVE_INFINITY);
  t.same(p.cell(0), { posts: 1, negative: 1, engagement: 0 }, 'non-finite engagement counts as none');
  t.throws(() => p.cell(168), RangeError);
  t.throws(() => p.restore([1, 2]), RangeError);
  t.equal(p.total, 1);
});

t.test(
  'spike windows: closed by the watermark, published once with counts, terms and samples; late posts left out',
  async (t) => {
    const op = new SpikeWindows({
      ...context,
      spikeWindowMs: MIN,
      brands: [{ name: 'Acme Coffee', aliases: ['Acme Café'], handles: ['acmecoffee'] }],
    });
    const base = events(5, 1)[0]!;
    const post = (ts: number, label: 'negative' | 'positive', text: string): EnrichedEvent => ({
      ...base,
      id: `p${ts}`,
      ts,
      text,
      brands: ['Acme Coffee'],
      sentiment: { label, score: 0, model: 't' },
    });
    op.fold(
      post(T0 + 1_000, 'negative', 'Acme coffee outage again, the app is down #fail #AcmeCoffee'),
      -Infinity,
    );
    op.fold(
      post(T0 + 2_000, 'negative', 'Acme Café app outage, refund please, my coffee is cold'),
      -Infinity,
    );
    op.fold(post(T0 + 3_000, 'positive', 'Acme latte is lovely'), -Infinity);
    const before = op.emit(T0 + 30_000, 1).publish!;
    t.same(
      before.map((m) => (m.data as SpikeWindowsMessage).windows),
      [[]],
      'the window before closed, empty; this one is still open',
    );
    const out = op.emit(T0 + MIN + 5_000, 2).publish!;
    t.equal(out.length, 1);
    t.equal(out[0]!.msgId, `spikes:1:${T0}`);
    const m = out[0]!.data as SpikeWindowsMessage;
    t.equal(m.closed_through, T0);
    const acme = m.windows[0]!.brands['Acme Coffee']!;
    t.match(acme, { posts: 3, negative: 2 });
    t.same(
      acme.terms.slice(0, 2),
      [
        ['app', 2],
        ['outage', 2],
      ],
      'most frequent first, then by name',
    );
    t.same(
      acme.terms.filter(([term]) => ['acme', 'coffee', 'the', '#acmecoffee', 'cafe'].includes(term)),
      [],
      "no stopwords, no brand mentions (name, alias, hashtag), no words of a brand's name anywhere",
    );
    t.ok(
      acme.terms.some(([term]) => term === '#fail'),
      'hashtags count',
    );
    t.equal(acme.samples.length, 2, 'negative posts as samples');
    t.same(
      op.fold(post(T0 + 10_000, 'negative', 'late outage'), T0 + MIN + 5_000),
      ['spikes 1m'],
      'a post for a closed window is reported late',
    );
    t.equal(op.size, 0, 'and left out');
    const next = op.emit(T0 + 3 * MIN, 3).publish!;
    t.same((next[0]!.data as SpikeWindowsMessage).windows, [], 'empty windows still move closed_through');
    t.equal((next[0]!.data as SpikeWindowsMessage).closed_through, T0 + 2 * MIN);
  },
);

/**
 * Feeds the social input as the host does (the watermark moves with every event, 5 s behind the
 * latest), emitting every `every` events and once more at the end; returns each table's latest
 * row per key, as a store holds them after the last emit: of a windowed table, the final rows
 * only; without the version (the emit's) and the columns that describe the state as of the emit.
 */
function finalRows(op: AnyOperator, social: readonly EnrichedEvent[], every: number) {
  const tables = new Map<string, Map<string, unknown>>();
  const take = (writes: readonly TableWrite[]) => {
    for (const w of writes) {
      let rows = tables.get(w.table.name);
      if (!rows) tables.set(w.table.name, (rows = new Map()));
      for (const r of w.rows as readonly Record<string, unknown>[]) {
        // An open window's rows are provisional (the latest emit's view); its final rows are not.
        if ('final' in w.table.columns && r.final !== 1) continue;
        const { version: _version, ...rest } = r;
        for (const column of w.table.asOfEmit ?? []) delete rest[column];
        rows.set(tableKey(w.table, r), JSON.parse(JSON.stringify(rest)));
      }
    }
  };
  let maxTs = -Infinity;
  social.forEach((e, i) => {
    op.fold(e, maxTs - 5_000);
    maxTs = Math.max(maxTs, e.ts);
    if ((i + 1) % every === 0) take(op.emit(maxTs - 5_000, i + 1).writes);
  });
  take(op.emit(maxTs - 5_000, social.length + 1).writes);
  return Object.fromEntries([...tables].map(([name, rows]) => [name, Object.fromEntries(rows)]));
}

// The killed worker emits often, a replay after it rarely: what a store ends up with must not
// depend on when the emits came.
for (const def of OPERATORS)
  t.test(`operator ${def.name}: the rows a store ends with do not depend on the emit cadence`, async (t) => {
    const social = events(11, 12);
    const often = finalRows(def.create(context), social, 50);
    t.same(finalRows(def.create(context), social, 997), often, 'every 997 events as every 50');
    t.same(finalRows(def.create(context), social, social.length + 1), often, 'once at the end as every 50');
  });
