import t from 'tap';
import {
  AudienceSegments,
  DEFAULT_SEGMENT_OPTIONS,
  SEGMENT_FEATURES,
  hungarian,
  type AuthorPost,
  type Segment,
  type SegmentOptions,
} from '../../engines/clusters/segments.js';
import { Random } from '../../engines/stats/index.js';
import { segmentLabels } from '../../engines/clusters/author-features.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);
const BRANDS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'];

/** A planted kind of author: log10 followers, posts a day, mean sentiment, mean engagement, brands they talk about. */
interface Group {
  reach: number;
  rate: number;
  sentiment: number;
  engagement: number;
  brands: number;
}

const GROUPS: Record<string, Group> = {
  A: { reach: 1.5, rate: 1, sentiment: -0.5, engagement: 1, brands: 1 },
  B: { reach: 3, rate: 2, sentiment: 0, engagement: 10, brands: 2 },
  C: { reach: 5.5, rate: 4, sentiment: 0.6, engagement: 200, brands: 4 },
  D: { reach: 2, rate: 6, sentiment: -0.6, engagement: 3, brands: 6 },
  /** Angry celebrities: far from every other group. */
  E: { reach: 7.5, rate: 4, sentiment: -0.8, engagement: 5000, brands: 1 },
};

type Post = AuthorPost & { group: string };

/** Posts of `n` authors per group, each posting as a Poisson process between two days; time order. */
function stream(seed: number, cohorts: readonly Cohort[], prefix = '') {
  const rng = new Random(seed);
  const out: Post[] = [];
  for (const [group, n, from, to] of cohorts) {
    const g = GROUPS[group]!;
    for (let i = 0; i < n; i++) {
      const author = `${prefix}${group}${i}`;
      const followers = Math.round(Math.pow(10, g.reach + rng.normal(0, 0.3)));
      const rate = g.rate * Math.exp(rng.normal(0, 0.2));
      const mine = [...BRANDS].sort(() => rng.next() - 0.5).slice(0, g.brands);
      let ts = T0 + from * DAY + (rng.next() / rate) * DAY;
      while (ts < T0 + to * DAY) {
        out.push({
          author,
          group,
          followers,
          ts: Math.round(ts),
          sentiment: Math.max(-1, Math.min(1, g.sentiment + rng.normal(0, 0.3))),
          engagement: rng.poisson(g.engagement),
          brands: [mine[rng.int(mine.length)]!],
        });
        ts += (-Math.log(1 - rng.next()) / rate) * DAY;
      }
    }
  }
  return out.sort((a, b) => a.ts - b.ts || (a.author < b.author ? -1 : 1));
}

/** Adjusted Rand index (Hubert & Arabie 1985) of two labelings. */
function ari(a: readonly unknown[], b: readonly unknown[]): number {
  const pairs = (x: number) => (x * (x - 1)) / 2;
  const count = (keys: string[]) => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return [...m.values()].reduce((s, v) => s + pairs(v), 0);
  };
  const joint = count(a.map((x, i) => `${String(x)}|${String(b[i])}`));
  const sa = count(a.map(String));
  const sb = count(b.map(String));
  const expected = (sa * sb) / pairs(a.length);
  return (joint - expected) / ((sa + sb) / 2 - expected);
}

/** Runs posts through the engine; returns each author's group and the events seen (with the day they came). */
function run(seg: AudienceSegments, posts: readonly Post[]) {
  const groupOf = new Map<string, string>();
  const events: { day: number; reason: string; moved: number }[] = [];
  for (const p of posts) {
    seg.observe(p);
    groupOf.set(p.author, p.group);
    for (const e of seg.drainEvents())
      events.push({ day: Math.floor((e.at - T0) / DAY), reason: e.reason, moved: e.moved });
  }
  return { groupOf, events };
}

/** The segment most of a group's authors are in, and the share of them in it. */
function majority(seg: AudienceSegments, groupOf: Map<string, string>, group: string): [number, number] {
  const counts = new Map<number, number>();
  let n = 0;
  for (const [author, g] of groupOf) {
    if (g !== group) continue;
    const id = seg.segmentOf(author);
    if (id === undefined) continue;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    n++;
  }
  const [id, c] = [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0] ?? [-1, 0];
  return [id, n === 0 ? 0 : c / n];
}

