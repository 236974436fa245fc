/**
 * The spike detector's settings. Every one trades sensitivity (earlier alerts, smaller spikes)
 * against false alarms or stability; the README lists them with the same words.
 */
export interface SpikeOptions {
  /** The window the caller feeds (ms): every score, span and count is in these windows. */
  windowMs: number;
  /**
   * Score (robust standard deviations above the baseline) a window must reach to count toward
   * confirmation. Lower: smaller spikes and earlier alerts, more false alarms on noisy brands.
   */
  threshold: number;
  /**
   * Consecutive windows at `threshold` or more that open an alert. 1 fires on the first window
   * (faster, but one noisy window can fire); more waits longer for the same spike.
   */
  confirmWindows: number;
  /** A score that opens an alert on one window alone: the big spike is not kept waiting by the confirmation. */
  highThreshold: number;
  /**
   * Volume and negative-count alerts need the observed count at least this multiple of the
   * baseline. Keeps statistically certain but small rises of big brands quiet; lower catches them.
   */
  minRatio: number;
  /**
   * Extra posts over the baseline (in the span scored) a volume alert needs: the absolute floor
   * that keeps small and new brands from firing on a handful of posts. Lower: small brands alert
   * on smaller bursts.
   */
  minRise: number;
  /** Extra negative posts a negative-count alert needs (as minRise, for negative posts). */
  countMinRise: number;
  /** Posts (in the span scored) a negative-share alert needs: a share of a few posts means nothing. */
  shareMinPosts: number;
  /**
   * Rise of the negative share over its baseline (0..1, absolute) a share alert needs. Sentiment
   * labels are noisy (the models err on a few posts in ten), so small moves are not news; lower
   * catches milder shifts and fires more often on label noise and topic drift.
   */
  shareMinRise: number;
  /**
   * Longer spans (ms) scored besides the single window, each as the sum of its windows against the
   * sum of their baselines: they find slow-building spikes and spikes of sparse brands whose single
   * windows hold a few posts, later than a sharp spike is found. Longer spans cost memory per
   * brand (the longest span is kept, in windows) and react to slow drifts.
   */
  spansMs: number[];
  /**
   * Half-life of the baseline level (ms). Longer: steadier, harder for a long spike to pull up,
   * slower to follow real growth (which then alerts longer).
   */
  baselineHalfLifeMs: number;
  /**
   * Half-life of the hour-of-day and day-of-week profiles, in event time (ms). Longer: steadier
   * profiles, slower to follow a changing daily rhythm.
   */
  seasonHalfLifeMs: number;
  /**
   * A baseline update moves by at most this many robust standard deviations (a Huber/winsorised
   * update): a spike barely moves its own baseline. Lower: more robust, slower to follow a real
   * jump in level.
   */
  clip: number;
  /** No alert in a brand's first posts for this long (ms): the baseline is learned first. */
  warmupMs: number;
  /** A score below this at the alert's span counts as back near the baseline. */
  resolveScore: number;
  /** Consecutive windows near the baseline that resolve an alert. More: fewer split alerts, later resolves. */
  resolveWindows: number;
  /**
   * After a resolve, the same brand and kind does not open again for this long (ms). Longer: no
   * storm from a spike that comes and goes, but a new spike within it is not alerted.
   */
  cooldownMs: number;
  /** Scores at which the severity becomes medium, high and critical (below the first: low). */
  severityScores: [number, number, number];
  /**
   * A brand silent longer than this (ms) holds its baseline: a longer run of empty windows (an
   * outage upstream, a clock jump, a brand nobody posts about at night) is treated as missing data
   * rather than as zero posts, so the return of normal traffic does not look like a spike.
   */
  maxSilenceMs: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

export const DEFAULT_SPIKE_OPTIONS: SpikeOptions = Object.freeze({
  windowMs: MIN,
  threshold: 5,
  confirmWindows: 2,
  highThreshold: 8,
  minRatio: 1.5,
  minRise: 20,
  countMinRise: 10,
  shareMinPosts: 30,
  shareMinRise: 0.15,
  spansMs: Object.freeze([15 * MIN, HOUR]) as unknown as number[],
  baselineHalfLifeMs: HOUR,
  seasonHalfLifeMs: 7 * 24 * HOUR,
  clip: 2,
  warmupMs: 15 * MIN,
  resolveScore: 2,
  resolveWindows: 5,
  cooldownMs: 30 * MIN,
  severityScores: Object.freeze([6, 10, 16]) as unknown as [number, number, number],
  maxSilenceMs: 30 * MIN,
}) as SpikeOptions;

/** The longest span kept per brand, in windows: bounds memory. */
export const MAX_SPAN_WINDOWS = 1_440;

/** Fills in the defaults and checks every setting; a bad one throws a RangeError naming it. */
export function spikeOptions(partial: Partial<SpikeOptions> = {}): SpikeOptions {
  const o: SpikeOptions = {
    ...DEFAULT_SPIKE_OPTIONS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  const positive = (name: keyof SpikeOptions, v: number) => {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`spike option ${name} must be > 0, got ${v}`);
  };
  const atLeast = (name: keyof SpikeOptions, v: number, min: number) => {
    if (!(Number.isFinite(v) && v >= min))
      throw new RangeError(`spike option ${name} must be a number ≥ ${min}, got ${v}`);
  };
  const whole = (name: keyof SpikeOptions, v: number) => {
    if (!(Number.isInteger(v) && v >= 1))
      throw new RangeError(`spike option ${name} must be a whole number ≥ 1, got ${v}`);
  };
  if (!(Number.isInteger(o.windowMs) && o.windowMs >= 1000))
    throw new RangeError(`spike option windowMs must be a whole number of ms ≥ 1000, got ${o.windowMs}`);
  positive('threshold', o.threshold);
  whole('confirmWindows', o.confirmWindows);
  atLeast('highThreshold', o.highThreshold, o.threshold);
  atLeast('minRatio', o.minRatio, 1);
  atLeast('minRise', o.minRise, 0);
  atLeast('countMinRise', o.countMinRise, 0);
  atLeast('shareMinPosts', o.shareMinPosts, 1);
  if (!(o.shareMinRise >= 0 && o.shareMinRise < 1))
    throw new RangeError(`spike option shareMinRise must be in [0, 1), got ${o.shareMinRise}`);
  if (!Array.isArray(o.spansMs)) throw new RangeError('spike option spansMs must be a list of ms');
  for (const s of o.spansMs) {
    if (!(Number.isFinite(s) && s >= o.windowMs && s / o.windowMs <= MAX_SPAN_WINDOWS))
      throw new RangeError(
        `spike option spansMs: each span must be from windowMs to ${MAX_SPAN_WINDOWS} windows, got ${s}`,
      );
  }
  atLeast('baselineHalfLifeMs', o.baselineHalfLifeMs, o.windowMs);
  atLeast('seasonHalfLifeMs', o.seasonHalfLifeMs, o.windowMs);
  positive('clip', o.clip);
  atLeast('warmupMs', o.warmupMs, 0);
  positive('resolveScore', o.resolveScore);
  if (o.resolveScore > o.threshold)
    throw new RangeError(`spike option resolveScore must not exceed threshold, got ${o.resolveScore}`);
  whole('resolveWindows', o.resolveWindows);
  atLeast('cooldownMs', o.cooldownMs, 0);
  const sev = o.severityScores;
  if (!(
    Array.isArray(sev) &&
    sev.length === 3 &&
    sev.every((v, i) => Number.isFinite(v) && (i === 0 || v >= sev[i - 1]!))
  ))
    throw new RangeError('spike option severityScores must be three ascending scores');
  atLeast('maxSilenceMs', o.maxSilenceMs, o.windowMs);
  return { ...o, spansMs: [...o.spansMs], severityScores: [...sev] as [number, number, number] };
}

/** The spans scored, in windows: 1 and each of spansMs, ascending, without repeats. */
export function spanWindows(o: SpikeOptions): number[] {
  const spans = new Set([1, ...o.spansMs.map((s) => Math.max(1, Math.round(s / o.windowMs)))]);
  return [...spans].sort((a, b) => a - b);
}

/** The per-window rate of an EWMA with this half-life in windows. */
export function rateOfHalfLife(halfLifeWindows: number): number {
  return 1 - Math.pow(2, -1 / Math.max(halfLifeWindows, 1e-9));
}
