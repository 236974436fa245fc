import { rankHours, type HourStats } from '../../engines/stats/best-times.js';
import { hourOfWeek, HOURS_PER_WEEK } from '../../engines/stats/hour-of-week.js';
import type { Store } from '../store/store.js';
import { hourLabel, num, ratio, round } from './read-common.js';
import {
  BEST_TIME_FORECAST_TABLE,
  BEST_TIME_HOURS_TABLE,
  type BestTimeForecastRow,
  type BestTimeHourRow,
} from './tables.js';

/**
 * Best time to post for a brand. Per hour of the week, the partitions' posts, engagement and sum of
 * squares add up, and engines/stats `hourEstimate` turns the sums into a mean engagement per post
 * with a 95% interval; hours rank by the interval's lower end (`rankHours`): an hour must be good
 * and well measured to rank high. The forecast of the next week adds the partitions' forecasts by
 * hour (the model is linear), over the hours every forecasting partition covers.
 */

export interface BestHourView {
  /** Hour of the week, UTC: 0 = Monday 00:00-01:00 … 167 = Sunday 23:00-24:00. */
  hour: number;
  day: string;
  hour_of_day: number;
  posts: number;
  /** Mean engagement per post. */
  mean: number;
  /** 95% interval of the mean. */
  lo: number;
  hi: number;
}

export interface ForecastHourView {
  /** Start of the hour, ms. */
  ts: number;
  hour: number;
  day: string;
  hour_of_day: number;
  /** Posts expected (0 at least). */
  posts: number;
  /** Engagement expected (0 at least). */
  engagement: number;
  /** engagement / posts; null when no post is expected. */
  engagement_per_post: number | null;
}

export interface BestTimesView {
  /** Every hour with posts, best first. */
  hours: BestHourView[];
  /** The first `top` of them. */
  best: BestHourView[];
  /** The next hours, oldest first (a week when every partition has forecast). */
  forecast: ForecastHourView[];
}

export const DEFAULT_BEST_HOURS = 5;

/** The 168 hours' sums over the partitions. */
export function sumHours(rows: readonly BestTimeHourRow[]): HourStats[] {
  const hours: HourStats[] = Array.from({ length: HOURS_PER_WEEK }, (_, h) => ({
    hour_of_week: h,
    posts: 0,
    engagement: 0,
    engagement_sq: 0,
  }));
  for (const r of rows) {
    const h = hours[r.hour];
    if (!h) continue;
    h.posts += Math.max(0, num(r.posts));
    h.engagement += Math.max(0, num(r.engagement));
    h.engagement_sq += Math.max(0, num(r.engagement_sq));
  }
  return hours;
}

/** The hours with posts, ranked best first. Pure. */
export function rankBestHours(rows: readonly BestTimeHourRow[]): BestHourView[] {
  return rankHours(sumHours(rows).filter((h) => h.posts > 0)).map((e) => ({
    hour: e.hour_of_week,
    ...hourLabel(e.hour_of_week),
    posts: e.posts,
    mean: round(e.mean),
    lo: round(e.lo),
    hi: round(e.hi),
  }));
}

/** A partition whose forecast starts this much before the latest one's has had no posts lately. */
export const STALE_FORECAST_MS = 24 * 3_600_000;

/**
 * The partitions' forecasts added by hour. Only the hours every current partition covers are kept:
 * a partition whose watermark is an hour behind starts its forecast an hour earlier, and an hour it
 * does not cover would be missing its share. A partition whose forecast starts more than
 * STALE_FORECAST_MS before the latest has had no posts since (a brand's hours close with the
 * partition's watermark): it is left out, rather than cutting the others' forecast short.
 */
export function mergeForecast(rows: readonly BestTimeForecastRow[]): ForecastHourView[] {
  const starts = new Map<number, number>();
  for (const r of rows)
    if (Number.isFinite(r.ts)) starts.set(r.partition, Math.min(starts.get(r.partition) ?? Infinity, r.ts));
  const latest = Math.max(...starts.values());
  const partitions = new Set(
    [...starts].filter(([, from]) => from >= latest - STALE_FORECAST_MS).map(([p]) => p),
  );
  const byTs = new Map<number, { posts: number; engagement: number; partitions: Set<number> }>();
  for (const r of rows) {
    if (!Number.isFinite(r.ts) || !partitions.has(r.partition)) continue;
    let h = byTs.get(r.ts);
    if (!h) byTs.set(r.ts, (h = { posts: 0, engagement: 0, partitions: new Set() }));
    h.posts += num(r.posts);
    h.engagement += num(r.engagement);
    h.partitions.add(r.partition);
  }
  return [...byTs]
    .filter(([, h]) => h.partitions.size === partitions.size)
    .sort((a, b) => a[0] - b[0])
    .map(([ts, h]) => {
      const hour = hourOfWeek(ts);
      const posts = Math.max(0, h.posts);
      const engagement = Math.max(0, h.engagement);
      const perPost = ratio(engagement, posts);
      return {
        ts,
        hour,
        ...hourLabel(hour),
        posts: round(posts),
        engagement: round(engagement),
        engagement_per_post: perPost === null ? null : round(perPost),
      };
    });
}

/** A brand's (by name) best hours and next week's forecast: two store reads. */
export async function readBestTimes(
  store: Store,
  brand: string,
  top = DEFAULT_BEST_HOURS,
): Promise<BestTimesView> {
  const [hourRows, forecastRows] = await Promise.all([
    store.read(BEST_TIME_HOURS_TABLE, { brand }),
    store.read(BEST_TIME_FORECAST_TABLE, { brand }),
  ]);
  const hours = rankBestHours(hourRows);
  return { hours, best: hours.slice(0, Math.max(0, top)), forecast: mergeForecast(forecastRows) };
}