function scored(seg: AudienceSegments, groupOf: Map<string, string>) {
  const truth: string[] = [];
  const found: number[] = [];
  for (const [author, g] of groupOf) {
    const id = seg.segmentOf(author);
    if (id === undefined) continue;
    truth.push(g);
    found.push(id);
  }
  return { ari: ari(truth, found), assigned: found.length };
}

function finiteSegments(segments: readonly Segment[]): boolean {
  return segments.every(
    (s) => Number.isFinite(s.authors) && Object.values(s.centroid).every(Number.isFinite),
  );
}

type Cohort = [group: string, n: number, fromDay: number, toDay: number];

const THREE: Cohort[] = [
  ['A', 200, 0, 21],
  ['B', 200, 0, 21],
  ['C', 200, 0, 21],
];

t.test('options: defaults, overrides and RangeErrors naming the option', async (t) => {
  const seg = new AudienceSegments();
  t.same(seg.options, DEFAULT_SEGMENT_OPTIONS);
  t.equal(seg.options.k, 5);
  t.equal(seg.options.maxAuthors, 100_000);
  t.same(SEGMENT_FEATURES, ['activity', 'sentiment', 'engagement', 'reach', 'brands']);
  for (const [bad, name] of [
    [{ k: 0 }, 'k'],
    [{ k: 2.5 }, 'k'],
    [{ maxAuthors: 0 }, 'maxAuthors'],
    [{ warmup: -1 }, 'warmup'],
    [{ reservoirSize: NaN }, 'reservoirSize'],
    [{ learningRate: 2 }, 'learningRate'],
    [{ driftRatio: 1 }, 'driftRatio'],
    [{ driftWindow: 0 }, 'driftWindow'],
    [{ activityHalfLifeMs: 0 }, 'activityHalfLifeMs'],
    [{ minPosts: 0 }, 'minPosts'],
  ] as [Partial<SegmentOptions>, string][])
    t.throws(
      () => new AudienceSegments(bad),
      { name: 'RangeError', message: new RegExp(`option ${name} `) },
      name,
    );
});

t.test('recovers three planted groups of authors', async (t) => {
  const seg = new AudienceSegments({ k: 3, warmup: 300, driftWindow: 500 });
  const posts = stream(1, THREE);
  t.equal(seg.observe(posts[0]!), null, 'no segment before the first segmentation');
  const { groupOf, events } = run(seg, posts.slice(1));
  const { ari, assigned } = scored(seg, groupOf);
  const purity = ['A', 'B', 'C'].map((g) => majority(seg, groupOf, g));
  t.comment(`planted groups: ARI ${ari.toFixed(3)} over ${assigned} authors from ${posts.length} posts`);
  t.comment(`majority share per group: ${purity.map(([, s]) => s.toFixed(3)).join(', ')}`);
  t.comment(`events: ${JSON.stringify(events)}`);
  t.equal(events[0]!.reason, 'warmup');
  t.equal(assigned, 600, 'every author has a segment');
  t.ok(ari > 0.95, `ARI ${ari}`);
  t.equal(new Set(purity.map(([id]) => id)).size, 3, 'each group has a segment of its own');
  const segments = seg.segments();
  t.same(
    segments.map((s) => s.id),
    [0, 1, 2],
  );
  t.equal(
    segments.reduce((n, s) => n + s.authors, 0),
    seg.authorCount,
  );
  t.same(Object.keys(segments[0]!.centroid).sort(), [...SEGMENT_FEATURES].sort());
  const c = segments.find((s) => s.id === majority(seg, groupOf, 'C')[0])!;
  t.match(c.label, /^high reach · very active · positive/);
  t.ok(Math.abs(c.centroid.reach! - 5.5) < 0.3, 'centroid in raw units: log10 followers');
  t.ok(c.centroid.engagement! > 100 && c.centroid.engagement! < 300, 'engagement per post');
  t.ok(Math.abs(c.centroid.brands! - 4) < 0.6, 'distinct brands');
  const a = segments.find((s) => s.id === majority(seg, groupOf, 'A')[0])!;
  t.match(a.label, /^low reach · .* · negative/);
  t.equal(new Set(segments.map((s) => s.label)).size, segments.length, 'labels are distinct');
  t.same(
    segments.map((s) => s.id),
    [...segments].sort((x, y) => x.centroid.reach! - y.centroid.reach!).map((s) => s.id),
    'ids in canonical order: by reach first',
  );
});

