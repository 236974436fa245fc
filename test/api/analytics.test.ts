import t from 'tap';
import type { Test } from 'tap';
import WebSocket from 'ws';
import { AnalyticsHub, type AnalyticsPush } from '../../api/analytics-hub.js';
import { BrandDirectory, buildApi, LiveHub, Metrics } from '../../api/index.js';
import { hourEstimate, rankHours } from '../../engines/stats/best-times.js';
import { hourOfWeek } from '../../engines/stats/hour-of-week.js';
import { isTrending, trendScore } from '../../engines/trends/trending.js';
import {
  BEST_TIME_FORECAST_TABLE,
  BEST_TIME_HOURS_TABLE,
  INFLUENCER_WINDOWS_TABLE,
  MemoryBus,
  MemoryStore,
  parseWindow,
  SEGMENT_WINDOWS_TABLE,
  SEGMENTS_TABLE,
  TOPIC_WINDOWS_TABLE,
  TOPICS_TABLE,
  TREND_WINDOWS_TABLE,
  VOICE_WINDOWS_TABLE,
  emptyCounts,
  type WindowedRow,
  type WindowRow,
} from '../../stream/index.js';

const NOW = 1_795_480_000_000;
const W = 300_000;
/** Window starts: S(0) is the window holding NOW, S(1) the one before, … */
const S = (back: number) => Math.floor(NOW / W) * W - back * W;
const range = `from=${S(5)}&to=${NOW + 1}`;

const brands = new BrandDirectory([
  { name: 'Northwind Coffee' },
  { name: 'Contoso Tea', kind: 'competitor' },
  { name: 'Fabrikam Beans', kind: 'competitor' },
  { name: 'Adatum Brews' },
]);

/** The columns of a windowed row: final rows get a higher version than the updates they replace. */
const win = (start: number, partition: number, final: 0 | 1, version = final ? 20 : 10): WindowedRow => ({
  start,
  size_ms: W,
  partition,
  final,
  version,
});

/** A final share-of-voice row of Northwind Coffee in partition 0. */
const voiceRow = (start: number, posts: number) => ({
  brand: 'Northwind Coffee',
  ...win(start, 0, 1),
  posts,
  positive: 0,
  negative: 0,
  sentiment_sum: 0,
  reach: 0,
  engagement: 0,
});

async function api(t: Test, operators?: string[], topicScope?: 'brand' | 'global') {
  const store = new MemoryStore();
  const bus = new MemoryBus();
  const hub = new LiveHub({ bus, brands });
  const app = await buildApi({
    version: 'test',
    metrics: new Metrics({ defaultMetrics: false }),
    notReady: () => null,
    query: {
      brands,
      store,
      hub,
      windows: [parseWindow('1m')],
      ...(operators && { operators }),
      ...(topicScope && { topicScope }),
    },
    now: () => NOW,
  });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await bus.close();
  });
  const get = async (url: string) => {
    const res = await app.inject({ url });
    return { status: res.statusCode, body: res.json() };
  };
  return { app, store, get };
}

