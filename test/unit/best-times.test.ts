import t from 'tap';
import {
  BestTimes,
  forecastPerPost,
  hourEstimate,
  HOURS_PER_WEEK,
  hourOfWeek,
  MAX_FORECAST_HOURS,
  Random,
  rankHours,
  tQuantile975,
  type HourStats,
} from '../../engines/stats/index.js';

const HOUR = 3_600_000;
const WEEK = HOURS_PER_WEEK * HOUR;
const T0 = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC
/** Tuesday 18:00 UTC: the planted best hour. */
const BEST = 24 + 18;

/** True mean engagement per post at an hour of the week: a daily cycle, and one hour far above the rest. */
function trueMean(h: number): number {
  return h === BEST ? 40 : 12 + 6 * Math.sin((2 * Math.PI * (h % 24)) / 24);
}

/** True posts per hour: busier by day. */
function postRate(h: number): number {
  return 3 + 2 * Math.cos((2 * Math.PI * ((h % 24) - 14)) / 24);
}

interface Post {
  ts: number;
  engagement: number;
  author: number;
}

/** `weeks` of posts from T0: Poisson posts per hour, overdispersed (gamma-like) engagement around the hour's mean. */
function posts(seed: number, weeks: number): Post[] {
  const rng = new Random(seed);
  const out: Post[] = [];
  for (let hour = 0; hour < weeks * HOURS_PER_WEEK; hour++) {
    const h = hour % HOURS_PER_WEEK;
    const n = rng.poisson(postRate(h));
    for (let i = 0; i < n; i++) {
      const spread = Math.exp(rng.normal(0, 0.5) - 0.125); // mean 1
      out.push({
        ts: T0 + hour * HOUR + Math.floor(rng.next() * HOUR),
        engagement: rng.poisson(trueMean(h) * spread),
        author: rng.int(1000),
      });
    }
  }
  return out;
}

/** Feeds posts in time order, closing hours behind a watermark that trails the latest time by 5 minutes. */
function feed(b: BestTimes, list: readonly Post[]): void {
  for (const p of list) {
    b.add(p.ts, p.engagement);
    b.advance(p.ts - 5 * 60_000);
  }
}

function addStats(a: readonly HourStats[], b: readonly HourStats[]): HourStats[] {
  return a.map((x, i) => ({
    hour_of_week: x.hour_of_week,
    posts: x.posts + b[i]!.posts,
    engagement: x.engagement + b[i]!.engagement,
    engagement_sq: x.engagement_sq + b[i]!.engagement_sq,
  }));
}

t.test('tQuantile975: the table, then Cornish-Fisher', async (t) => {
  t.equal(tQuantile975(1), 12.7062);
  t.equal(tQuantile975(30), 2.0423);
  t.ok(Math.abs(tQuantile975(31) - 2.0395) < 1e-4);
  t.ok(Math.abs(tQuantile975(60) - 2.0003) < 1e-4);
  t.ok(Math.abs(tQuantile975(120) - 1.97993) < 1e-4);
  t.ok(Math.abs(tQuantile975(1e9) - 1.95996) < 1e-4);
  t.equal(tQuantile975(0), 12.7062, 'below one degree of freedom: the widest');
  t.equal(tQuantile975(NaN), 12.7062);
});

