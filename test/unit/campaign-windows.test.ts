import t from 'tap';
import { FeedbackWindows } from '../../engines/bandits/feedback-windows.js';
import {
  CAMPAIGN_WINDOWS_TABLE,
  CampaignWindows,
  campaignWindows,
  feedbackKey,
  OPERATORS,
  PartitionOperators,
  type CampaignWindowRow,
  type FeedbackEvent,
  type KeyedFeedback,
  type OperatorContext,
  type OperatorOutput,
} from '../../stream/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const context: OperatorContext & { outOfOrdernessMs: number } = {
  partition: 2,
  windows: [{ name: '1m', sizeMs: MIN }],
  allowedLatenessMs: 30_000,
  outOfOrdernessMs: 5_000,
  campaignWindowMs: 10 * MIN,
};

const fb = (over: Partial<FeedbackEvent> & { ts: number }): FeedbackEvent => ({
  campaign: 'spring',
  arm: 'a',
  kind: 'impression',
  ...over,
});

/** The host's idempotency key of a feedback line. */
const keyOf = (f: FeedbackEvent, seq: number, line: number) => feedbackKey(f) ?? `fb:2:${seq}:${line}`;

/** Seeded feedback over `minutes`, a little out of order, with a few far behind (late). */
function seeded(seed: number, minutes: number, n: number): FeedbackEvent[] {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const kinds = ['impression', 'impression', 'click', 'conversion', 'reward'] as const;
  return Array.from({ length: n }, (_, i) => {
    const kind = kinds[Math.floor(rnd() * kinds.length)]!;
    return {
      campaign: `c${Math.floor(rnd() * 4)}`,
      arm: `arm-${Math.floor(rnd() * 3)}`,
      ...(i % 4 !== 0 && { decision_id: `d${seed}-${i}` }),
      kind,
      ...(kind !== 'impression' && i % 6 !== 0 && { value: Math.floor(rnd() * 12) / 4 }),
      ts: Math.round(T0 + (i / n) * minutes * MIN - rnd() * 4_000 - (i % 50 === 49 ? 25 * MIN : 0)),
    };
  });
}

/** Feeds feedback in batches of `size` (message seq = batch number), as the host does. */
function drive(op: CampaignWindows, input: FeedbackEvent[], size: number, firstSeq = 1) {
  const out: { late: (readonly string[] | void)[]; output: OperatorOutput }[] = [];
  for (let i = 0; i < input.length; i += size) {
    const seq = firstSeq + i / size;
    const late = input.slice(i, i + size).map((f, line) => op.foldFeedback(f, keyOf(f, seq, line)));
    out.push({ late, output: JSON.parse(JSON.stringify(op.emitFeedback(seq))) as OperatorOutput });
  }
  return out;
}

const rowsOf = (o: OperatorOutput) =>
  (o.writes.find((w) => w.table.name === CAMPAIGN_WINDOWS_TABLE.name)?.rows ?? []) as CampaignWindowRow[];

t.test('the engine: counts per kind, sums of values, final once, then forgotten', async (t) => {
  const w = new FeedbackWindows({ windowMs: 10 * MIN, outOfOrdernessMs: 5_000, allowedLatenessMs: 30_000 });
  t.equal(w.watermark, -Infinity);
  t.ok(w.add({ campaign: 'c', arm: 'a', kind: 'impression', ts: T0 + 1_000 }));
  w.add({ campaign: 'c', arm: 'a', kind: 'click', value: 9, ts: T0 + 2_000 });
  w.add({ campaign: 'c', arm: 'a', kind: 'conversion', value: 12.5, ts: T0 + 3_000 });
  w.add({ campaign: 'c', arm: 'a', kind: 'conversion', ts: T0 + 4_000 }); // no value: no revenue
  w.add({ campaign: 'c', arm: 'a', kind: 'reward', value: 0.25, ts: T0 + 5_000 });
  w.add({ campaign: 'c', arm: 'a', kind: 'reward', ts: T0 + 6_000 }); // no value: counts, adds 0
  w.add({ campaign: 'c', arm: 'b', kind: 'impression', ts: T0 + 6_000 });
  t.same(w.emit(), [
    {
      campaign: 'c',
      arm: 'a',
      start: T0,
      final: false,
      impressions: 1,
      clicks: 1,
      conversions: 2,
      rewards: 2,
      reward_sum: 0.25,
      revenue: 12.5,
    },
    {
      campaign: 'c',
      arm: 'b',
      start: T0,
      final: false,
      impressions: 1,
      clicks: 0,
      conversions: 0,
      rewards: 0,
      reward_sum: 0,
      revenue: 0,
    },
  ]);
  t.same(w.emit(), [], 'nothing changed since');
  t.equal(w.size, 2);
  // The watermark reaches the window's end plus the lateness: final rows, then dropped.
  w.add({ campaign: 'c', arm: 'a', kind: 'impression', ts: T0 + 10 * MIN + 34_999 });
  t.same(
    w.emit().map((x) => [x.arm, x.start, x.final]),
    [['a', T0 + 10 * MIN, false]],
    'the next window opens; the first is not final yet (watermark 1 ms short)',
  );
  w.add({ campaign: 'c', arm: 'b', kind: 'impression', ts: T0 + 10 * MIN + 35_000 });
  t.same(
    w.emit().map((x) => [x.arm, x.start, x.final, x.impressions]),
    [
      ['a', T0, true, 1],
      ['b', T0, true, 1],
      ['b', T0 + 10 * MIN, false, 1],
    ],
    'final once the watermark passes end + lateness; by start, campaign, arm',
  );
  t.equal(w.size, 2, 'the closed windows are forgotten');
  t.notOk(w.add({ campaign: 'c', arm: 'a', kind: 'click', ts: T0 + 9 * MIN }), 'a closed window: late');
  t.same(w.emit(), [], 'late feedback changes nothing');
  t.throws(() => w.add({ campaign: 'c', arm: 'a', kind: 'click', ts: Number.NaN }), RangeError);
  t.throws(() => new FeedbackWindows({ windowMs: 0, outOfOrdernessMs: 0, allowedLatenessMs: 0 }), RangeError);
  const copy = new FeedbackWindows(w.options);
  copy.restore(JSON.parse(JSON.stringify(w.snapshot())));
  t.same(copy.snapshot(), w.snapshot(), 'snapshot survives JSON');
  copy.restore(undefined);
  t.equal(copy.size, 0);
  t.equal(copy.watermark, -Infinity);
});