t.test(
  'share of voice: partitions add up, the final rows replace the updates, competitors form the group',
  async (t) => {
    const { store, get } = await api(t);
    const voice = (brand: string, w: WindowedRow, posts: number, extra: Record<string, number> = {}) => ({
      brand,
      ...w,
      posts,
      positive: 0,
      negative: 0,
      sentiment_sum: 0,
      reach: posts * 100,
      engagement: posts,
      ...extra,
    });
    await store.write(VOICE_WINDOWS_TABLE, [
      // partition 0: an update, then its final row (same key, higher version)
      voice('Northwind Coffee', win(S(1), 0, 0), 4),
      voice('Northwind Coffee', win(S(1), 0, 1), 10, { positive: 6, sentiment_sum: 5 }),
      voice('Northwind Coffee', win(S(1), 1, 1), 5, { negative: 2, sentiment_sum: -1 }),
      voice('Northwind Coffee', win(S(1), 2, 0), 3),
      voice('Contoso Tea', win(S(1), 0, 1), 6),
      voice('Contoso Tea', win(S(1), 3, 1), 6),
      voice('Fabrikam Beans', win(S(1), 1, 1), 0),
      voice('Adatum Brews', win(S(1), 2, 1), 100),
      voice('Northwind Coffee', win(S(0), 3, 0), 2),
      voice('Contoso Tea', win(S(0), 1, 0), 4),
      // before the range
      voice('Northwind Coffee', win(S(20), 0, 1), 1000),
    ]);
    const res = await get(`/v1/brands/northwind-coffee/share-of-voice?${range}`);
    t.equal(res.status, 200);
    const b = res.body;
    t.same(
      b.group,
      ['Northwind Coffee', 'Contoso Tea', 'Fabrikam Beans'],
      'an own brand against the competitors',
    );
    t.equal(b.window_ms, W);
    const nw = b.brands[0];
    t.match(nw, { id: 'northwind-coffee', kind: 'own', posts: 20, positive: 6, negative: 2 });
    t.equal(nw.share, 20 / 36, 'posts / the group’s posts over the range');
    t.equal(nw.reach_share, 2000 / 3600);
    t.equal(nw.sentiment_mean, 4 / 20);
    t.equal(b.windows.length, 2);
    const [older, latest] = b.windows;
    t.equal(older.start, S(1));
    t.equal(older.final, false, 'partition 2 has not closed the window');
    t.same(
      older.brands.map((x: { name: string; posts: number }) => [x.name, x.posts]),
      [
        ['Northwind Coffee', 18],
        ['Contoso Tea', 12],
        ['Fabrikam Beans', 0],
      ],
    );
    t.equal(older.brands[0].share, 18 / 30);
    t.equal(latest.brands[0].share, 2 / 6);
    t.equal(latest.brands[2].share, 0);

    const competitor = (await get(`/v1/brands/Contoso%20Tea/share-of-voice?${range}`)).body;
    t.same(
      competitor.group,
      ['Contoso Tea', 'Northwind Coffee', 'Fabrikam Beans', 'Adatum Brews'],
      'a competitor against the own brands and the other competitors',
    );
    t.equal(competitor.brands[0].share, 16 / 136);

    const empty = (await get(`/v1/brands/fabrikam-beans/share-of-voice?from=${S(100)}&to=${S(90)}`)).body;
    t.equal(empty.window_ms, null);
    t.same(empty.windows, []);
    t.equal(empty.brands[0].share, null, 'no posts in the group: no share');
  },
);

t.test('influencers: top authors of the partitions put together over the windows', async (t) => {
  const { store, get } = await api(t);
  const row = (w: WindowedRow, author: string, score: number, mentions: number, followers = 100) => ({
    brand: 'Northwind Coffee',
    ...w,
    author,
    score,
    mentions,
    followers,
  });
  await store.write(INFLUENCER_WINDOWS_TABLE, [
    row(win(S(2), 0, 0), 'alice', 50, 5), // an update the final list no longer holds
    row(win(S(2), 0, 1), 'bob', 7, 1, 300),
    row(win(S(1), 0, 1), 'bob', 8, 2, 500),
    row(win(S(1), 1, 0), 'carol', 9, 3),
    row(win(S(1), 2, 1), 'dave', 1, 1),
    { ...row(win(S(1), 2, 1), 'zed', 100, 1), brand: 'Contoso Tea' },
  ]);
  const res = await get(`/v1/brands/northwind-coffee/influencers?${range}`);
  t.equal(res.status, 200);
  t.same(res.body.influencers, [
    { author: 'bob', score: 15, mentions: 3, followers: 500, windows: 2 },
    { author: 'carol', score: 9, mentions: 3, followers: 100, windows: 1 },
    { author: 'dave', score: 1, mentions: 1, followers: 100, windows: 1 },
  ]);
  const top = await get(`/v1/brands/northwind-coffee/influencers?${range}&limit=1`);
  t.same(
    top.body.influencers.map((i: { author: string }) => i.author),
    ['bob'],
  );
});

t.test(
  'trends: counts and baselines added over partitions, then scored; the latest window first',
  async (t) => {
    const { store, get } = await api(t);
    const row = (w: WindowedRow, term: string, count: number, baseline: number) => ({
      brand: 'Northwind Coffee',
      ...w,
      term,
      count,
      baseline,
      warm: 1,
    });
    await store.write(TREND_WINDOWS_TABLE, [
      row(win(S(2), 0, 1), '#launch', 5, 0.1),
      row(win(S(2), 1, 1), '#launch', 5, 0.1),
      row(win(S(2), 2, 1), '#launch', 5, 0.1),
      row(win(S(2), 0, 1), 'coffee', 30, 25),
      row(win(S(2), 1, 1), 'coffee', 20, 20),
      row(win(S(2), 0, 0), 'stale', 50, 0), // partition 0's update, replaced by its final rows
      row(win(S(1), 2, 0), 'coffee', 3, 3),
    ]);
    const res = await get(`/v1/brands/northwind-coffee/trends?${range}`);
    t.equal(res.status, 200);
    const [latest, older] = res.body.windows;
    t.equal(latest.start, S(1), 'the latest window first');
    t.equal(older.start, S(2));
    t.equal(older.final, true, 'every partition closed it');
    t.equal(latest.final, false);
    t.same(
      older.terms.map((x: { term: string }) => x.term),
      ['#launch', 'coffee'],
      'the stale update term is gone; best score first',
    );
    const launch = older.terms[0];
    t.match(launch, { count: 15, baseline: 0.3, trending: true }, 'trending on the sums');
    t.equal(launch.score, Math.round(trendScore(15, 0.3) * 1e4) / 1e4);
    t.equal(isTrending(5, 0.1), false, 'no single partition would trend on its own count');
    t.match(older.terms[1], { term: 'coffee', count: 50, baseline: 45, trending: isTrending(50, 45) });
  },
);