t.test('hourEstimate: mean and interval from the sums alone', async (t) => {
  const values = [3, 7, 10, 4, 6, 12, 8];
  const sum = values.reduce((a, b) => a + b, 0);
  const sq = values.reduce((a, b) => a + b * b, 0);
  const e = hourEstimate({ hour_of_week: 5, posts: values.length, engagement: sum, engagement_sq: sq });
  const mean = sum / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  t.equal(e.hour_of_week, 5);
  t.equal(e.mean, mean);
  t.ok(
    Math.abs(e.hi - mean - (2.4469 * sd) / Math.sqrt(7)) < 1e-9,
    'the t-interval with 6 degrees of freedom',
  );
  t.ok(Math.abs(mean - e.lo - (e.hi - mean)) < 1e-9, 'symmetric while above 0');

  t.same(hourEstimate({ hour_of_week: 0, posts: 0, engagement: 0, engagement_sq: 0 }), {
    hour_of_week: 0,
    posts: 0,
    mean: 0,
    lo: 0,
    hi: 0,
  });
  const one = hourEstimate({ hour_of_week: 1, posts: 1, engagement: 50, engagement_sq: 2500 });
  t.equal(one.mean, 50);
  t.equal(one.lo, 0, 'one post: wide, and never below 0');
  t.ok(one.hi > 100);
  const equal = hourEstimate({ hour_of_week: 2, posts: 100, engagement: 1000, engagement_sq: 10_000 });
  t.ok(equal.lo < 10 && equal.hi > 10, 'equal values still leave a (Poisson) spread');
  for (const bad of [
    { hour_of_week: 3, posts: NaN, engagement: 5, engagement_sq: 25 },
    { hour_of_week: 3, posts: 4, engagement: NaN, engagement_sq: Infinity },
    { hour_of_week: 3, posts: -4, engagement: -5, engagement_sq: -1 },
    { hour_of_week: 3, posts: 4, engagement: 10, engagement_sq: 1 }, // inconsistent: negative variance
  ]) {
    const r = hourEstimate(bad);
    t.ok(
      [r.posts, r.mean, r.lo, r.hi].every(Number.isFinite) && r.lo >= 0 && r.lo <= r.mean && r.mean <= r.hi,
    );
  }
});

t.test('a planted hour pattern: intervals cover the true means, the best hour ranks first', async (t) => {
  const b = new BestTimes();
  feed(b, posts(1, 8));
  const hours = b.hours();
  t.equal(hours.length, HOURS_PER_WEEK);
  t.same(
    hours.map((h) => h.hour_of_week),
    [...Array(HOURS_PER_WEEK).keys()],
  );
  const estimates = hours.map(hourEstimate);
  const covered = estimates.filter(
    (e) => e.lo <= trueMean(e.hour_of_week) && trueMean(e.hour_of_week) <= e.hi,
  );
  const coverage = covered.length / HOURS_PER_WEEK;
  t.comment(`95% intervals covering the true mean: ${covered.length} of ${HOURS_PER_WEEK} hours`);
  t.ok(coverage >= 0.88, `coverage ${coverage.toFixed(3)}`);
  const widths = estimates.map((e) => (e.hi - e.lo) / trueMean(e.hour_of_week)).sort((a, b) => a - b);
  const median = widths[HOURS_PER_WEEK / 2]!;
  t.ok(
    median < 0.75,
    `the intervals are narrow enough to mean something (median ${median.toFixed(2)} × the mean)`,
  );
  const ranked = rankHours(hours);
  t.equal(ranked[0]!.hour_of_week, BEST, 'Tuesday 18:00 first');
  t.equal(ranked.length, HOURS_PER_WEEK);
  for (let i = 1; i < ranked.length; i++) t.ok(ranked[i - 1]!.lo >= ranked[i]!.lo, 'by lower bound');
});

t.test('rankHours: a well-measured hour beats a lucky one, ties are deterministic', async (t) => {
  const stats: HourStats[] = [
    { hour_of_week: 7, posts: 2, engagement: 100, engagement_sq: 5000 }, // mean 50 on two posts
    { hour_of_week: 3, posts: 400, engagement: 8000, engagement_sq: 8000 * 22 }, // mean 20, well measured
    { hour_of_week: 9, posts: 0, engagement: 0, engagement_sq: 0 },
    { hour_of_week: 1, posts: 0, engagement: 0, engagement_sq: 0 },
  ];
  t.same(
    rankHours(stats).map((e) => e.hour_of_week),
    [3, 7, 1, 9],
  );
  t.same(rankHours([...stats].reverse()), rankHours(stats), 'the input order does not matter');
  t.same(rankHours([]), []);
});

