import t from 'tap';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { enrichEvent, selectOperators, type OperatorContext, type SocialEvent } from '../../stream/index.js';
import { EMERGING_AFTER_WINDOWS } from '../../stream/operators/topics.js';
import { context, matcher, MIN, scorer, T0 } from '../helpers/analytics-context.js';

let n = 0;
/** `count` posts about Northwind Coffee in the minute from `at`, in the words of one conversation. */
function posts(at: number, count: number, words: string): SocialEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `p${n++}`,
    source: 'test',
    ts: at + Math.floor((i * MIN) / count),
    received_ts: at + Math.floor((i * MIN) / count),
    tags: { hashtags: [], mentions: ['northwindcoffee'], urls: [] },
    author: { id: `a${n % 40}`, followers: 10 },
    text: `@northwindcoffee ${words}`,
    engagement: { likes: 0, shares: 0, replies: 0 },
  }));
}

/** Runs the topics operator over the events (emitting every minute) and returns its final window rows. */
function finalTopicWindows(events: SocialEvent[]) {
  const op = selectOperators(['topics'])[0]!.create(context);
  const rows: Record<string, unknown>[] = [];
  let maxTs = -Infinity;
  let nextEmit = T0 + MIN;
  const emit = (wm: number) => {
    for (const w of op.emit(wm, 1).writes)
      if (w.table.name === 'topic_windows')
        rows.push(...(w.rows as readonly Record<string, unknown>[]).filter((r) => r.final === 1));
  };
  for (const e of events) {
    op.fold(enrichEvent(e, matcher, scorer), maxTs - 5_000);
    maxTs = Math.max(maxTs, e.ts);
    if (maxTs >= nextEmit) {
      emit(maxTs - 5_000);
      nextEmit += MIN;
    }
  }
  emit(Number.MAX_SAFE_INTEGER);
  return rows;
}

t.test('emerging: a new conversation that takes off after the warm-up, not the first topics', async (t) => {
  const steady = 'the oat milk latte foam is lovely this morning';
  const burst = 'app outage cannot login crash checkout broken';
  const events: SocialEvent[] = [];
  for (let m = 0; m < 6; m++) events.push(...posts(T0 + m * MIN, 20, steady));
  // in minute 4: a conversation nobody had before, 30 posts at once
  events.push(...posts(T0 + 4 * MIN, 30, burst));
  events.sort((a, b) => a.ts - b.ts);

  const rows = finalTopicWindows(events);
  const flagged = rows.filter((r) => r.emerging === 1);
  t.ok(rows.length >= 6, 'a final row per topic and window');
  const early = rows.filter((r) => (r.start as number) < T0 + EMERGING_AFTER_WINDOWS * MIN);
  t.ok(early.length > 0, 'the first windows have rows');
  t.same(
    early.filter((r) => r.emerging === 1),
    [],
    `nothing is emerging in the model's first ${EMERGING_AFTER_WINDOWS} windows: every topic is new then`,
  );
  t.ok(flagged.length > 0, 'the burst is emerging');
  t.ok(
    flagged.every((r) => r.start === T0 + 4 * MIN && String(r.terms).includes('outage')),
    'only the burst, in its own window',
  );
});

t.test('a restored operator from a checkpoint without the warm-up time counts as warm', async (t) => {
  const op = selectOperators(['topics'])[0]!.create(context);
  for (const e of posts(T0, 20, 'the oat milk latte foam is lovely'))
    op.fold(enrichEvent(e, matcher, scorer), 0);
  const state = JSON.parse(JSON.stringify(op.snapshot())) as { scopes: Record<string, unknown>[] };
  t.equal(state.scopes[0]!.since, T0, 'the snapshot holds when the model started');
  delete state.scopes[0]!.since;
  const restored = selectOperators(['topics'])[0]!.create(context);
  restored.restore(state);
  const again = restored.snapshot() as { scopes: Record<string, unknown>[] };
  t.equal(again.scopes[0]!.since, Number.MIN_SAFE_INTEGER, 'an older checkpoint: a model long warm');
});