t.test('topics: alike topics of different partitions are one, by their terms', async (t) => {
  const { store, get } = await api(t);
  const terms = (...pairs: [string, number][]) => JSON.stringify(pairs);
  const row = (
    w: WindowedRow,
    topic: number,
    docs: number,
    t_: string,
    extra: Record<string, number> = {},
  ) => ({
    scope: 'Northwind Coffee',
    ...w,
    topic,
    docs,
    positive: 0,
    negative: 0,
    sentiment_sum: 0,
    terms: t_,
    emerging: 0,
    ...extra,
  });
  const latte = terms(['latte', 0.5], ['oat', 0.3], ['milk', 0.2]);
  await store.write(TOPIC_WINDOWS_TABLE, [
    row(win(S(2), 0, 1), 3, 12, latte, { positive: 10, sentiment_sum: 6 }),
    row(win(S(1), 0, 0), 3, 8, latte, { negative: 2, sentiment_sum: -1 }),
    row(win(S(1), 1, 0), 7, 10, terms(['latte', 0.4], ['oat', 0.4], ['foam', 0.2]), { emerging: 1 }),
    row(win(S(1), 1, 0), 8, 5, terms(['delivery', 0.6], ['late', 0.4])),
    row(win(S(1), 2, 0), 1, 8, terms(['delivery', 0.5], ['late', 0.3], ['driver', 0.2])),
    // the same partition's other latte topic: its model kept them apart, so do we
    row(win(S(1), 0, 0), 4, 2, terms(['latte', 0.5], ['oat', 0.5])),
    // garbage terms: a topic of its own, no error
    row(win(S(1), 3, 0), 9, 1, 'not json'),
    { ...row(win(S(1), 0, 0), 3, 99, latte), scope: 'Contoso Tea' },
  ]);
  await store.write(TOPICS_TABLE, [
    {
      scope: 'Northwind Coffee',
      partition: 0,
      topic: 3,
      docs: 20,
      terms: latte,
      created_at: S(2),
      last_seen_at: S(1),
      live: 1,
      version: 30,
    },
  ]);
  const res = await get(`/v1/brands/northwind-coffee/topics?${range}`);
  t.equal(res.status, 200);
  t.equal(res.body.scope, 'Northwind Coffee');
  const topics = res.body.topics;
  t.same(
    topics.map((x: { id: string; members: string[]; docs: number }) => [x.id, x.members, x.docs]),
    [
      ['0-3', ['0-3', '1-7'], 30],
      ['2-1', ['2-1', '1-8'], 13],
      ['0-4', ['0-4'], 2],
      ['3-9', ['3-9'], 1],
    ],
  );
  const latteTopic = topics[0];
  t.match(latteTopic, { positive: 10, negative: 2, emerging: true, live: true });
  t.equal(latteTopic.sentiment_mean, 5 / 30);
  t.match(latteTopic.label, /^latte, oat, /);
  t.same(
    latteTopic.terms.slice(0, 2).map((x: { term: string }) => x.term),
    ['latte', 'oat'],
  );
  t.same(
    latteTopic.windows.map((w: { start: number; docs: number; emerging: boolean }) => [
      w.start,
      w.docs,
      w.emerging,
    ]),
    [
      [S(2), 12, false],
      [S(1), 18, true],
    ],
  );
  t.match(topics[1].label, /^delivery, late/);
  t.equal(topics[3].label, 'topic 3-9', 'a topic without terms is named by its id');
  const limited = await get(`/v1/brands/northwind-coffee/topics?${range}&limit=1`);
  t.equal(limited.body.topics.length, 1);
});

