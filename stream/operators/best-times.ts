import { BestTimes as BrandBestTimes } from '../../engines/stats/best-times.js';
import { hourOfWeek } from '../../engines/stats/hour-of-week.js';
import {
  BEST_TIME_FORECAST_TABLE,
  BEST_TIME_HOURS_TABLE,
  type BestTimeForecastRow,
  type BestTimeHourRow,
} from '../analytics/tables.js';
import { engagementOf } from '../analytics/windowed.js';
import type { EnrichedEvent } from '../model/events.js';
import type {
  Operator,
  OperatorContext,
  OperatorDefinition,
  OperatorOutput,
  TableWrite,
} from './operator.js';

const HOUR_MS = 3_600_000;

/** Hours forecast ahead: a week. */
export const FORECAST_HOURS = 168;

interface Brand {
  model: BrandBestTimes;
  /** Hours of the week changed since the last emit. */
  dirty: Set<number>;
  /** The last closed hour the forecast rows were written for. */
  forecastFrom: number;
}

/**
 * Best time to post: per brand, posts and engagement (with its sum of squares, for an interval) by
 * hour of the week (UTC), all time (`best_time_hours`); and an additive Holt-Winters forecast of
 * the next week's posts and engagement per hour, refreshed as hours close (`best_time_forecast`).
 * Engagement per post at an hour, with its interval, is computed when read from the partitions'
 * sums (engines/stats hourEstimate); the forecasts add up over partitions since the model is linear.
 *
 * Hours close by the social watermark as each post is folded (before the post counts), so the
 * forecast sees the same hours on every replay: a brand's at each of its posts, and every brand's
 * as the watermark enters a new hour.
 */
export class BestTimes implements Operator {
  readonly name = 'best-times';
  private readonly brands = new Map<string, Brand>();
  /** The hour of the watermark every brand was last advanced to. */
  private hour = Number.NEGATIVE_INFINITY;

  constructor(private readonly context: OperatorContext) {}

  private brand(name: string): Brand {
    let b = this.brands.get(name);
    if (!b) {
      b = { model: new BrandBestTimes(), dirty: new Set(), forecastFrom: Number.NEGATIVE_INFINITY };
      this.brands.set(name, b);
    }
    return b;
  }

  fold(event: EnrichedEvent, watermark: number): void {
    // Each hour of the watermark closes for every brand, also the ones nobody named lately: a
    // brand that went quiet gets its empty hours and a forecast from now, not from its last post.
    if (Number.isFinite(watermark) && Math.floor(watermark / HOUR_MS) > this.hour) {
      this.hour = Math.floor(watermark / HOUR_MS);
      for (const b of this.brands.values()) b.model.advance(watermark);
    }
    if (event.brands.length === 0) return;
    const engagement = engagementOf(event);
    for (const name of event.brands) {
      const b = this.brand(name);
      if (Number.isFinite(watermark)) b.model.advance(watermark);
      b.model.add(event.ts, engagement);
      b.dirty.add(hourOfWeek(event.ts));
    }
  }

  emit(_watermark: number, version: number): OperatorOutput {
    const { partition } = this.context;
    const hourRows: BestTimeHourRow[] = [];
    const forecastRows: BestTimeForecastRow[] = [];
    for (const [brand, b] of this.brands) {
      if (b.dirty.size > 0) {
        const hours = b.model.hours();
        for (const h of [...b.dirty].sort((x, y) => x - y)) {
          const s = hours[h];
          if (!s) continue;
          hourRows.push({
            brand,
            partition,
            hour: h,
            posts: s.posts,
            engagement: s.engagement,
            engagement_sq: s.engagement_sq,
            version,
          });
        }
        b.dirty.clear();
      }
      const forecast = b.model.forecast(FORECAST_HOURS);
      const from = forecast[0]?.ts;
      if (from === undefined || from === b.forecastFrom) continue;
      b.forecastFrom = from;
      forecast.forEach((f, step) =>
        forecastRows.push({
          brand,
          partition,
          step,
          ts: f.ts,
          posts: f.posts,
          engagement: f.engagement,
          version,
        }),
      );
    }
    const writes: TableWrite[] = [];
    if (hourRows.length > 0) writes.push({ table: BEST_TIME_HOURS_TABLE, rows: hourRows });
    if (forecastRows.length > 0) writes.push({ table: BEST_TIME_FORECAST_TABLE, rows: forecastRows });
    return { writes, live: [] };
  }

  get size(): number {
    return this.brands.size;
  }

  snapshot(): unknown {
    return {
      hour: Number.isFinite(this.hour) ? this.hour : null,
      brands: [...this.brands].map(([brand, b]) => ({
        brand,
        model: b.model.snapshot(),
        dirty: [...b.dirty],
        forecastFrom: Number.isFinite(b.forecastFrom) ? b.forecastFrom : null,
      })),
    };
  }

  /** A bare list of brands is a snapshot from before every brand's hours closed with the watermark. */
  restore(state: unknown): void {
    type BrandState = { brand: string; model: unknown; dirty: number[]; forecastFrom: number | null };
    const st = (state ?? []) as BrandState[] | { hour: number | null; brands: BrandState[] };
    const list = Array.isArray(st) ? st : st.brands;
    this.hour = Array.isArray(st) ? Number.NEGATIVE_INFINITY : (st.hour ?? Number.NEGATIVE_INFINITY);
    this.brands.clear();
    for (const s of list) {
      const model = new BrandBestTimes();
      model.restore(s.model);
      this.brands.set(s.brand, {
        model,
        dirty: new Set(s.dirty),
        forecastFrom: s.forecastFrom ?? Number.NEGATIVE_INFINITY,
      });
    }
  }
}

export const bestTimes: OperatorDefinition = {
  name: 'best-times',
  description:
    'best time to post: engagement per brand and hour of the week with its spread, and a Holt-Winters forecast of the next week',
  tables: [BEST_TIME_HOURS_TABLE, BEST_TIME_FORECAST_TABLE],
  create: (context) => new BestTimes(context),
};