t.test('drift: none while the population stays, a re-segmentation when it changes, stable ids', async (t) => {
  const options = { k: 3, warmup: 540, driftWindow: 500 };
  const stable = new AudienceSegments(options);
  const stayed = run(
    stable,
    stream(
      2,
      THREE.map(([g, n]) => [g, n, 0, 28]),
    ),
  );
  t.same(
    stayed.events.map((e) => e.reason),
    ['warmup'],
    'a stable population: no drift',
  );
  t.ok(scored(stable, stayed.groupOf).ari > 0.95);

  // The same authors, and from day 14 a new kind: angry celebrities, far from every group. Three segments
  // cannot hold four groups: the closest two (A and B) must share one.
  const all = stream(2, [...THREE.map(([g, n]) => [g, n, 0, 28] as Cohort), ['E', 100, 14, 28]]);
  const changing = new AudienceSegments(options);
  const first = run(
    changing,
    all.filter((p) => p.ts < T0 + 14 * DAY),
  );
  t.same(
    first.events.map((e) => e.reason),
    ['warmup'],
  );
  const warmupMoves = changing.drainMoves();
  t.equal(
    warmupMoves.length,
    first.events[0]!.moved,
    'the first segmentation lists every author it assigned',
  );
  const ids = new Set(changing.segments().map((x) => x.id));
  t.ok(
    warmupMoves.every(([author, segment]) => first.groupOf.has(author) && ids.has(segment)),
    'each with a segment of that segmentation',
  );
  const before = Object.fromEntries(['A', 'B', 'C'].map((g) => [g, majority(changing, first.groupOf, g)[0]]));
  t.equal(new Set(Object.values(before)).size, 3, 'three groups, three segments');
  const second = run(
    changing,
    all.filter((p) => p.ts >= T0 + 14 * DAY),
  );
  t.comment(
    `ids before the change: ${JSON.stringify(before)}; events after: ${JSON.stringify(second.events)}`,
  );
  t.ok(second.events.length >= 1, 'drift detected');
  t.ok(
    second.events.every((e) => e.reason === 'drift' && e.day >= 14 && e.day <= 16 && e.moved > 0),
    'within two days of the change',
  );
  const groupOf = new Map([...first.groupOf, ...second.groupOf]);
  const [c, cShare] = majority(changing, groupOf, 'C');
  t.equal(c, before.C, 'group C did not move and keeps its id');
  t.ok(cShare > 0.95);
  const [a] = majority(changing, groupOf, 'A');
  const [b] = majority(changing, groupOf, 'B');
  t.equal(a, b, 'A and B now share a segment');
  t.ok(a === before.A || a === before.B, 'which keeps the id of one of them');
  const moves = new Map(changing.drainMoves());
  const movedByDrift = second.events.reduce((sum, e) => sum + e.moved, 0);
  t.ok(
    moves.size > 0 && moves.size <= movedByDrift,
    `the re-segmentations list the authors they moved (${moves.size} authors, ${movedByDrift} moves)`,
  );
  t.ok(
    [...moves].every(([author, segment]) => groupOf.has(author) && ids.has(segment)),
    'each with a segment of the new segmentation',
  );
  t.same(changing.drainMoves(), [], 'once');
  const [e, eShare] = majority(changing, groupOf, 'E');
  t.ok(eShare > 0.95, 'the angry celebrities are one segment');
  t.not(e, c);
  t.not(e, a);
  t.match(changing.segments().find((s) => s.id === e)!.label, /^high reach · very active · negative/);
});

