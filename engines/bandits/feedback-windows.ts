/**
 * Campaign feedback counted per (campaign, arm, window) by event time, with a watermark of its own:
 * impressions, clicks, conversions, rewards (their number and the sum of their values) and revenue
 * (the sum of the conversions' values). Tumbling windows aligned to the Unix epoch; a window is
 * reported as it changes, then once as final when the watermark (highest time seen minus the
 * allowed out-of-orderness) passes its end plus the allowed lateness, and is then forgotten, so
 * memory holds only the open windows.
 *
 * Pure and deterministic in the order of its input: the same observations in the same order give
 * the same windows, and `restore(snapshot())` carries on exactly where the original was.
 */

export type FeedbackKindName = 'impression' | 'click' | 'conversion' | 'reward';

/** One piece of feedback, as the engine needs it. */
export interface FeedbackObservation {
  campaign: string;
  arm: string;
  kind: FeedbackKindName;
  /** A reward's value, or a conversion's revenue. Missing: adds 0 to the sums (the count still counts). */
  value?: number;
  /** Event time, ms epoch. */
  ts: number;
}

export interface FeedbackCounts {
  impressions: number;
  clicks: number;
  conversions: number;
  /** Feedback of kind `reward`: how many, and the sum of their values. */
  rewards: number;
  reward_sum: number;
  /** The sum of the conversions' values. */
  revenue: number;
}

/** No feedback yet: every count 0. */
export function emptyFeedbackCounts(): FeedbackCounts {
  return { impressions: 0, clicks: 0, conversions: 0, rewards: 0, reward_sum: 0, revenue: 0 };
}

/** A copy of the counts of `c` alone (a window or a stored row has more fields), in their order. */
export function feedbackCounts(c: FeedbackCounts): FeedbackCounts {
  const { impressions, clicks, conversions, rewards, reward_sum, revenue } = c;
  return { impressions, clicks, conversions, rewards, reward_sum, revenue };
}

/** A window's counts as `emit` reports them. */
export interface FeedbackWindow extends FeedbackCounts {
  campaign: string;
  arm: string;
  /** Window start, ms epoch. */
  start: number;
  /** True once: the window is closed and forgotten. */
  final: boolean;
}

export interface FeedbackWindowsOptions {
  /** Window length, ms (a positive integer). */
  windowMs: number;
  /** The watermark trails the highest event time seen by this much. */
  outOfOrdernessMs: number;
  /** A window stays open this long after the watermark passes its end. */
  allowedLatenessMs: number;
}

/** A window's counts in a snapshot, in the order of SNAPSHOT_COUNTS. */
type SnapshotCounts = [number, number, number, number, number, number];

/** JSON-safe state: the window size, the highest event time seen (null: none) and each open window. */
export interface FeedbackWindowsSnapshot {
  /** The windows' length, ms; missing in snapshots from before it was recorded. */
  windowMs?: number;
  maxTs: number | null;
  /** [campaign, arm, start, dirty (0/1), impressions, clicks, conversions, rewards, reward_sum, revenue] */
  windows: [string, string, number, number, ...SnapshotCounts][];
}

/** The order of the counts in a snapshot's window, after its campaign, arm, start and dirty flag. */
const SNAPSHOT_COUNTS = [
  'impressions',
  'clicks',
  'conversions',
  'rewards',
  'reward_sum',
  'revenue',
] as const satisfies readonly (keyof FeedbackCounts)[];

interface Open extends FeedbackCounts {
  campaign: string;
  arm: string;
  start: number;
  /** Changed since the last emit. */
  dirty: boolean;
}

/** An open window's key. Length-prefixed, so no campaign or arm name can make two keys collide. */
function windowId(start: number, campaign: string, arm: string): string {
  return `${start}|${campaign.length}|${campaign}|${arm}`;
}

function compareWindows(a: FeedbackWindow, b: FeedbackWindow): number {
  if (a.start !== b.start) return a.start - b.start;
  if (a.campaign !== b.campaign) return a.campaign < b.campaign ? -1 : 1;
  return a.arm < b.arm ? -1 : a.arm > b.arm ? 1 : 0;
}

export class FeedbackWindows {
  private readonly open = new Map<string, Open>();
  private maxTs = Number.NEGATIVE_INFINITY;

  constructor(readonly options: FeedbackWindowsOptions) {
    const { windowMs, outOfOrdernessMs, allowedLatenessMs } = options;
    if (!(Number.isInteger(windowMs) && windowMs > 0))
      throw new RangeError('the feedback window must be a positive whole number of ms');
    if (!(outOfOrdernessMs >= 0) || !(allowedLatenessMs >= 0))
      throw new RangeError('out-of-orderness and allowed lateness must be 0 or more');
  }

