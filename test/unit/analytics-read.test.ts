import t from 'tap';
import { Random } from '../../engines/stats/random.js';
import {
  mergeForecast,
  mergeSegments,
  mergeTopics,
  parseTerms,
  rankBestHours,
  rankInfluencers,
  scoreTrends,
  settledRows,
  shareOfVoice,
  termSimilarity,
  voiceGroup,
  type SegmentWindowRow,
  type TopicWindowRow,
  type EnrichedEvent,
  type VoiceWindowRow,
  type WindowedRow,
} from '../../stream/index.js';
import { sumWindows } from '../../stream/analytics/read-common.js';

const W = 300_000;
const win = (start: number, partition: number, final: number, version: number, size_ms = W): WindowedRow => ({
  start,
  size_ms,
  partition,
  final,
  version,
});

/** Every number in a JSON-able value is finite (JSON would turn NaN and Infinity into null). */
function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(allFinite);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(allFinite);
  return true;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = new Random(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

t.test('settledRows: the current window size, and the highest final per partition and window', async (t) => {
  const rows = [
    { ...win(0, 0, 0, 1), id: 'p0 update' },
    { ...win(0, 0, 1, 2), id: 'p0 final' },
    { ...win(0, 1, 0, 3), id: 'p1 update' },
    { ...win(W, 0, 0, 4), id: 'p0 next update' },
    { ...win(0, 0, 1, 1, 60_000), id: 'old size' },
  ];
  const settled = settledRows(rows);
  t.equal(settled.sizeMs, W, 'the size of the newest row');
  t.same(
    settled.rows.map((r) => r.id),
    ['p0 final', 'p1 update', 'p0 next update'],
  );
  const grouped = settledRows(
    [
      { ...win(0, 0, 1, 2), brand: 'a' },
      { ...win(0, 0, 0, 3), brand: 'b' },
    ],
    (r) => r.brand,
  );
  t.equal(grouped.rows.length, 2, 'groups are apart');
  t.same(settledRows([]), { sizeMs: null, rows: [] });

  // Versions count per partition: partition 0 has checkpointed more often than partition 1, which
  // restarted with a new window size; partition 0 has not written since.
  const restarted = [
    { ...win(0, 0, 1, 900, 60_000), id: 'p0 old size' },
    { ...win(60_000, 1, 0, 7), id: 'p1 new size' },
    { ...win(0, 1, 1, 6, 60_000), id: 'p1 old size' },
  ];
  t.equal(settledRows(restarted).sizeMs, W, 'the size of the partition that wrote the latest window');

  // An analysis that writes a window's whole list each time: only its latest write counts.
  const lists = [
    { ...win(0, 0, 0, 5), author: 'a' },
    { ...win(0, 0, 0, 5), author: 'b' },
    { ...win(0, 0, 0, 7), author: 'a' },
    { ...win(0, 0, 0, 7), author: 'c' },
    { ...win(0, 1, 0, 6), author: 'd' },
    { ...win(W, 0, 1, 8), author: 'e' },
    { ...win(W, 0, 0, 9), author: 'f' },
  ];
  t.same(
    settledRows(lists, undefined, { whole: true }).rows.map((r) => r.author),
    ['a', 'c', 'd', 'e'],
    'b dropped out of partition 0’s open list; a final list stands against a later update',
  );
  t.same(
    settledRows(lists).rows.map((r) => r.author),
    ['a', 'b', 'a', 'c', 'd', 'e'],
    'without whole, every update row of the window',
  );
});

t.test('sumWindows: counts and mean sentiment per window, oldest first, and over the range', async (t) => {
  const row = (start: number, posts: number, positive: number, sentiment_sum: number) => ({
    ...win(start, 0, 0, 1),
    posts,
    positive,
    sentiment_sum,
  });
  const rows = [row(W, 2, 1, 1), row(0, 3, 0, -0.6), row(W, 2, 2, 0.2), row(2 * W, 0, Number.NaN, 5)];
  const { total, windows } = sumWindows(rows, ['posts', 'positive'], 'posts');
  t.same(windows, [
    { start: 0, end: W, posts: 3, positive: 0, sentiment_mean: -0.6 / 3 },
    { start: W, end: 2 * W, posts: 4, positive: 3, sentiment_mean: (1 + 0.2) / 4 },
    { start: 2 * W, end: 3 * W, posts: 0, positive: 0, sentiment_mean: null },
  ]);
  t.same(total, { posts: 7, positive: 3, sentiment_mean: (1 - 0.6 + 0.2 + 5) / 7 });
  t.same(sumWindows([], ['posts'], 'posts'), { total: { posts: 0, sentiment_mean: null }, windows: [] });
});

t.test('mergeTopics and mergeSegments: per-window points and totals', async (t) => {
  const terms = '[["rain",1]]';
  const topics = mergeTopics(
    [
      { ...topicRow(0, 1, W, 4, terms), positive: 3, sentiment_sum: 2 },
      { ...topicRow(1, 1, 0, 1, terms), negative: 1, sentiment_sum: -1, emerging: 1 },
      { ...topicRow(1, 1, W, 2, terms), positive: 1, sentiment_sum: 1 },
    ],
    [],
  );
  t.equal(topics.length, 1, 'alike topics of two partitions are one');
  t.match(topics[0], {
    docs: 7,
    positive: 4,
    negative: 1,
    sentiment_mean: (2 - 1 + 1) / 7,
    emerging: true,
    windows: [
      { start: 0, end: W, docs: 1, positive: 0, negative: 1, sentiment_mean: -1, emerging: true },
      { start: W, end: 2 * W, docs: 6, positive: 4, negative: 0, sentiment_mean: 3 / 6, emerging: false },
    ],
  });
  const segment = (partition: number, start: number, posts: number, sentiment_sum: number) => ({
    ...win(start, partition, 0, 1),
    segment: 2,
    posts,
    positive: posts,
    negative: 0,
    sentiment_sum,
    engagement: 10 * posts,
  });
  const [s] = mergeSegments([], [segment(0, W, 2, 1), segment(1, W, 3, 0.5), segment(1, 0, 0, 0)]);
  t.match(s, {
    id: 2,
    posts: 5,
    positive: 5,
    engagement: 50,
    sentiment_mean: 1.5 / 5,
    windows: [
      { start: 0, end: W, posts: 0, engagement: 0, sentiment_mean: null },
      { start: W, end: 2 * W, posts: 5, positive: 5, negative: 0, engagement: 50, sentiment_mean: 1.5 / 5 },
    ],
  });
});

function topicRow(
  partition: number,
  topic: number,
  start: number,
  docs: number,
  terms: string,
): TopicWindowRow {
  return {
    scope: 's',
    ...win(start, partition, 0, 1),
    topic,
    docs,
    positive: 0,
    negative: 0,
    sentiment_sum: docs * 0.1,
    terms,
    emerging: 0,
  };
}

t.test('parseTerms and termSimilarity take bad input without throwing', async (t) => {
  t.same(
    [...parseTerms('[["a",1],["b",0.5]]')],
    [
      ['a', 1],
      ['b', 0.5],
    ],
  );
  for (const bad of ['', 'null', '{}', '[1,2]', '[["a","x"]]', '[["",1]]', '[["a",-1]]', '[["a",1e999]]'])
    t.same([...parseTerms(bad)], [], bad);
  t.equal(termSimilarity(new Map(), new Map([['a', 1]])), 0);
  t.equal(termSimilarity(new Map([['a', 2]]), new Map([['a', 5]])), 1);
});

t.test('mergeTopics: deterministic in any row order, bounded, finite', async (t) => {
  const random = new Random(7);
  const vocabulary = Array.from({ length: 40 }, (_, i) => `term${i}`);
  const rows: TopicWindowRow[] = [];
  for (let p = 0; p < 4; p++)
    for (let topic = 0; topic < 30; topic++) {
      const terms = Array.from({ length: 5 }, () => [random.pick(vocabulary), round3(random.next())]);
      for (let w = 0; w < 3; w++)
        rows.push(topicRow(p, topic, w * W, 1 + random.int(20), JSON.stringify(terms)));
    }
  const a = mergeTopics(rows, [], { limit: 200 });
  const b = mergeTopics(shuffled(rows, 1), [], { limit: 200 });
  t.same(b, a, 'the same topics whatever the order of the rows');
  t.equal(JSON.stringify(mergeTopics(rows, [], { limit: 200 })), JSON.stringify(a), 'and on a second run');
  t.ok(a.length < 120, 'alike topics merged');
  t.equal(
    a.reduce((n, x) => n + x.docs, 0),
    rows.reduce((n, r) => n + r.docs, 0),
    'no post lost or counted twice',
  );
  for (const topic of a) {
    const partitions = topic.members.map((m) => m.split('-')[0]);
    t.equal(new Set(partitions).size, partitions.length, `${topic.id}: one topic per partition at most`);
  }
  t.ok(allFinite(a));
  t.equal(mergeTopics(rows, []).length, 20, 'the default limit');
});

t.test('settled rows add up the same whatever order a store returns them in', async (t) => {
  const random = new Random(11);
  const voice: VoiceWindowRow[] = [];
  const segments: SegmentWindowRow[] = [];
  for (let p = 0; p < 4; p++)
    for (let w = 0; w < 6; w++) {
      const final = w < 5 ? 1 : 0;
      for (const brand of ['A', 'B', 'C']) {
        const posts = 1 + random.int(50);
        const counts = { posts, positive: random.int(posts), negative: 0, engagement: random.int(99) };
        voice.push({
          ...win(w * W, p, final, 9),
          brand,
          reach: random.int(1e6),
          ...counts,
          sentiment_sum: random.next() * posts - posts / 3,
        });
      }
      for (let segment = 0; segment < 3; segment++) {
        const posts = 1 + random.int(50);
        segments.push({
          ...win(w * W, p, final, 9),
          segment,
          posts,
          positive: 0,
          negative: 0,
          engagement: 1,
          sentiment_sum: random.next() - 0.3,
        });
      }
    }
  const group = [
    { name: 'A', kind: 'own' as const },
    { name: 'B', kind: 'competitor' as const },
    { name: 'C', kind: 'competitor' as const },
  ];
  const voiceOf = (rows: VoiceWindowRow[]) =>
    JSON.stringify(shareOfVoice(settledRows(rows, (r) => r.brand).rows, group));
  const segmentsOf = (rows: SegmentWindowRow[]) => JSON.stringify(mergeSegments([], settledRows(rows).rows));
  for (const seed of [1, 2, 3]) {
    t.equal(
      voiceOf(shuffled(voice, seed)),
      voiceOf(voice),
      `share of voice, order ${seed}: the same to the last bit`,
    );
    t.equal(segmentsOf(shuffled(segments, seed)), segmentsOf(segments), `segments, order ${seed}`);
  }
});

t.test(
  'mergeForecast: a lagging partition cuts the forecast short by its lag; a stale one is left out',
  async (t) => {
    const H = 3_600_000;
    const T = Date.UTC(2026, 11, 7);
    const rows = (partition: number, from: number) =>
      Array.from({ length: 168 }, (_, step) => ({
        brand: 'A',
        partition,
        step,
        ts: from + step * H,
        posts: 10,
        engagement: 20,
        version: 1,
      }));
    const hours = (lagHours: number) => mergeForecast([...rows(0, T), ...rows(1, T - lagHours * H)]);
    t.equal(hours(0).length, 168);
    t.equal(hours(0)[0]!.posts, 20, 'both partitions added');
    t.equal(hours(5).length, 163, 'five hours behind: the hours both cover');
    t.equal(hours(168).length, 168, 'a week behind (no posts of the brand there since): left out');
    t.equal(hours(168)[0]!.posts, 10);
    t.same(mergeForecast([]), []);
  },
);

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

t.test('mergeTopics: huge cardinalities stay bounded by maxMembers and limit', async (t) => {
  const rows: TopicWindowRow[] = [];
  for (let i = 0; i < 20_000; i++)
    rows.push(topicRow(i % 4, i, 0, 1 + (i % 3), JSON.stringify([[`t${i}`, 1]])));
  const topics = mergeTopics(rows, [], { limit: 100, maxMembers: 500 });
  t.equal(topics.length, 100);
  t.ok(
    topics.every((x) => x.docs === 3),
    'the largest first',
  );
});

t.test('bad numbers (NaN, Infinity, negative) give defined, finite results', async (t) => {
  const nan = Number.NaN;
  const topics = mergeTopics(
    [{ ...topicRow(0, 1, 0, nan, '[["a",1]]'), sentiment_sum: Infinity }, topicRow(1, 1, 0, 2, '[["a",1]]')],
    [],
  );
  t.ok(allFinite(topics));
  t.equal(topics[0]!.docs, 2);

  const trends = scoreTrends([
    { brand: 'b', term: 'x', ...win(0, 0, 1, 1), count: nan, baseline: Infinity, warm: 1 },
    { brand: 'b', term: 'y', ...win(0, 1, 1, 1), count: -5, baseline: nan, warm: 1 },
  ]);
  t.ok(allFinite(trends));
  t.ok(trends[0]!.terms.every((x) => x.trending === false));

  const voice = shareOfVoice(
    [
      {
        brand: 'A',
        ...win(0, 0, 1, 1),
        posts: nan,
        positive: 1,
        negative: 0,
        sentiment_sum: nan,
        reach: Infinity,
        engagement: 1,
      },
    ],
    [{ name: 'A' }, { name: 'B', kind: 'competitor' }],
  );
  t.ok(allFinite(voice.windows.map((w) => w.brands.map((b) => [b.posts, b.reach, b.engagement]))));
  t.equal(voice.brands[0]!.share, null, 'no posts: no share');

  const influencers = rankInfluencers([
    { brand: 'b', author: 'a', ...win(0, 0, 1, 1), score: nan, mentions: Infinity, followers: -1 },
  ]);
  t.same(influencers, [{ author: 'a', score: 0, mentions: 0, followers: 0, windows: 1 }]);

  const hours = rankBestHours([
    { brand: 'b', partition: 0, hour: 3, posts: nan, engagement: 1, engagement_sq: 1, version: 1 },
    { brand: 'b', partition: 0, hour: 999, posts: 5, engagement: 1, engagement_sq: 1, version: 1 },
    { brand: 'b', partition: 1, hour: 4, posts: 2, engagement: Infinity, engagement_sq: nan, version: 1 },
  ]);
  t.ok(allFinite(hours));
  t.same(
    hours.map((h) => h.hour),
    [4],
    'hours out of the week and without posts are left out',
  );

  const forecast = mergeForecast([
    { brand: 'b', partition: 0, step: 0, ts: nan, posts: 1, engagement: 1, version: 1 },
    { brand: 'b', partition: 0, step: 1, ts: 3_600_000, posts: nan, engagement: Infinity, version: 1 },
  ]);
  t.ok(allFinite(forecast.map((f) => [f.ts, f.posts, f.engagement])));
  t.equal(forecast[0]!.engagement_per_post, null);

  const segments = mergeSegments(
    [{ partition: 0, segment: 0, label: 'x', authors: nan, centroid: '{"a":"NaN","b":1}', version: 1 }],
    [
      {
        segment: 0,
        ...win(0, 0, 0, 1),
        posts: Infinity,
        positive: 0,
        negative: 0,
        sentiment_sum: nan,
        engagement: 0,
      },
    ],
  );
  t.ok(allFinite(segments));
  t.same(segments[0]!.centroid, { b: 1 });
});

t.test(
  'voiceGroup: an own brand against the competitors, a competitor against every other brand',
  async (t) => {
    const all = [
      { name: 'Own A' },
      { name: 'Own B', kind: 'own' as const },
      { name: 'Comp C', kind: 'competitor' as const },
      { name: 'Comp D', kind: 'competitor' as const },
    ];
    t.same(
      voiceGroup(all[0]!, all).map((b) => b.name),
      ['Own A', 'Comp C', 'Comp D'],
    );
    t.same(
      voiceGroup(all[2]!, all).map((b) => b.name),
      ['Comp C', 'Own A', 'Own B', 'Comp D'],
    );
  },
);

t.test('rankInfluencers: many authors, bounded answer', async (t) => {
  const rows = Array.from({ length: 50_000 }, (_, i) => ({
    brand: 'b',
    author: `a${i}`,
    ...win((i % 5) * W, i % 4, 1, 1),
    score: i % 1000,
    mentions: 1,
    followers: 10,
  }));
  const top = rankInfluencers(rows, 10);
  t.equal(top.length, 10);
  t.equal(top[0]!.score, 999);
  t.same(rankInfluencers(shuffled(rows, 3), 10), top, 'the same ranking in any order');
});

t.test(
  'scoreTrends: nothing trends in a window a partition’s detector was still warming up for',
  async (t) => {
    const row = (partition: number, warm: number) => ({
      brand: 'b',
      term: '#new',
      ...win(0, partition, 1, 1),
      count: 40,
      baseline: 0,
      warm,
    });
    t.equal(
      scoreTrends([row(0, 1), row(1, 1)])[0]!.terms[0]!.trending,
      true,
      'every partition warm: it trends',
    );
    const cold = scoreTrends([row(0, 1), row(1, 0)])[0]!.terms[0]!;
    t.match(
      cold,
      { count: 80, baseline: 0, trending: false },
      'one partition still learning: counts shown, no trend',
    );
  },
);

t.test('scoreTrends: windows outside the answer range are history only', async (t) => {
  const rows = [0, 1, 2].map((k) => ({
    brand: 'b',
    term: '#new',
    ...win(k * W, 0, 1, k + 1),
    count: 6,
    baseline: 1,
    warm: 1,
  }));
  const all = scoreTrends(rows);
  t.same(
    all.map((w) => [w.start, w.terms[0]!.trending]),
    [
      [2 * W, true],
      [W, false],
      [0, false],
    ],
    'the third window trends over the three',
  );
  const last = scoreTrends(rows, undefined, { from: 2 * W, to: 3 * W });
  t.same(last, [all[0]], 'the last window alone, scored with the two before it');
  t.same(scoreTrends(rows, undefined, { from: 3 * W, to: Infinity }), [], 'no window in the range');
});

t.test(
  'mergeSegments: a partition’s segments are those of its latest write, not ids it no longer has',
  async (t) => {
    const row = (partition: number, segment: number, authors: number, version: number) => ({
      partition,
      segment,
      label: `p${partition} s${segment} v${version}`,
      authors,
      centroid: '{"reach":1}',
      version,
    });
    // Partition 0 had 5 segments, then was restarted with --segments 3 (or a re-segmentation found
    // fewer groups): its rows of segments 3 and 4 stay in the table under their own keys.
    const rows = [
      ...[0, 1, 2, 3, 4].map((s) => row(0, s, 100, 10)),
      ...[0, 1, 2].map((s) => row(0, s, 150, 20)),
      ...[0, 1, 2].map((s) => row(1, s, 40, 7)),
    ];
    const segments = mergeSegments(shuffled(rows, 1), []);
    t.same(
      segments.map((s) => [s.id, s.authors]),
      [
        [0, 190],
        [1, 190],
        [2, 190],
      ],
      'the authors of version 20 of partition 0 and version 7 of partition 1; ids 3 and 4 gone',
    );
  },
);

t.test(
  'mergeSegments: a segment no partition has now keeps its last centroid (and label) for its posts in the range',
  async (t) => {
    const rows = [
      { partition: 0, segment: 4, label: 'gone', authors: 30, centroid: '{"reach":2}', version: 10 },
      { partition: 0, segment: 0, label: 'kept', authors: 150, centroid: '{"reach":1}', version: 20 },
    ];
    const windows: SegmentWindowRow[] = [
      { ...win(0, 0, 1, 5), segment: 4, posts: 3, positive: 0, negative: 0, sentiment_sum: 0, engagement: 0 },
    ];
    t.same(
      mergeSegments(rows, windows).map((s) => [s.id, s.label, s.authors, s.centroid, s.posts]),
      [
        [0, 'low reach · occasional · neutral', 150, { reach: 1 }, 0],
        [4, 'mid reach · occasional · neutral', 0, { reach: 2 }, 3],
      ],
    );
  },
);

t.test(
  'mean sentiment of voice, topics and segments leaves posts in unsupported languages out',
  async (t) => {
    const { ShareOfVoice } = await import('../../stream/operators/share-of-voice.js');
    const { context, T0 } = await import('../helpers/analytics-context.js');
    const post = (i: number, label: 'positive' | 'unsupported'): EnrichedEvent =>
      ({
        id: `p${i}`,
        source: 'test',
        ts: T0 + i,
        received_ts: T0 + i,
        author: { id: `a${i}`, followers: 1 },
        text: 'x',
        tags: { hashtags: [], mentions: [], urls: [] },
        engagement: { likes: 0, shares: 0, replies: 0 },
        brands: ['Northwind Coffee'],
        sentiment:
          label === 'positive'
            ? { label, score: 0.5, model: 'rules', tier: 'rules' }
            : { label, score: 0, model: 'langid-heuristic-v1', tier: 'none' },
      }) as EnrichedEvent;
    const events = [post(0, 'positive'), post(1, 'unsupported'), post(2, 'positive'), post(3, 'unsupported')];

    const voice = new ShareOfVoice(context);
    for (const e of events) voice.fold(e, T0 - 1);
    const voiceRows = voice.emit(T0 + 10 * W, 1).writes[0]!.rows as unknown as VoiceWindowRow[];
    const [brand] = shareOfVoice(voiceRows, [{ name: 'Northwind Coffee' }]).brands;
    t.equal(brand!.posts, 4, 'every post counts in the volume');
    t.equal(brand!.sentiment_mean, 0.5, 'the mean is over the two scored posts, as in the windows');

    const segmentRows: SegmentWindowRow[] = [
      {
        ...win(0, 0, 1, 1),
        segment: 0,
        posts: 4,
        positive: 2,
        negative: 0,
        sentiment_sum: 1,
        scored: 2,
        engagement: 0,
      },
    ];
    t.equal(mergeSegments([], segmentRows)[0]!.sentiment_mean, 0.5, 'segments too');

    const topicRows = [{ ...topicRow(0, 1, 0, 4, '[["x",1]]'), sentiment_sum: 1, scored: 2 }];
    t.equal(mergeTopics(topicRows, [])[0]!.sentiment_mean, 0.5, 'and topics');
    const { postCountsAggregator } = await import('../../stream/analytics/windowed.js');
    t.equal(
      postCountsAggregator.restore([3, 1, 0, 0.5, 0, 0]).scored,
      3,
      'open windows of a checkpoint from before: every post taken as scored',
    );
  },
);