t.test('the engine: campaign and arm names cannot collide in the window keys', async (t) => {
  const w = new FeedbackWindows({ windowMs: MIN, outOfOrdernessMs: 0, allowedLatenessMs: 0 });
  w.add({ campaign: 'a|b', arm: 'c', kind: 'impression', ts: T0 });
  w.add({ campaign: 'a', arm: 'b|c', kind: 'impression', ts: T0 });
  t.equal(w.size, 2);
});

t.test(
  'the operator: rows of the table spec, keys and feedback as given, social input ignored',
  async (t) => {
    const op = new CampaignWindows(context);
    t.equal(op.name, 'campaigns');
    t.equal(op.windowMs, 10 * MIN);
    t.same(op.emit(), { writes: [], live: [] }, 'social events: nothing');
    t.equal(op.fold(), undefined);
    const a = fb({ decision_id: 'd1', ts: T0 + 1_000 });
    const b = fb({ kind: 'conversion', value: 30, decision_id: 'd1', ts: T0 + 2_000 });
    const c = fb({ kind: 'reward', value: 1, arm: 'b', ts: T0 + 3_000 });
    t.equal(op.foldFeedback(a, 'spring:d1:impression'), undefined);
    op.foldFeedback(b, 'spring:d1:conversion');
    op.foldFeedback(c, 'fb:2:7:0');
    const out = op.emitFeedback(7);
    t.same(out.feedback, [
      { key: 'spring:d1:impression', event: a },
      { key: 'spring:d1:conversion', event: b },
      { key: 'fb:2:7:0', event: c },
    ] satisfies KeyedFeedback[]);
    const rows = rowsOf(out);
    t.same(rows, [
      {
        campaign: 'spring',
        arm: 'a',
        start: T0,
        size_ms: 10 * MIN,
        partition: 2,
        impressions: 1,
        clicks: 0,
        conversions: 1,
        rewards: 0,
        reward_sum: 0,
        revenue: 30,
        final: 0,
        version: 7,
      },
      {
        campaign: 'spring',
        arm: 'b',
        start: T0,
        size_ms: 10 * MIN,
        partition: 2,
        impressions: 0,
        clicks: 0,
        conversions: 0,
        rewards: 1,
        reward_sum: 1,
        revenue: 0,
        final: 0,
        version: 7,
      },
    ]);
    for (const r of rows)
      t.same(
        Object.keys(r).sort(),
        Object.keys(CAMPAIGN_WINDOWS_TABLE.columns).sort(),
        'the columns of the spec',
      );
    t.same(
      CAMPAIGN_WINDOWS_TABLE.key,
      ['campaign', 'arm', 'start', 'size_ms', 'partition'],
      'the key has the partition',
    );
    t.same(op.emitFeedback(8), { writes: [], live: [] }, 'nothing new: nothing');
    t.equal(op.size, 2);

    // Its own watermark: 5 s behind the latest feedback; final at end + 30 s.
    op.foldFeedback(fb({ ts: T0 + 10 * MIN + 35_000 }), 'k');
    t.equal(op.watermark, T0 + 10 * MIN + 30_000);
    const closing = rowsOf(op.emitFeedback(9));
    t.same(
      closing.map((r) => [r.arm, r.start, r.final, r.version]),
      [
        ['a', T0, 1, 9],
        ['b', T0, 1, 9],
        ['a', T0 + 10 * MIN, 0, 9],
      ],
      'final rows, then the windows are dropped',
    );
    t.equal(op.size, 1, 'bounded memory: only the open window');

    const late = fb({ kind: 'click', decision_id: 'd9', ts: T0 + 5 * MIN });
    t.same(op.foldFeedback(late, 'spring:d9:click'), ['campaign 10m'], 'late feedback names the window');
    const after = op.emitFeedback(10);
    t.same(rowsOf(after), [], 'late feedback changes no row');
    t.same(after.feedback, [{ key: 'spring:d9:click', event: late }], 'but still goes to the arm statistics');

    t.throws(() => new CampaignWindows({ ...context, campaignWindowMs: 500 }), RangeError);
    t.equal(
      new CampaignWindows({ ...context, campaignWindowMs: undefined }).windowMs,
      3_600_000,
      'default 1 h',
    );
    t.same(
      new CampaignWindows({ ...context, campaignWindowMs: undefined }).foldFeedback(fb({ ts: T0 }), 'x'),
      undefined,
    );
  },
);