t.test(
  'best times: hours summed over partitions, ranked by their interval; forecasts added by hour',
  async (t) => {
    const { store, get } = await api(t);
    const hour = (
      partition: number,
      h: number,
      posts: number,
      engagement: number,
      engagement_sq: number,
    ) => ({
      brand: 'Northwind Coffee',
      partition,
      hour: h,
      posts,
      engagement,
      engagement_sq,
      version: 5,
    });
    await store.write(BEST_TIME_HOURS_TABLE, [
      hour(0, 10, 2, 10, 52),
      hour(1, 10, 2, 14, 100),
      hour(0, 30, 20, 60, 200),
      hour(2, 30, 10, 30, 100),
      hour(3, 167, 1, 40, 1600),
      { ...hour(0, 50, 100, 10_000, 1e6), brand: 'Contoso Tea' },
    ]);
    const T = Math.floor(NOW / 3_600_000) * 3_600_000;
    const forecast = (partition: number, step: number, ts: number, posts: number, engagement: number) => ({
      brand: 'Northwind Coffee',
      partition,
      step,
      ts,
      posts,
      engagement,
      version: 5,
    });
    await store.write(BEST_TIME_FORECAST_TABLE, [
      forecast(0, 0, T, 1, 2),
      forecast(0, 1, T + 3_600_000, 2, 6),
      forecast(0, 2, T + 7_200_000, -0.5, 1),
      forecast(1, 0, T + 3_600_000, 1, 4),
      forecast(1, 1, T + 7_200_000, 0.2, 0.1),
      forecast(1, 2, T + 10_800_000, 9, 9),
    ]);
    const res = await get('/v1/brands/northwind-coffee/best-times');
    t.equal(res.status, 200);
    const b = res.body;
    const sums = [
      { hour_of_week: 10, posts: 4, engagement: 24, engagement_sq: 152 },
      { hour_of_week: 30, posts: 30, engagement: 90, engagement_sq: 300 },
      { hour_of_week: 167, posts: 1, engagement: 40, engagement_sq: 1600 },
    ];
    const expected = rankHours(sums);
    t.same(
      b.hours.map((h: { hour: number }) => h.hour),
      expected.map((e) => e.hour_of_week),
      'ranked as rankHours ranks the sums',
    );
    const h10 = b.hours.find((h: { hour: number }) => h.hour === 10);
    const e10 = hourEstimate(sums[0]!);
    t.match(h10, { day: 'Mon', hour_of_day: 10, posts: 4, mean: 6 });
    t.ok(
      Math.abs(h10.lo - e10.lo) < 1e-4 && Math.abs(h10.hi - e10.hi) < 1e-4,
      'the interval of the summed hour',
    );
    t.ok(h10.lo < h10.mean && h10.mean < h10.hi);
    t.match(
      b.hours.find((h: { hour: number }) => h.hour === 167),
      { day: 'Sun', hour_of_day: 23 },
    );
    t.equal(b.best.length, 3, 'at most 5, and only hours with posts');
    t.same(
      b.forecast.map(
        (f: { ts: number; posts: number; engagement: number; engagement_per_post: number | null }) => [
          f.ts,
          f.posts,
          f.engagement,
          f.engagement_per_post,
        ],
      ),
      [
        [T + 3_600_000, 3, 10, 3.3333],
        [T + 7_200_000, 0, 1.1, null],
      ],
      'only the hours both forecasting partitions cover, added; no posts expected: no per-post engagement',
    );
    t.match(b.forecast[0], { hour: hourOfWeek(T + 3_600_000) });
    const top1 = await get('/v1/brands/northwind-coffee/best-times?top=1');
    t.equal(top1.body.best.length, 1);
  },
);