t.test('two instances on alike data give alike ids to alike centroids', async (t) => {
  const a = new AudienceSegments({ k: 3, warmup: 300, seed: 1 });
  const b = new AudienceSegments({ k: 3, warmup: 300, seed: 99 });
  run(a, stream(5, THREE, 'p0-'));
  run(b, stream(6, THREE, 'p1-'));
  const sa = a.segments();
  const sb = b.segments();
  t.equal(sa.length, 3);
  t.same(
    sa.map((s) => s.id),
    sb.map((s) => s.id),
  );
  for (let i = 0; i < sa.length; i++) {
    t.equal(sa[i]!.label, sb[i]!.label, `segment ${sa[i]!.id}: same label`);
    t.ok(Math.abs(sa[i]!.centroid.reach! - sb[i]!.centroid.reach!) < 0.2, 'same reach');
    t.ok(Math.abs(sa[i]!.authors - sb[i]!.authors) <= 10, 'about the same size');
  }
});

t.test('deterministic, and a JSON snapshot round trip continues identically', async (t) => {
  const posts = stream(7, [...THREE.map(([g, n]) => [g, n, 0, 14] as Cohort), ['E', 100, 7, 14]]);
  const options = { k: 3, warmup: 200, driftWindow: 300, maxAuthors: 500, reservoirSize: 300 };
  const a = new AudienceSegments(options);
  const b = new AudienceSegments(options);
  const half = posts.findIndex((p) => p.ts >= T0 + 7 * DAY); // the snapshot just before the newcomers
  const ra = posts.slice(0, half).map((p) => a.observe(p));
  const rb = posts.slice(0, half).map((p) => b.observe(p));
  t.same(ra, rb, 'same seed and input, same answers');
  t.same(a.snapshot(), b.snapshot());
  const c = new AudienceSegments(options);
  c.restore(JSON.parse(JSON.stringify(a.snapshot())));
  const rest = posts.slice(half);
  t.same(
    rest.map((p) => c.observe(p)),
    rest.map((p) => a.observe(p)),
    'the restored instance answers as the original',
  );
  t.same(c.snapshot(), a.snapshot());
  t.same(c.segments(), a.segments());
  const events = a.drainEvents();
  t.same(c.drainEvents(), events);
  t.comment(`events: ${JSON.stringify(events)}`);
  t.ok(
    events.some((e) => e.reason === 'drift'),
    'the run covers a drift re-segmentation',
  );
  t.equal(c.authorCount, a.authorCount);
  t.ok(a.authorCount <= 500);
});

t.test('k larger than the data: fewer segments, no throw', async (t) => {
  const seg = new AudienceSegments({ k: 5, warmup: 3, minPosts: 1 });
  const post = (author: string, followers: number, sentiment: number): AuthorPost => ({
    author,
    followers,
    ts: T0,
    sentiment,
    engagement: 1,
    brands: ['acme'],
  });
  t.equal(seg.observe(post('a', 10, 0)), null);
  t.equal(seg.observe(post('b', 10_000, 0.5)), null);
  t.type(seg.observe(post('c', 100, -0.5)), 'number');
  t.equal(seg.segments().length, 3, 'three authors, three segments');
  t.same(seg.drainEvents(), [{ type: 'resegmented', at: T0, reason: 'warmup', moved: 3 }]);

  const alike = new AudienceSegments({ k: 4, warmup: 10, minPosts: 1 });
  for (let i = 0; i < 10; i++) alike.observe(post(`x${i}`, 50, 0));
  t.equal(alike.segments().length, 1, 'identical authors: one segment');
  t.equal(alike.segments()[0]!.authors, 10);
});

