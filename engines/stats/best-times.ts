/**
 * Best time to post, for one brand: which hours of the week bring the most engagement per post,
 * and what the coming hours will likely bring.
 *
 * - Hour-of-week statistics: posts, the sum of their engagement and its sum of squares per hour of
 *   the week (UTC, as `hourOfWeek`). Sums add up over partitions, so the estimate and its interval
 *   are a pure function of the sums (`hourEstimate`), applied after the partitions are added.
 * - Forecast: two additive Holt-Winters series over closed hours, posts and engagement. Both start at
 *   zero with fixed parameters, so they are linear filters: the sum of the partitions' forecasts is
 *   the forecast of the brand's whole traffic, as long as the partitions close the same hours
 *   (the same watermarks). Per-post engagement is read from the two added forecasts
 *   (`forecastPerPost`), never averaged over partitions.
 *
 * A post counts into `hours()` whatever its time. The forecast series see only closed hours: a post
 * whose hour was already closed when it arrived (late, within the caller's allowed lateness) counts
 * into `hours()` and `lateCount`, not into the series.
 */
import {
  HoltWinters,
  holtWintersOptions,
  type HoltWintersOptions,
  type HoltWintersSnapshot,
} from './holt-winters.js';
import { HOURS_PER_WEEK, hourOfWeek } from './hour-of-week.js';

const HOUR_MS = 3_600_000;

export interface HourStats {
  hour_of_week: number;
  posts: number;
  /** Likes, shares and replies of the posts, added up. */
  engagement: number;
  /** The sum of each post's engagement squared. */
  engagement_sq: number;
}

export interface HourEstimate {
  hour_of_week: number;
  posts: number;
  /** Mean engagement per post (0 without posts). */
  mean: number;
  /** 95% interval of the mean (both 0 without posts; lo never below 0). */
  lo: number;
  hi: number;
}

/** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
const T975 = [
  12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604,
  2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.093, 2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555,
  2.0518, 2.0484, 2.0452, 2.0423,
];
const Z975 = 1.959963984540054;

/** t₀.₉₇₅ with `df` degrees of freedom: the table, then the Cornish-Fisher expansion (error < 1e-4). */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return T975[0]!;
  if (df <= T975.length) return T975[Math.floor(df) - 1]!;
  const z = Z975;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3)
  );
}

const nonNegative = (v: number) => (Number.isFinite(v) && v > 0 ? v : 0);

/**
 * Mean engagement per post at an hour with a 95% t-interval, from the sums alone (so merged
 * partitions give the same answer as one instance fed everything). The variance is the sample
 * variance with a floor at the mean: engagement is a count, whose variance is at least its mean
 * (Poisson), so one post or equal values still leave an honest spread instead of certainty.
 * Bad sums (NaN, negative) count as 0.
 */
export function hourEstimate(s: HourStats): HourEstimate {
  const n = nonNegative(s.posts);
  if (n === 0) return { hour_of_week: s.hour_of_week, posts: 0, mean: 0, lo: 0, hi: 0 };
  const sum = nonNegative(s.engagement);
  const mean = sum / n;
  const sampleVar = n > 1 ? Math.max(0, (nonNegative(s.engagement_sq) - sum * mean) / (n - 1)) : 0;
  const variance = Math.max(sampleVar, mean);
  const half = tQuantile975(Math.max(1, n - 1)) * Math.sqrt(variance / n);
  return { hour_of_week: s.hour_of_week, posts: n, mean, lo: Math.max(0, mean - half), hi: mean + half };
}

/**
 * The hours ranked best first by the lower end of their interval (an hour must be good and well
 * measured to rank high), then by mean, posts, and the hour itself, so ties are deterministic.
 */
export function rankHours(stats: readonly HourStats[]): HourEstimate[] {
  return stats
    .map(hourEstimate)
    .sort((a, b) => b.lo - a.lo || b.mean - a.mean || b.posts - a.posts || a.hour_of_week - b.hour_of_week);
}

/**
 * Engagement per post from a forecast of posts and of engagement (added over partitions first):
 * 0 when fewer than `minPosts` posts are expected, since a ratio of two near-zero forecasts is noise.
 */
export function forecastPerPost(posts: number, engagement: number, minPosts = 0.05): number {
  if (!(Number.isFinite(posts) && Number.isFinite(engagement) && posts >= minPosts && posts > 0)) return 0;
  return Math.max(0, engagement / posts);
}