t.test('segments: merged by id over partitions, centroids weighted by authors', async (t) => {
  const { store, get } = await api(t);
  await store.write(SEGMENTS_TABLE, [
    {
      partition: 0,
      segment: 0,
      label: 'casual',
      authors: 30,
      centroid: '{"activity":1,"sentiment":0.5}',
      version: 3,
    },
    {
      partition: 1,
      segment: 0,
      label: 'other',
      authors: 10,
      centroid: '{"activity":3,"sentiment":-0.5}',
      version: 3,
    },
    { partition: 1, segment: 1, label: 'fans', authors: 5, centroid: '{"activity":9}', version: 3 },
    { partition: 2, segment: 1, label: 'fans', authors: 0, centroid: 'broken', version: 3 },
  ]);
  const row = (w: WindowedRow, segment: number, posts: number, sentiment_sum: number) => ({
    ...w,
    segment,
    posts,
    positive: 0,
    negative: 0,
    sentiment_sum,
    engagement: posts * 2,
  });
  await store.write(SEGMENT_WINDOWS_TABLE, [
    row(win(S(1), 0, 1), 0, 10, 5),
    row(win(S(1), 1, 0), 0, 6, -1),
    row(win(S(0), 1, 0), 1, 4, 2),
    row(win(S(30), 1, 1), 1, 400, 2),
  ]);
  const res = await get(`/v1/segments?${range}`);
  t.equal(res.status, 200);
  const [s0, s1] = res.body.segments;
  // labels are made again from the merged centroids, not taken from a partition
  t.match(s0, { id: 0, label: 'low reach · active · positive', authors: 40, posts: 16, engagement: 32 });
  t.same(s0.centroid, { activity: 1.5, sentiment: 0.25 });
  t.equal(s0.sentiment_mean, 4 / 16);
  t.same(
    s0.windows.map((w: { start: number; posts: number }) => [w.start, w.posts]),
    [[S(1), 16]],
  );
  t.match(s1, { id: 1, label: 'low reach · very active · neutral', authors: 5, posts: 4 });
  t.same(s1.centroid, { activity: 9 });
});

t.test('segments that read alike over the partitions get labels that tell them apart', async (t) => {
  const { store, get } = await api(t);
  // Each partition told apart only its own segments: its labels collide with the other's.
  const alike = 'low reach · very active · neutral';
  await store.write(SEGMENTS_TABLE, [
    { partition: 0, segment: 0, label: alike, authors: 9, centroid: '{"activity":5}', version: 1 },
    { partition: 1, segment: 1, label: alike, authors: 9, centroid: '{"activity":40}', version: 1 },
    { partition: 1, segment: 2, label: 'x', authors: 9, centroid: '{"activity":12}', version: 1 },
    { partition: 0, segment: 3, label: 'y', authors: 9, centroid: '{"activity":80}', version: 1 },
  ]);
  const res = await get(`/v1/segments?${range}`);
  t.same(
    res.body.segments.map((s: { label: string }) => s.label),
    [
      'low reach · very active (fewest posts) · neutral',
      'low reach · very active (more posts) · neutral',
      'low reach · very active (fewer posts) · neutral',
      'low reach · very active (most posts) · neutral',
    ],
  );
});

t.test('the default range is the last hour', async (t) => {
  const { store, get } = await api(t);
  await store.write(VOICE_WINDOWS_TABLE, [voiceRow(S(0), 1), voiceRow(S(11), 2), voiceRow(S(13), 4)]);
  const b = (await get('/v1/brands/northwind-coffee/share-of-voice')).body;
  t.equal(b.to, NOW);
  t.equal(b.from, NOW - 3_600_000);
  t.equal(b.brands[0].posts, 3, 'the windows starting in the last hour');
});