t.test('caps: authors, brands, events; sizes add up', async (t) => {
  const seg = new AudienceSegments({ k: 3, warmup: 20, maxAuthors: 50, maxBrandsPerAuthor: 4, minPosts: 1 });
  const rng = new Random(9);
  for (let i = 0; i < 5000; i++)
    seg.observe({
      author: `u${rng.int(400)}`,
      followers: rng.pareto(10, 1.2),
      ts: T0 + i * 60_000,
      sentiment: rng.normal(0, 0.5),
      engagement: rng.poisson(5),
      brands: Array.from({ length: 5 }, () => `brand${rng.int(1000)}`),
    });
  t.equal(seg.authorCount, 50, 'least recently seen authors forgotten');
  t.equal(
    seg.segments().reduce((n, s) => n + s.authors, 0),
    50,
  );
  const { authors } = seg.snapshot();
  t.equal(authors.ids.length, 50);
  t.ok(
    authors.brands.every((l) => authors.brandLists[l]!.length <= 4),
    'brands per author capped',
  );
  t.ok(authors.ids.every((id) => `${authors.idPrefix}${id}`.startsWith('u')));
  t.ok(finiteSegments(seg.segments()));
});

t.test('bad input: no throw, no NaN', async (t) => {
  const seg = new AudienceSegments({ k: 3, warmup: 5, minPosts: 1 });
  const bad: unknown[] = [
    { author: 'a', followers: NaN, ts: NaN, sentiment: NaN, engagement: NaN, brands: [] },
    { author: 'b', followers: -5, ts: Infinity, sentiment: 7, engagement: -1, brands: null },
    {
      author: 'c',
      followers: Infinity,
      ts: -1e20,
      sentiment: -Infinity,
      engagement: Infinity,
      brands: [1, '', {}],
    },
    { author: 'd', followers: 1e300, ts: T0, sentiment: 0.5, engagement: 1e300, brands: ['acme', 'acme'] },
    { author: 'e', followers: 10, ts: T0 - DAY, sentiment: 0, engagement: 0, brands: ['x'] },
    { author: 'a', followers: 10, ts: T0 - 2 * DAY, sentiment: 0, engagement: 3, brands: ['y'] },
    { author: '', followers: 10, ts: T0, sentiment: 0, engagement: 3, brands: [] },
    { followers: 10, ts: T0 },
    null,
  ];
  for (const p of bad) t.doesNotThrow(() => seg.observe(p as AuthorPost));
  t.equal(seg.observe({ author: '', followers: 1, ts: T0, sentiment: 0, engagement: 0, brands: [] }), null);
  t.equal(seg.authorCount, 5);
  const segments = seg.segments();
  t.ok(segments.length >= 1 && segments.length <= 3);
  t.ok(finiteSegments(segments), JSON.stringify(segments));
  t.ok(
    seg.snapshot().centroids.every((c) => c.every(Number.isFinite)),
    'centroids finite',
  );
  t.equal(seg.segmentOf('nobody'), undefined);
  for (const s of [
    null,
    1,
    {},
    { ...seg.snapshot(), centroids: [[1, 2]] },
    { ...seg.snapshot(), authors: [['x']] },
  ])
    t.throws(() => seg.restore(s), RangeError);
});

t.test('hungarian: the least-cost assignment', async (t) => {
  t.same(
    hungarian([
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ]),
    [1, 0, 2],
  );
  t.same(
    hungarian([
      [10, 1, 7],
      [1, 10, 8],
    ]),
    [1, 0],
    'fewer rows than columns',
  );
  t.same(hungarian([]), []);
  t.throws(() => hungarian([[1], [2]]), RangeError);
});