  /** Highest event time seen minus the out-of-orderness; -Infinity before any feedback. */
  get watermark(): number {
    return this.maxTs - this.options.outOfOrdernessMs;
  }

  /** Start of the window holding `ts`. */
  windowOf(ts: number): number {
    return Math.floor(ts / this.options.windowMs) * this.options.windowMs;
  }

  /** True when the window holding `ts` is already final at the current watermark. */
  isLate(ts: number): boolean {
    return this.windowOf(ts) + this.options.windowMs + this.options.allowedLatenessMs <= this.watermark;
  }

  /**
   * Counts one observation at the current watermark, then lets the watermark take its time into
   * account. Returns false (and counts nothing) when its window was already final: the caller
   * reports it as late. A non-finite time is refused with a RangeError.
   */
  add(o: FeedbackObservation): boolean {
    if (!Number.isFinite(o.ts)) throw new RangeError('feedback time must be a finite number of ms');
    const late = this.isLate(o.ts);
    if (!late) {
      const start = this.windowOf(o.ts);
      const id = windowId(start, o.campaign, o.arm);
      let w = this.open.get(id);
      if (!w) {
        w = { campaign: o.campaign, arm: o.arm, start, dirty: false, ...emptyFeedbackCounts() };
        this.open.set(id, w);
      }
      const value = o.value !== undefined && Number.isFinite(o.value) ? o.value : 0;
      switch (o.kind) {
        case 'impression':
          w.impressions++;
          break;
        case 'click':
          w.clicks++;
          break;
        case 'conversion':
          w.conversions++;
          w.revenue += value;
          break;
        case 'reward':
          w.rewards++;
          w.reward_sum += value;
          break;
      }
      w.dirty = true;
    }
    if (o.ts > this.maxTs) this.maxTs = o.ts;
    return !late;
  }

  /**
   * The windows changed since the last call (`final` false), and the windows the watermark has
   * closed (`final` true, reported once, then forgotten). By window start, then campaign, then arm.
   */
  emit(): FeedbackWindow[] {
    const { windowMs, allowedLatenessMs } = this.options;
    const wm = this.watermark;
    const out: FeedbackWindow[] = [];
    for (const [id, w] of this.open) {
      const final = w.start + windowMs + allowedLatenessMs <= wm;
      if (!final && !w.dirty) continue;
      out.push({ campaign: w.campaign, arm: w.arm, start: w.start, final, ...feedbackCounts(w) });
      w.dirty = false;
      if (final) this.open.delete(id);
    }
    return out.sort(compareWindows);
  }

  /** Open windows. */
  get size(): number {
    return this.open.size;
  }

  snapshot(): FeedbackWindowsSnapshot {
    return {
      windowMs: this.options.windowMs,
      maxTs: Number.isFinite(this.maxTs) ? this.maxTs : null,
      windows: [...this.open.values()].map((w) => [
        w.campaign,
        w.arm,
        w.start,
        w.dirty ? 1 : 0,
        ...(SNAPSHOT_COUNTS.map((k) => w[k]) as SnapshotCounts),
      ]),
    };
  }

  /**
   * Restores a snapshot; undefined or null: empty. Returns how many open windows it dropped: those
   * of another length than this instance's (a snapshot taken with another `windowMs`), whose counts
   * span another stretch of time than the window they would be reported as. Splitting or merging
   * them is not exact (their observations are not kept, and closed windows are forgotten), so
   * windows of the new length count from the snapshot on. A snapshot without `windowMs` (from
   * before it was recorded) is taken to be of this length, less the windows whose start is not on
   * its grid. The watermark is kept: it is a time, whatever the windows' length.
   */
  restore(state: FeedbackWindowsSnapshot | undefined | null): number {
    this.open.clear();
    this.maxTs = Number.NEGATIVE_INFINITY;
    if (state === undefined || state === null) return 0;
    this.maxTs = state.maxTs ?? Number.NEGATIVE_INFINITY;
    const { windowMs } = this.options;
    let dropped = 0;
    for (const [campaign, arm, start, dirty, ...counts] of state.windows) {
      if (state.windowMs === undefined ? start % windowMs !== 0 : state.windowMs !== windowMs) {
        dropped++;
        continue;
      }
      const w: Open = { campaign, arm, start, dirty: dirty === 1, ...emptyFeedbackCounts() };
      SNAPSHOT_COUNTS.forEach((k, i) => (w[k] = counts[i]!));
      this.open.set(windowId(start, campaign, arm), w);
    }
    return dropped;
  }
}