t.test('partitions: merged sums and added forecasts equal one instance fed everything', async (t) => {
  const all = posts(2, 5);
  const one = new BestTimes();
  const parts = [0, 1, 2, 3].map(() => new BestTimes());
  // Partition 3 sees its first post only in the third week: its series start later.
  const partOf = (p: Post) => (p.ts < T0 + 2 * WEEK && p.author % 4 === 3 ? 2 : p.author % 4);
  for (const p of all) {
    one.add(p.ts, p.engagement);
    parts[partOf(p)]!.add(p.ts, p.engagement);
    // Every partition closes the same hours (the same watermarks).
    one.advance(p.ts - 5 * 60_000);
    for (const part of parts) part.advance(p.ts - 5 * 60_000);
  }
  const merged = parts.map((p) => p.hours()).reduce(addStats);
  const single = one.hours();
  t.same(merged.map(hourEstimate), single.map(hourEstimate), 'same estimates from merged sums');
  t.same(rankHours(merged), rankHours(single));

  const total = one.forecast();
  t.equal(total.length, HOURS_PER_WEEK);
  const partForecasts = parts.map((p) => p.forecast());
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  t.ok(
    total.every((f, i) => {
      const posts = partForecasts.reduce((s, pf) => s + pf[i]!.posts, 0);
      const engagement = partForecasts.reduce((s, pf) => s + pf[i]!.engagement, 0);
      return (
        partForecasts.every((pf) => pf[i]!.ts === f.ts) &&
        close(f.posts, posts) &&
        close(f.engagement, engagement)
      );
    }),
    'the sum of the partitions forecasts is the forecast of the sum (1e-9 relative)',
  );
});

t.test('forecast: starts after the last closed hour and learns the posting rhythm', async (t) => {
  const b = new BestTimes();
  t.same(b.forecast(), [], 'nothing closed yet: no forecast');
  const list = posts(3, 8);
  feed(b, list);
  const last = list[list.length - 1]!.ts;
  const f = b.forecast();
  t.equal(f[0]!.ts, Math.floor((last - 5 * 60_000) / HOUR) * HOUR, 'the first hour not closed yet');
  t.ok(f.every((x, i) => i === 0 || x.ts - f[i - 1]!.ts === HOUR));
  let err = 0;
  let flat = 0;
  for (const x of f) {
    err += Math.abs(x.posts - postRate(hourOfWeek(x.ts)));
    flat += Math.abs(3 - postRate(hourOfWeek(x.ts)));
  }
  t.ok(
    err < 0.75 * flat,
    `posts per hour: off by ${(err / f.length).toFixed(2)} on average, a flat rate by ${(flat / f.length).toFixed(2)}`,
  );
  const perPost = f.map((x) => forecastPerPost(x.posts, x.engagement));
  const bestAt = f[perPost.indexOf(Math.max(...perPost))]!.ts;
  t.equal(hourOfWeek(bestAt), BEST, 'the forecast per-post engagement peaks at the planted hour');
  t.equal(b.forecast(24).length, 24);
  t.equal(b.forecast(10 * MAX_FORECAST_HOURS).length, MAX_FORECAST_HOURS, 'capped');
  t.same(b.forecast(-1), []);
  t.same(b.forecast(2.5), []);
});

t.test('late posts count into hours() but not into the series; gaps are capped', async (t) => {
  const b = new BestTimes({ maxGapHours: 48 });
  b.add(T0 + 10 * 60_000, 5);
  b.advance(T0 + 3 * HOUR);
  const before = b.forecast(3);
  b.add(T0 + 20 * 60_000, 7); // its hour closed already
  t.equal(b.lateCount, 1);
  t.equal(b.hours()[0]!.posts, 2, 'counted into its hour of the week');
  t.equal(b.hours()[0]!.engagement, 12);
  t.equal(b.hours()[0]!.engagement_sq, 25 + 49);
  t.same(b.forecast(3), before, 'the series did not see it');

  // A ten-week jump of the watermark: 48 empty hours fed, the rest passed over, the clock in step.
  b.add(T0 + 10 * WEEK + 30 * 60_000, 9);
  b.advance(T0 + 10 * WEEK + 2 * HOUR);
  const f = b.forecast(2);
  t.equal(f[0]!.ts, T0 + 10 * WEEK + 2 * HOUR);
  t.ok(f.every((x) => Number.isFinite(x.posts) && Number.isFinite(x.engagement)));
  b.advance(T0); // a watermark going back changes nothing
  t.equal(b.forecast(1)[0]!.ts, T0 + 10 * WEEK + 2 * HOUR);
});