t.test('labels: segments that read alike are told apart without contradicting their words', async (t) => {
  // Standardised centroids (author-features.ts): activity log1p(posts a day) / 0.75, sentiment / 0.4,
  // engagement log1p / 1.5, reach log10(1 + followers), brands log1p / 0.5.
  const veryActive = (rate: number) => Math.log1p(rate) / 0.75;
  const labels = segmentLabels(
    [
      [veryActive(12), 0, 0, 1, 0],
      [veryActive(5), 0, 0, 1, 0],
      [veryActive(8), 0, 0.2, 1, 0],
      [veryActive(8), 0.5, 0, 5, 0],
      [veryActive(8), 0.5, 2, 5, 0],
    ],
    [1, 2, 3, 4, 5],
  );
  t.same(labels, [
    'low reach · very active (more posts) · neutral',
    'low reach · very active (fewer posts) · neutral',
    'low reach · very active (in between) · neutral',
    'high reach · very active · positive · less engagement',
    'high reach · very active · positive · more engagement',
  ]);
  // Four or five alike take the ends of the scale too, so no two read the same.
  t.same(
    segmentLabels(
      [3, 60, 9, 30, 15].map((rate) => [veryActive(rate), 0, 0, 1, 0]),
      [1, 2, 3, 4, 5],
    ),
    [
      'low reach · very active (fewest posts) · neutral',
      'low reach · very active (most posts) · neutral',
      'low reach · very active (fewer posts) · neutral',
      'low reach · very active (more posts) · neutral',
      'low reach · very active (in between) · neutral',
    ],
  );
  t.same(
    segmentLabels(
      [3, 60, 9, 30].map((rate) => [veryActive(rate), 0, 0, 1, 0]),
      [1, 2, 3, 4],
    ),
    [
      'low reach · very active (fewest posts) · neutral',
      'low reach · very active (most posts) · neutral',
      'low reach · very active (fewer posts) · neutral',
      'low reach · very active (more posts) · neutral',
    ],
  );
  // Told apart on sentiment: "positive (leaning negative)" would contradict itself.
  const bySentiment = (s: number) => [veryActive(8), s / 0.4, 0, 1, 0];
  t.same(
    segmentLabels(
      [
        bySentiment(0.3),
        bySentiment(0.9),
        bySentiment(-0.3),
        bySentiment(-0.9),
        bySentiment(0.05),
        bySentiment(-0.05),
      ],
      [1, 2, 3, 4, 5, 6],
    ),
    [
      'low reach · very active · positive (less so)',
      'low reach · very active · positive (more so)',
      'low reach · very active · negative (less so)',
      'low reach · very active · negative (more so)',
      'low reach · very active · neutral (leaning positive)',
      'low reach · very active · neutral (leaning negative)',
    ],
  );
});

t.test(
  'a restart with another k (--segments) re-segments the restored authors into k segments',
  async (t) => {
    const posts = stream(11, [...THREE, ['D', 200, 0, 21], ['E', 100, 0, 21]]);
    const half = Math.floor(posts.length / 2);
    const five = new AudienceSegments({ k: 5, warmup: 300 });
    for (const p of posts.slice(0, half)) five.observe(p);
    t.equal(five.segments().length, 5);
    const snapshot = JSON.parse(JSON.stringify(five.snapshot())) as unknown;

    for (const k of [3, 7]) {
      const restarted = new AudienceSegments({ k, warmup: 300 });
      restarted.restore(snapshot);
      const segments = restarted.segments();
      t.equal(segments.length, k, `k ${k}: k segments at once`);
      t.same(
        segments.map((s) => s.id),
        [...Array(k).keys()],
        `k ${k}: ids 0 … k-1 in canonical order, as every partition restarted with it numbers them`,
      );
      t.equal(
        segments.reduce((n, s) => n + s.authors, 0),
        restarted.authorCount,
        `k ${k}: every author held is in one of them`,
      );
      const moves = new Map(restarted.drainMoves());
      for (const s of segments) t.ok(s.authors > 0, `k ${k}: segment ${s.id} holds authors`);
      t.ok(moves.size > 0, `k ${k}: the authors whose segment changed are reported`);
      t.same(
        [...moves].filter(([author, id]) => restarted.segmentOf(author) !== id),
        [],
        `k ${k}: each with the segment they are in now`,
      );
      t.ok(
        restarted.drainEvents().some((e) => e.reason === 'settings'),
        `k ${k}: the re-segmentation is an event`,
      );
      for (const p of posts.slice(half)) restarted.observe(p);
      t.ok(restarted.segments().length <= k, `k ${k}: and it stays at most k`);
    }

    const same = new AudienceSegments({ k: 5, warmup: 300 });
    same.restore(snapshot);
    t.same(same.snapshot(), five.snapshot(), 'the same k restores as it was');
    t.same(same.drainMoves(), []);
  },
);