t.test('the operator: deterministic, and a snapshot mid-stream carries on exactly', async (t) => {
  const input = seeded(5, 60, 3_000);
  const whole = drive(new CampaignWindows(context), input, 100);
  t.same(drive(new CampaignWindows(context), input, 100), whole, 'the same input gives the same output');
  const finals = whole.flatMap((b) => rowsOf(b.output)).filter((r) => r.final === 1);
  t.ok(finals.length > 10, `${finals.length} windows finalized`);
  const late = whole.flatMap((b) => b.late).filter((l) => l !== undefined);
  t.ok(late.length > 0, `${late.length} late feedback reported`);
  const keys = whole.flatMap((b) => b.output.feedback ?? []).map((f) => f.key);
  t.equal(keys.length, input.length, 'every event goes out as keyed feedback');
  t.equal(new Set(keys).size, input.length, 'with distinct keys');
  t.match(keys[0], /^fb:2:1:0$/, 'without a decision id: its position');
  t.equal(keys[1], `${input[1]!.campaign}:${input[1]!.decision_id}:${input[1]!.kind}`);

  for (const cut of [700, 1_500, 2_300]) {
    const original = new CampaignWindows(context);
    const head = drive(original, input.slice(0, cut), 100);
    const restored = new CampaignWindows(context);
    restored.restore(JSON.parse(JSON.stringify(original.snapshot())));
    t.same(restored.snapshot(), original.snapshot(), `cut at ${cut}: the snapshot survives JSON`);
    t.equal(restored.size, original.size);
    const tail = drive(restored, input.slice(cut), 100, 1 + cut / 100);
    t.same([...head, ...tail], whole, `cut at ${cut}: restore then continue == uninterrupted`);
  }

  // Offline: every event not reported late, counted once in its window, over all rows (latest version per key).
  const latest = new Map<string, CampaignWindowRow>();
  for (const r of whole.flatMap((b) => rowsOf(b.output))) latest.set(`${r.campaign}|${r.arm}|${r.start}`, r);
  const expected = new Map<string, number>();
  whole.forEach((b, bi) =>
    b.late.forEach((l, li) => {
      if (l !== undefined) return;
      const f = input[bi * 100 + li]!;
      const k = `${f.campaign}|${f.arm}|${Math.floor(f.ts / (10 * MIN)) * 10 * MIN}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }),
  );
  const actual = new Map(
    [...latest].map(([k, r]) => [k, r.impressions + r.clicks + r.conversions + r.rewards]),
  );
  t.same(
    Object.fromEntries([...actual].sort()),
    Object.fromEntries([...expected].sort()),
    'rows = offline count',
  );
  const open = new CampaignWindows(context);
  drive(open, input, 100);
  t.ok(open.size < latest.size / 4, `bounded: ${open.size} open windows of ${latest.size}`);
});

t.test('the host: feedback goes to the readers only and never moves the social watermark', async (t) => {
  t.equal(OPERATORS[3], campaignWindows, 'registered after the windows, activity and spikes');
  const host = new PartitionOperators({ ...context, operators: OPERATORS });
  t.ok(host.readsFeedback);
  t.notOk(new PartitionOperators({ ...context, operators: OPERATORS.slice(0, 3) }).readsFeedback);
  const f = fb({ decision_id: 'd1', ts: T0 + 20 * MIN });
  t.same(host.foldFeedback(f, 'spring:d1:impression'), []);
  t.equal(host.watermark.current, -Infinity, 'the social watermark did not move');
  const out = host.emitFeedback(3);
  t.same(out.feedback, [{ key: 'spring:d1:impression', event: f }]);
  t.same(
    out.writes.map((w) => w.table.name),
    ['campaign_windows'],
  );
  t.same(out.publish, []);
  t.same(host.emit(4).feedback, [], 'the social emit carries no feedback');
  t.same(host.foldFeedback(fb({ ts: T0 }), 'k2'), ['campaign 10m'], 'late for the campaign window');
  const snap = JSON.parse(JSON.stringify(host.snapshot())) as ReturnType<typeof host.snapshot>;
  const again = new PartitionOperators(host.options);
  again.restore(snap);
  t.same(again.snapshot(), host.snapshot(), 'the checkpoint holds the feedback state');
  const none = new PartitionOperators({ ...context, operators: [] });
  t.same(none.foldFeedback(f, 'k'), []);
  t.same(none.emitFeedback(1), { writes: [], live: [], publish: [], feedback: [] });
});