export interface BestTimesOptions extends HoltWintersOptions {
  /**
   * One `advance` feeds at most this many empty hours in a row into the series; past that the
   * series hold their state and only their clock moves on. Bounds the catch-up work after a long
   * jump of the watermark. Partitions stay exactly additive as long as no such jump happens.
   */
  maxGapHours: number;
  /**
   * Open hours (not closed yet) held at most. Posts far in the future (a wrong clock) would open
   * hours that no watermark closes soon: past the cap the latest open hour is dropped from the
   * series (its posts still count into `hours()`).
   */
  maxPendingHours: number;
}

export const DEFAULT_BEST_TIMES_OPTIONS: BestTimesOptions = Object.freeze({
  ...holtWintersOptions(),
  maxGapHours: 4 * HOURS_PER_WEEK,
  maxPendingHours: 2 * HOURS_PER_WEEK,
});

/** Most hours one `forecast` returns (four weeks). */
export const MAX_FORECAST_HOURS = 4 * HOURS_PER_WEEK;

/** Fills in the defaults and checks every option; a bad one throws a RangeError naming it. */
export function bestTimesOptions(partial: Partial<BestTimesOptions> = {}): BestTimesOptions {
  const o: BestTimesOptions = {
    ...DEFAULT_BEST_TIMES_OPTIONS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  holtWintersOptions(o);
  for (const name of ['maxGapHours', 'maxPendingHours'] as const)
    if (!(Number.isInteger(o[name]) && o[name] >= 1))
      throw new RangeError(`best-times option ${name} must be a whole number ≥ 1, got ${o[name]}`);
  return o;
}

/** JSON-safe state of a BestTimes. */
export interface BestTimesSnapshot {
  /** posts, engagement, engagement_sq for each hour of the week, flat. */
  hours: number[];
  /** [hour (ms / 3.6e6), posts, engagement] of each open hour, ascending. */
  pending: [number, number, number][];
  /** The first hour not closed yet (ms / 3.6e6); null before the first close. */
  closedUntil: number | null;
  late: number;
  posts: HoltWintersSnapshot;
  engagement: HoltWintersSnapshot;
}

const FIELDS = 3;

export class BestTimes {
  readonly options: BestTimesOptions;
  private readonly cells = new Float64Array(HOURS_PER_WEEK * FIELDS);
  /** Open hours: hour index → [posts, engagement]. */
  private readonly pending = new Map<number, [number, number]>();
  private closedUntil: number | null = null;
  private late = 0;
  private postSeries: HoltWinters;
  private engagementSeries: HoltWinters;

  constructor(options: Partial<BestTimesOptions> = {}) {
    this.options = bestTimesOptions(options);
    this.postSeries = this.series();
    this.engagementSeries = this.series();
  }

  /** A series with this instance's parameters, from zero or restored from `state` (throws on a malformed one). */
  private series(state?: unknown): HoltWinters {
    const { alpha, beta, gamma, season, phi } = this.options;
    const model = new HoltWinters({ alpha, beta, gamma, season, phi });
    if (state !== undefined) model.restore(state);
    return model;
  }

  /** Posts that arrived after their hour was closed: in `hours()`, not in the forecast. */
  get lateCount(): number {
    return this.late;
  }

  /**
   * One post at event time `ts` with its engagement (non-finite or negative: 0; above 2^53, 2^53,
   * so that the sums of squares stay finite and the state can be saved). Non-finite times are not
   * counted.
   */
  add(ts: number, engagement: number): void {
    if (!Number.isFinite(ts)) return;
    const e = Math.min(nonNegative(engagement), Number.MAX_SAFE_INTEGER);
    const i = hourOfWeek(ts) * FIELDS;
    this.cells[i]! += 1;
    this.cells[i + 1]! += e;
    this.cells[i + 2]! += e * e;
    const hour = Math.floor(ts / HOUR_MS);
    if (this.closedUntil !== null && hour < this.closedUntil) {
      this.late++;
      return;
    }
    const open = this.pending.get(hour);
    if (open) {
      open[0] += 1;
      open[1] += e;
      return;
    }
    this.pending.set(hour, [1, e]);
    if (this.pending.size > this.options.maxPendingHours)
      this.pending.delete(Math.max(...this.pending.keys()));
  }

  /**
   * Closes every whole hour before `watermark` not closed yet, oldest first, feeding each hour's
   * totals (zeros for an hour without posts) to the two series. The series start at the first
   * hour with a post: before it every state is zero, which is what feeding zeros would leave.
   */
  advance(watermark: number): void {
    if (!Number.isFinite(watermark)) return;
    const until = Math.floor(watermark / HOUR_MS);
    const due = [...this.pending.keys()].filter((h) => h < until).sort((a, b) => a - b);
    if (this.closedUntil === null) {
      if (due.length === 0) return;
      this.closedUntil = due[0]!;
      // The seasonal position follows the clock hour, so every partition's series line up.
      const phase = ((this.closedUntil % this.options.season) + this.options.season) % this.options.season;
      this.postSeries.skip(phase);
      this.engagementSeries.skip(phase);
    }
    for (const hour of due) {
      this.emptyHours(hour - this.closedUntil);
      const [posts, engagement] = this.pending.get(hour)!;
      this.pending.delete(hour);
      this.postSeries.update(posts);
      this.engagementSeries.update(engagement);
      this.closedUntil = hour + 1;
    }
    if (until > this.closedUntil) {
      this.emptyHours(until - this.closedUntil);
      this.closedUntil = until;
    }
  }

  private emptyHours(n: number): void {
    const fed = Math.min(n, this.options.maxGapHours);
    for (let i = 0; i < fed; i++) {
      this.postSeries.update(0);
      this.engagementSeries.update(0);
    }
    this.postSeries.skip(n - fed);
    this.engagementSeries.skip(n - fed);
  }

  /** The 168 hours of the week, Monday 00:00 UTC first, zeros included. */
  hours(): HourStats[] {
    const out: HourStats[] = [];
    for (let h = 0; h < HOURS_PER_WEEK; h++) {
      const i = h * FIELDS;
      out.push({
        hour_of_week: h,
        posts: this.cells[i]!,
        engagement: this.cells[i + 1]!,
        engagement_sq: this.cells[i + 2]!,
      });
    }
    return out;
  }

  /**
   * Posts and engagement expected in each of the next `hours` hours after the last closed one
   * (at most MAX_FORECAST_HOURS; none before the first close). The values are the linear forecasts,
   * not clamped at 0, so that partitions add up exactly: clamp after adding.
   */
  forecast(hours = HOURS_PER_WEEK): { ts: number; posts: number; engagement: number }[] {
    if (this.closedUntil === null) return [];
    const n = Number.isInteger(hours) && hours > 0 ? Math.min(hours, MAX_FORECAST_HOURS) : 0;
    const posts = this.postSeries.forecast(n);
    const engagement = this.engagementSeries.forecast(n);
    const start = this.closedUntil;
    return posts.map((p, i) => ({ ts: (start + i) * HOUR_MS, posts: p, engagement: engagement[i]! }));
  }

  snapshot(): BestTimesSnapshot {
    return {
      hours: Array.from(this.cells),
      pending: [...this.pending.entries()].sort((a, b) => a[0] - b[0]).map(([h, [p, e]]) => [h, p, e]),
      closedUntil: this.closedUntil,
      late: this.late,
      posts: this.postSeries.snapshot(),
      engagement: this.engagementSeries.snapshot(),
    };
  }

  /** Takes a snapshot of a BestTimes with the same season; a malformed one throws a RangeError. */
  restore(state: unknown): void {
    const s = state as Partial<BestTimesSnapshot> | null;
    const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (
      !s ||
      typeof s !== 'object' ||
      !Array.isArray(s.hours) ||
      s.hours.length !== this.cells.length ||
      !s.hours.every(finite) ||
      !Array.isArray(s.pending) ||
      !s.pending.every((p) => Array.isArray(p) && p.length === 3 && p.every(finite)) ||
      !(s.closedUntil === null || Number.isInteger(s.closedUntil)) ||
      !finite(s.late)
    )
      throw new RangeError('best-times state is malformed');
    const posts = this.series(s.posts);
    const engagement = this.series(s.engagement);
    this.postSeries = posts;
    this.engagementSeries = engagement;
    this.cells.set(s.hours);
    this.pending.clear();
    for (const [h, p, e] of s.pending) this.pending.set(h, [p, e]);
    this.closedUntil = s.closedUntil as number | null;
    this.late = s.late;
  }
}
