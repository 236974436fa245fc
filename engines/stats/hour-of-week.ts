/**
 * Activity by hour of the week: posts, negative posts and engagement counted into 168 hourly
 * buckets (UTC, Monday 00:00 first). The seed of "best time to post": a brand's audience is
 * active and engaged at some hours more than others, week after week.
 */

export const HOURS_PER_WEEK = 168;

const HOUR_MS = 3_600_000;
/** 1970-01-01 was a Thursday: shift so that hour 0 is Monday 00:00 UTC. */
const MONDAY_OFFSET_HOURS = 3 * 24;

/** The hour of the week (0 = Monday 00:00-01:00 UTC … 167 = Sunday 23:00-24:00) of a time in ms. */
export function hourOfWeek(ts: number): number {
  const hours = Math.floor(ts / HOUR_MS) + MONDAY_OFFSET_HOURS;
  return ((hours % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK;
}

export interface HourCell {
  posts: number;
  negative: number;
  /** Likes, shares and replies of the posts, added up. */
  engagement: number;
}

const FIELDS = 3;

export class HourOfWeekProfile {
  /** posts, negative, engagement for each hour, flat. */
  private readonly cells = new Float64Array(HOURS_PER_WEEK * FIELDS);

  /** Counts one post at `ts`; returns its hour of the week. Non-finite times are not counted (-1). */
  update(ts: number, negative: boolean, engagement: number): number {
    if (!Number.isFinite(ts)) return -1;
    const h = hourOfWeek(ts);
    const i = h * FIELDS;
    this.cells[i]! += 1;
    if (negative) this.cells[i + 1]! += 1;
    if (Number.isFinite(engagement) && engagement > 0) this.cells[i + 2]! += engagement;
    return h;
  }

  cell(hour: number): HourCell {
    if (!(Number.isInteger(hour) && hour >= 0 && hour < HOURS_PER_WEEK))
      throw new RangeError(`hour of week must be an integer from 0 to ${HOURS_PER_WEEK - 1}`);
    const i = hour * FIELDS;
    return { posts: this.cells[i]!, negative: this.cells[i + 1]!, engagement: this.cells[i + 2]! };
  }

  /** Posts counted in all hours. */
  get total(): number {
    let n = 0;
    for (let h = 0; h < HOURS_PER_WEEK; h++) n += this.cells[h * FIELDS]!;
    return n;
  }

  snapshot(): number[] {
    return Array.from(this.cells);
  }

  restore(state: readonly number[]): void {
    if (state.length !== this.cells.length)
      throw new RangeError(`hour-of-week state must hold ${this.cells.length} numbers, got ${state.length}`);
    this.cells.set(state);
  }
}