t.test(
  'with the brands in its context, a topic is what is said, not the brand it is said about',
  async (t) => {
    const events = posts(T0, 40, 'Northwind Coffee app outage, cannot order #northwindcoffee').map((e) => ({
      ...e,
      text: e.text.replace('@northwindcoffee ', ''),
    }));
    /** The words of the topics as they stand (table `topics`), after the posts. */
    const topicWords = (ctx: OperatorContext) => {
      const op = selectOperators(['topics'])[0]!.create(ctx);
      for (const e of events) op.fold(enrichEvent(e, matcher, scorer), T0);
      const words = new Set<string>();
      for (const w of op.emit(T0 + 10 * MIN, 1).writes)
        if (w.table.name === 'topics')
          for (const r of w.rows as readonly Record<string, unknown>[])
            for (const [term] of JSON.parse(String(r.terms)) as [string, number][]) words.add(term);
      return [...words].sort();
    };
    t.same(topicWords(context), [
      '#northwindcoffee',
      'app',
      'cannot',
      'coffee',
      'northwind',
      'order',
      'outage',
    ]);
    t.same(
      topicWords({ ...context, brands: DEFAULT_BRANDS }),
      ['app', 'cannot', 'order', 'outage'],
      'the brand name and its hashtag are left out',
    );
  },
);

t.test('--topic-max-rate holds when posts come out of order between seconds', async (t) => {
  const op = selectOperators(['topics'])[0]!.create({
    ...context,
    analytics: { windowMs: MIN, topicMaxRate: 5 },
  });
  const clustered = (events: SocialEvent[]) => {
    for (const e of events) op.fold(enrichEvent(e, matcher, scorer), T0 - MIN);
    return [
      ...(op as unknown as { models(): Map<string, { retainedCount: number }> }).models().values(),
    ].reduce((n, m) => n + m.retainedCount, 0);
  };
  // 100 posts alternating between two seconds of event time (before, each one reset the count).
  const alternating = posts(T0, 100, 'cold brew tastes burnt today').map((e, i) => ({
    ...e,
    ts: T0 + (i % 2) * 1000,
  }));
  t.equal(
    clustered(alternating),
    6,
    'the first post of second 0, then 5 toward second 1: the posts of second 0 that come after count toward it',
  );
});

t.test('a restart with another --topic-scope starts: the other scope’s models are left behind', async (t) => {
  const withScope = (topicScope: 'brand' | 'global') =>
    selectOperators(['topics'])[0]!.create({ ...context, analytics: { windowMs: MIN, topicScope } });
  const models = (op: unknown) =>
    [...(op as { models(): Map<string, { retainedCount: number }> }).models()].map(
      ([name, m]) => [name, m.retainedCount] as const,
    );
  // 2,000 posts of distinct words: the global model keeps a reservoir of 2,000 posts, a brand's 500.
  const events = Array.from(
    { length: 2_000 },
    (_, i) => posts(T0 + Math.floor(i / 100) * MIN, 1, `word${i} thing${i % 37} stuff${i % 11}`)[0]!,
  ).map((e) => enrichEvent(e, matcher, scorer));
  for (const [from, to] of [
    ['global', 'brand'],
    ['brand', 'global'],
  ] as const) {
    const before = withScope(from);
    for (const e of events) before.fold(e, e.ts - MIN);
    before.emit(events.at(-1)!.ts - MIN, 1);
    const after = withScope(to);
    t.doesNotThrow(
      () => after.restore(JSON.parse(JSON.stringify(before.snapshot()))),
      `${from} → ${to}: restores`,
    );
    const later = posts(T0 + 30 * MIN, 20, 'cold brew tastes burnt today').map((e) =>
      enrichEvent(e, matcher, scorer),
    );
    for (const e of later) after.fold(e, e.ts - MIN);
    after.emit(T0 + 31 * MIN, 2);
    t.same(
      models(after).map(([name]) => name),
      [to === 'global' ? '*' : 'Northwind Coffee'],
      `${from} → ${to}: only the models of the scope it runs with, in memory and in its checkpoints`,
    );
  }
});