t.test('404 for an unknown brand, 400 for a bad range or limit', async (t) => {
  const { get } = await api(t);
  for (const path of ['topics', 'trends', 'share-of-voice', 'influencers', 'best-times']) {
    const res = await get(`/v1/brands/nope/${path}`);
    t.equal(res.status, 404, path);
    t.equal(res.body.error.code, 'UNKNOWN_BRAND');
  }
  const bad: [string, string][] = [
    ['/v1/brands/northwind-coffee/topics?from=yesterday', 'INVALID_RANGE'],
    [`/v1/brands/northwind-coffee/trends?from=${NOW}&to=${NOW - 1}`, 'INVALID_RANGE'],
    [`/v1/brands/northwind-coffee/share-of-voice?from=${NOW - 40 * 86_400_000}&to=${NOW}`, 'INVALID_RANGE'],
    [`/v1/brands/northwind-coffee/trends?from=${NOW - 86_400_001}&to=${NOW}`, 'INVALID_RANGE'],
    [`/v1/brands/northwind-coffee/influencers?from=${NOW - 8 * 86_400_000}&to=${NOW}`, 'INVALID_RANGE'],
    ['/v1/segments?to=2026-13-45T99:00:00Z', 'INVALID_RANGE'],
    ['/v1/segments?from=2026-02-31T10:00:00Z&to=2026-03-04T00:00:00Z', 'INVALID_RANGE'],
    ['/v1/brands/northwind-coffee/topics?from=2026-02-30&to=2026-03-05', 'INVALID_RANGE'],
    ['/v1/brands/northwind-coffee/influencers?limit=0', 'INVALID_QUERY'],
    ['/v1/brands/northwind-coffee/influencers?limit=ten', 'INVALID_QUERY'],
    ['/v1/brands/northwind-coffee/best-times?top=1000', 'INVALID_QUERY'],
  ];
  for (const [url, code] of bad) {
    const res = await get(url);
    t.equal(res.status, 400, url);
    t.equal(res.body.error.code, code, url);
  }
  const iso = await get(
    '/v1/brands/northwind-coffee/trends?from=2026-11-24T00:00:00Z&to=2026-11-24T01:00:00Z',
  );
  t.equal(iso.status, 200, 'ISO 8601 times');
  t.equal(iso.body.from, Date.parse('2026-11-24T00:00:00Z'));
  const day = await get(`/v1/brands/northwind-coffee/trends?from=${NOW - 86_400_000}&to=${NOW}`);
  t.equal(day.status, 200, 'a day of trends');
  const week = await get(`/v1/brands/northwind-coffee/influencers?from=${NOW - 7 * 86_400_000}&to=${NOW}`);
  t.equal(week.status, 200, 'a week of influencers');
  const wide = await get(`/v1/brands/northwind-coffee/trends?from=${NOW - 2 * 86_400_000}&to=${NOW}`);
  t.equal(wide.body.error.message, 'at most 1 day per query; narrow the range');
  // The server's time zone set to one that is not UTC (Node reads TZ anew when it is assigned).
  const tz = process.env.TZ;
  process.env.TZ = 'America/New_York';
  t.teardown(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });
  t.equal(new Date(Date.UTC(2026, 10, 24)).getHours(), 19, 'the process runs in New York time now');
  const local = await get('/v1/brands/northwind-coffee/trends?from=2026-11-24T00:00:00&to=2026-11-24T01:00');
  t.same(
    [local.body.from, local.body.to],
    [Date.UTC(2026, 10, 24, 0), Date.UTC(2026, 10, 24, 1)],
    'without an offset: UTC, whatever the time zone of the server',
  );
});

t.test(
  'topics, share of voice and segments: at most 7 days per query; the longest range answers its edge windows',
  async (t) => {
    const { store, get } = await api(t);
    const DAY = 86_400_000;
    const to = S(0);
    const from = to - 7 * DAY;
    const first = from;
    const last = to - W;
    const counts = { positive: 0, negative: 0, sentiment_sum: 0 };
    const edges = [first, last, to].map((start) => win(start, 0, 1)); // `to` itself: outside
    await store.write(
      TOPIC_WINDOWS_TABLE,
      edges.map((w) => ({
        scope: 'Northwind Coffee',
        ...w,
        topic: 1,
        docs: 2,
        ...counts,
        terms: '[["latte",1]]',
        emerging: 0,
      })),
    );
    await store.write(
      VOICE_WINDOWS_TABLE,
      edges.map((w) => ({ brand: 'Northwind Coffee', ...w, posts: 2, ...counts, reach: 0, engagement: 0 })),
    );
    await store.write(
      SEGMENT_WINDOWS_TABLE,
      edges.map((w) => ({ ...w, segment: 0, posts: 2, ...counts, engagement: 0 })),
    );
    const routes: [string, (body: Record<string, unknown>) => number[]][] = [
      [
        '/v1/brands/northwind-coffee/topics',
        (b) => (b.topics as { windows: { start: number }[] }[])[0]!.windows.map((w) => w.start),
      ],
      [
        '/v1/brands/northwind-coffee/share-of-voice',
        (b) => (b.windows as { start: number }[]).map((w) => w.start),
      ],
      [
        '/v1/segments',
        (b) => (b.segments as { windows: { start: number }[] }[])[0]!.windows.map((w) => w.start),
      ],
    ];
    for (const [path, starts] of routes) {
      const week = await get(`${path}?from=${from}&to=${to}`);
      t.equal(week.status, 200, `${path}: 7 days`);
      t.same(starts(week.body), [first, last], `${path}: the first and the last window of the 7 days`);
      const wide = await get(`${path}?from=${from - 1}&to=${to}`);
      t.equal(wide.status, 400, `${path}: 7 days and 1 ms`);
      t.match(
        wide.body.error,
        { code: 'INVALID_RANGE', message: 'at most 7 days per query; narrow the range' },
        `${path}: the limit named`,
      );
      const month = await get(`${path}?from=${to - 31 * DAY}&to=${to}`);
      t.equal(month.status, 400, `${path}: a month is refused`);
    }
  },
);

