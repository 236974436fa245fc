import { rateOfHalfLife } from './options.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The day-of-week profile learns this many times slower than the hour-of-day one: a weekday comes once a week. */
const DAY_SLOWER = 4;
/** A factor is kept within these bounds, so an hour that is nearly always empty does not make every post a spike. */
const MIN_FACTOR = 0.05;
const MAX_FACTOR = 20;

/** The (UTC) hour of the day of a time in ms, 0..23. */
export function hourOfDay(ts: number): number {
  return ((Math.floor(ts / HOUR_MS) % 24) + 24) % 24;
}

/** The day of the week of a time in ms, 0..6 (0 is a Thursday: only the cycle matters). */
export function dayOfWeek(ts: number): number {
  return ((Math.floor(ts / DAY_MS) % 7) + 7) % 7;
}

export interface SeasonalState {
  hour: number[];
  hourN: number[];
  day: number[];
  dayN: number[];
  first: number | null;
  last: number | null;
}

/**
 * A multiplicative seasonal profile of a count per window: how much busier than average an hour
 * of the day (and, after a week, a day of the week) is. Each hour of the day keeps a slow average
 * of its windows' counts; the factor of an hour is its average over the mean of all hours. The
 * profile is not used until a day of history exists (every hour seen), and ramps in over the
 * second day; the day-of-week factor likewise from the seventh to the fourteenth day. Before
 * that a factor is 1, and the baseline level alone follows the daily cycle (with a lag the volume
 * rules of the detector absorb).
 */
export class SeasonalProfile {
  private readonly hour = new Array<number>(24).fill(0);
  private readonly hourN = new Array<number>(24).fill(0);
  private readonly day = new Array<number>(7).fill(0);
  private readonly dayN = new Array<number>(7).fill(0);
  private first: number | null = null;
  private last: number | null = null;
  private readonly hourRate: number;
  private readonly dayRate: number;

  constructor(windowMs: number, halfLifeMs: number) {
    // Each hour of the day gets HOUR_MS / windowMs windows a day; each day of the week, DAY_MS / windowMs a week.
    this.hourRate = rateOfHalfLife(halfLifeMs / (24 * windowMs));
    this.dayRate = rateOfHalfLife((DAY_SLOWER * halfLifeMs) / (7 * windowMs));
  }

  /** Expected count of a window at `ts` relative to the brand's average window (1: no profile yet). */
  factor(ts: number): number {
    return clampFactor(this.hourFactor(ts) * this.dayFactor(ts));
  }

  /** Learns one window's count (already winsorised by the caller). */
  learn(ts: number, count: number): void {
    if (!Number.isFinite(ts) || !Number.isFinite(count)) return;
    if (this.first === null) this.first = ts;
    this.last = ts;
    const h = hourOfDay(ts);
    this.hourN[h]!++;
    this.hour[h]! += Math.max(this.hourRate, 1 / this.hourN[h]!) * (count - this.hour[h]!);
    // The day profile learns counts with the hour of the day taken out, so that a day is not
    // judged by the hours seen last.
    const d = dayOfWeek(ts);
    this.dayN[d]!++;
    const hf = this.rawHourFactor(h);
    this.day[d]! += Math.max(this.dayRate, 1 / this.dayN[d]!) * (count / hf - this.day[d]!);
  }

  /** Days of history, for the ramps. */
  private days(): number {
    return this.first === null || this.last === null ? 0 : (this.last - this.first) / DAY_MS;
  }

  private rawHourFactor(h: number): number {
    if (this.hourN.some((n) => n === 0)) return 1;
    const mean = this.hour.reduce((a, b) => a + b, 0) / 24;
    return mean > 0 ? clampFactor(this.hour[h]! / mean) : 1;
  }

  private hourFactor(ts: number): number {
    const w = ramp(this.days(), 1, 2);
    return w === 0 ? 1 : 1 + w * (this.rawHourFactor(hourOfDay(ts)) - 1);
  }

  private dayFactor(ts: number): number {
    const w = ramp(this.days(), 7, 14);
    if (w === 0 || this.dayN.some((n) => n === 0)) return 1;
    const mean = this.day.reduce((a, b) => a + b, 0) / 7;
    const f = mean > 0 ? clampFactor(this.day[dayOfWeek(ts)]! / mean) : 1;
    return 1 + w * (f - 1);
  }

  snapshot(): SeasonalState {
    return {
      hour: [...this.hour],
      hourN: [...this.hourN],
      day: [...this.day],
      dayN: [...this.dayN],
      first: this.first,
      last: this.last,
    };
  }

  restore(s: SeasonalState | undefined): void {
    this.hour.fill(0);
    this.hourN.fill(0);
    this.day.fill(0);
    this.dayN.fill(0);
    this.first = null;
    this.last = null;
    if (!s) return;
    copyInto(this.hour, s.hour);
    copyInto(this.hourN, s.hourN);
    copyInto(this.day, s.day);
    copyInto(this.dayN, s.dayN);
    this.first = finiteOrNull(s.first);
    this.last = finiteOrNull(s.last);
  }
}

/** 0 below `from`, 1 above `to`, linear between. */
function ramp(x: number, from: number, to: number): number {
  return x <= from ? 0 : x >= to ? 1 : (x - from) / (to - from);
}

function clampFactor(f: number): number {
  return Number.isFinite(f) ? Math.min(MAX_FACTOR, Math.max(MIN_FACTOR, f)) : 1;
}

function copyInto(target: number[], source: unknown): void {
  if (!Array.isArray(source)) return;
  for (let i = 0; i < target.length; i++) {
    const v = source[i];
    target[i] = typeof v === 'number' && Number.isFinite(v) ? v : 0;
  }
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
