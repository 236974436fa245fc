/**
 * Drift detection for a streaming clusterer: when documents stop fitting the clusters, the share of
 * documents that start a new cluster rises. Two exponentially weighted means of that share, one
 * over a short window and one over a long one, are compared with a one-sided test on a proportion;
 * after a detection the detector waits a cooldown (the reservoir is renewed) before it can fire again.
 */

export interface DriftState {
  short: number;
  long: number;
  seen: number;
  quiet: number;
}

export class DriftDetector {
  private short = 0;
  private long = 0;
  private seen = 0;
  /** Documents left before a detection is allowed (warm-up, then cooldown). */
  private quiet: number;

  constructor(
    private readonly window: number,
    private readonly longWindow: number,
    private readonly threshold: number,
  ) {
    this.quiet = longWindow;
  }

  /** One document: did it start a new cluster? True when drift is detected now. */
  observe(created: boolean): boolean {
    const x = created ? 1 : 0;
    this.seen++;
    // Running means until a window has been seen, then exponential forgetting.
    this.short += (x - this.short) / Math.min(this.seen, this.window);
    this.long += (x - this.long) / Math.min(this.seen, this.longWindow);
    if (this.quiet > 0) {
      this.quiet--;
      return false;
    }
    if (!Number.isFinite(this.threshold)) return false;
    // The standard error of a proportion over the short window, with a floor so a near-zero
    // long-run rate does not make a handful of new clusters look like drift.
    const p = Math.max(this.long, 0.01);
    const se = Math.sqrt((p * (1 - p)) / this.window);
    if (this.short - this.long > this.threshold * se) {
      this.quiet = this.longWindow;
      return true;
    }
    return false;
  }

  snapshot(): DriftState {
    return { short: this.short, long: this.long, seen: this.seen, quiet: this.quiet };
  }

  restore(s: DriftState): void {
    this.short = s.short;
    this.long = s.long;
    this.seen = s.seen;
    this.quiet = s.quiet;
  }
}