t.test('bad input: defined results, no NaN, open hours bounded', async (t) => {
  const b = new BestTimes({ maxPendingHours: 5 });
  b.add(NaN, 5);
  b.add(Infinity, 5);
  t.equal(
    b.hours().reduce((s, h) => s + h.posts, 0),
    0,
    'posts without a time are not counted',
  );
  b.add(T0, NaN);
  b.add(T0, -3);
  b.add(T0, Infinity);
  t.equal(b.hours()[0]!.posts, 3);
  t.equal(b.hours()[0]!.engagement, 0, 'bad engagement counts as 0');
  const huge = new BestTimes();
  huge.add(T0, 1e200);
  huge.add(T0, 1e200);
  const saved = JSON.parse(JSON.stringify(huge.snapshot())) as unknown;
  const restored = new BestTimes();
  restored.restore(saved);
  t.same(
    restored.hours(),
    huge.hours(),
    'huge engagement: the sums stay finite, the state saves and restores',
  );
  t.equal(huge.hours()[0]!.engagement, 2 * Number.MAX_SAFE_INTEGER, 'read as 2^53 - 1 each');
  for (let i = 0; i < 1000; i++) b.add(T0 + (i + 1) * 1e10, 1); // far-future clocks
  t.ok((b.snapshot().pending as unknown[]).length <= 5, 'open hours capped');
  b.advance(NaN);
  b.advance(-Infinity);
  b.advance(T0 + 2 * HOUR);
  t.ok(b.forecast().every((x) => Number.isFinite(x.posts) && Number.isFinite(x.engagement)));
  t.ok(rankHours(b.hours()).every((e) => [e.mean, e.lo, e.hi].every(Number.isFinite)));
  t.throws(() => new BestTimes({ maxGapHours: 0 }), { name: 'RangeError', message: /maxGapHours/ });
  t.throws(() => new BestTimes({ alpha: 3 }), { name: 'RangeError', message: /alpha/ });
  for (const bad of [null, {}, { ...b.snapshot(), hours: [1] }, { ...b.snapshot(), posts: null }])
    t.throws(() => b.restore(bad), RangeError);

  t.equal(forecastPerPost(10, 50), 5);
  t.equal(forecastPerPost(0, 50), 0);
  t.equal(forecastPerPost(0.01, 50), 0, 'too few posts expected');
  t.equal(forecastPerPost(-2, 5), 0);
  t.equal(forecastPerPost(2, -5), 0);
  t.equal(forecastPerPost(NaN, 5), 0);
});

t.test('deterministic, and a JSON snapshot round trip continues identically', async (t) => {
  const list = posts(4, 3);
  const half = Math.floor(list.length / 2);
  const a = new BestTimes();
  const b = new BestTimes();
  feed(a, list.slice(0, half));
  feed(b, list.slice(0, half));
  t.same(a.snapshot(), b.snapshot());
  const c = new BestTimes();
  c.restore(JSON.parse(JSON.stringify(a.snapshot())));
  // A late post and an out-of-order one after the restore, as a replay would bring them.
  for (const x of [a, c]) {
    x.add(list[0]!.ts, 3);
    x.add(list[half + 5]!.ts, 2);
  }
  feed(a, list.slice(half));
  feed(c, list.slice(half));
  t.same(c.snapshot(), a.snapshot());
  t.same(c.forecast(), a.forecast());
  t.same(c.hours(), a.hours());
  t.equal(c.lateCount, a.lateCount);
});