t.test('OpenAPI lists the routes; a route is served only when its operator runs', async (t) => {
  const { app } = await api(t);
  const doc = (await app.inject({ url: '/docs/json' })).json();
  for (const path of [
    '/v1/brands/{brand}/topics',
    '/v1/brands/{brand}/trends',
    '/v1/brands/{brand}/share-of-voice',
    '/v1/brands/{brand}/influencers',
    '/v1/brands/{brand}/best-times',
    '/v1/segments',
  ]) {
    t.ok(doc.paths[path]?.get, path);
    t.match(doc.paths[path].get.description, /scope `read`/, `${path} needs scope read`);
  }
  t.ok(doc.paths['/v1/brands/{brand}/trends'].get.responses['200'].content, 'with a reply schema');

  const some = await api(t, ['window-aggregates', 'topics', 'voice']);
  t.equal((await some.get('/v1/brands/northwind-coffee/topics')).status, 200);
  t.equal((await some.get('/v1/brands/northwind-coffee/share-of-voice')).status, 200);
  for (const url of [
    '/v1/brands/northwind-coffee/trends',
    '/v1/segments',
    '/v1/brands/northwind-coffee/best-times',
  ])
    t.equal((await some.get(url)).status, 404, `${url} without its operator`);
  const none = await api(t, ['window-aggregates']);
  t.equal((await none.get('/v1/brands/northwind-coffee/topics')).status, 404);
});

type Msg = { type: string; channel?: string; code?: string; [k: string]: unknown };

t.test('WebSocket: analytics:<brand id> and segments push the store’s rows as they change', async (t) => {
  const { app, store } = await api(t);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const ws = new WebSocket(`${address.replace(/^http/, 'ws')}/v1/stream`);
  const messages: Msg[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Msg));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  t.teardown(() => ws.close());
  /** The first message from index `from` on that passes `pred`, waiting for it (a failure after 20 s). */
  const next = async (pred: (m: Msg) => boolean, from = 0): Promise<Msg> => {
    for (let i = 0; i < 1000; i++) {
      const found = messages.slice(from).find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no such message');
  };

  ws.send(
    JSON.stringify({
      op: 'subscribe',
      channels: ['analytics:nope', 'analytics:northwind-coffee', 'segments'],
    }),
  );
  const err = await next((m) => m.type === 'error');
  t.equal(err.code, 'UNKNOWN_CHANNEL', 'an unknown brand is not a channel');
  const sub = await next((m) => m.type === 'subscribed');
  t.same(sub.channels, ['analytics:northwind-coffee', 'segments']);
  const first = await next((m) => m.type === 'analytics' && m.channel === 'analytics:northwind-coffee');
  t.match(first, { brand: { id: 'northwind-coffee', kind: 'own' } });
  t.same([first.topics, first.trends, first.influencers], [[], [], []], 'nothing written yet');
  t.same((first.voice as { group: string[] }).group, ['Northwind Coffee', 'Contoso Tea', 'Fabrikam Beans']);
  await next((m) => m.type === 'analytics' && m.channel === 'segments');

  const mark = messages.length;
  await store.write(VOICE_WINDOWS_TABLE, [
    {
      brand: 'Northwind Coffee',
      ...win(S(0), 0, 0),
      posts: 7,
      positive: 0,
      negative: 0,
      sentiment_sum: 0,
      reach: 0,
      engagement: 0,
    },
  ]);
  await store.write(SEGMENTS_TABLE, [
    { partition: 0, segment: 2, label: 'fans', authors: 3, centroid: '{}', version: 1 },
  ]);
  const pushed = await next(
    (m) => m.type === 'analytics' && m.channel === 'analytics:northwind-coffee',
    mark,
  );
  const voice = pushed.voice as { brands: { posts: number; share: number }[] };
  t.equal(voice.brands[0]!.posts, 7, 'the new rows are pushed');
  t.equal(voice.brands[0]!.share, 1);
  const segments = await next((m) => m.type === 'analytics' && m.channel === 'segments', mark);
  t.match(segments.segments, [{ id: 2, label: 'fans', authors: 3 }]);
});

t.test('--topic-scope global: every brand reads the global topics', async (t) => {
  const { store, get } = await api(t, undefined, 'global');
  const row = (scope: string, topic: number) => ({
    scope,
    ...win(S(1), 0, 0),
    topic,
    docs: 3,
    positive: 0,
    negative: 0,
    sentiment_sum: 0,
    terms: '[["rain",1]]',
    emerging: 0,
  });
  await store.write(TOPIC_WINDOWS_TABLE, [row('*', 1), row('Northwind Coffee', 2)]);
  for (const brand of ['northwind-coffee', 'contoso-tea']) {
    const b = (await get(`/v1/brands/${brand}/topics?${range}`)).body;
    t.equal(b.scope, '*', brand);
    t.same(
      b.topics.map((x: { id: string }) => x.id),
      ['0-1'],
    );
  }
});

t.test('the hub reads a channel once per poll whatever the listeners, and pushes only changes', async (t) => {
  const store = new MemoryStore();
  const reads: string[] = [];
  const counting = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'read')
        return (table: { name: string }, where: object) => {
          reads.push(table.name);
          return target.read(table as never, where as never);
        };
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const hub = new AnalyticsHub({
    store: counting,
    brands,
    operators: ['topics', 'trends', 'voice', 'influencers', 'segments'],
    intervalMs: 3_600_000, // the test polls by hand
    now: () => NOW,
  });
  t.teardown(() => hub.stop());
  t.ok(hub.isChannel('analytics:northwind-coffee'));
  t.notOk(hub.isChannel('analytics:Northwind Coffee'), 'a channel names the brand by id');
  t.notOk(hub.isChannel('analytics:nope'));
  t.ok(hub.isChannel('segments'));
  t.notOk(
    new AnalyticsHub({ store, brands, operators: ['trends'] }).isChannel('segments'),
    'no segments channel without its operator',
  );

  const got: [string, AnalyticsPush][] = [];
  const offA = hub.watch('analytics:northwind-coffee', (c, p) => got.push([`a ${c}`, p]));
  const offB = hub.watch('analytics:northwind-coffee', (c, p) => got.push([`b ${c}`, p]));
  await hub.poll();
  t.equal(reads.length, 5, 'one read of each table for two listeners');
  t.same(
    got.map(([who]) => who),
    ['a analytics:northwind-coffee', 'b analytics:northwind-coffee'],
  );
  await hub.poll();
  t.equal(got.length, 2, 'nothing changed: nothing pushed');
  await store.write(INFLUENCER_WINDOWS_TABLE, [
    { brand: 'Northwind Coffee', ...win(S(0), 0, 0), author: 'ann', score: 3, mentions: 1, followers: 9 },
  ]);
  await hub.poll();
  t.equal(got.length, 4, 'a change: pushed to both');
  t.match(got[3]![1], { influencers: [{ author: 'ann', score: 3 }] });
  offA();
  offB();
  reads.length = 0;
  await hub.poll();
  t.equal(reads.length, 0, 'no listener: no read');
});

t.test(
  'behind the wall clock (an import of old posts), the channels look back from the event time',
  async (t) => {
    const store = new MemoryStore();
    const bus = new MemoryBus();
    t.teardown(() => bus.close());
    const live = new LiveHub({ bus, brands });
    const DAY = 86_400_000;
    const old = S(0) - 3 * DAY;
    await store.write(VOICE_WINDOWS_TABLE, [voiceRow(old, 5)]);
    const hub = new AnalyticsHub({
      store,
      brands,
      operators: ['voice'],
      intervalMs: 3_600_000,
      now: () => NOW,
      eventTime: () => live.eventTime,
    });
    t.teardown(() => hub.stop());
    const posts = (p: AnalyticsPush) =>
      (p as { voice: { brands: { posts: number }[] } }).voice.brands[0]!.posts;

    const before = await hub.snapshot('analytics:northwind-coffee');
    t.equal(before.as_of, NOW, 'no live window seen yet: the wall clock');
    t.equal(posts(before), 0, 'the old window is outside the last hour of the wall clock');

    const windowRow = (start: number): WindowRow => ({
      ...emptyCounts(),
      posts: 1,
      neutral: 1,
      brand: 'Northwind Coffee',
      window: '1m',
      start,
      end: start + 60_000,
      partition: 0,
      version: 1,
      final: false,
    });
    live.apply([windowRow(old)]);
    t.equal(live.eventTime, old + 60_000, 'the live hub knows how far event time has got');
    const during = await hub.snapshot('analytics:northwind-coffee');
    t.equal(during.as_of, old + 60_000);
    t.equal(posts(during), 5, 'the imported window shows live');

    live.apply([windowRow(S(0) + 10 * W)]);
    const ahead = await hub.snapshot('analytics:northwind-coffee');
    t.equal(ahead.as_of, NOW, 'an event time ahead of the wall clock does not move the lookback past now');
    t.equal(posts(ahead), 0);
  },
);
