/**
 * Drift detection for a streaming clusterer. When documents stop fitting the clusters, either they
 * start new clusters more often, or (more often, as big clusters absorb what is new) they fit the
 * cluster they join worse: their log-likelihood per token falls. Both are followed as
 * exponentially weighted means over a short and a long window; drift is a short-window mean that
 * departs from the long-run level by `threshold` standard errors (one-sided). After a detection
 * the detector is quiet for a long window (the reservoir is renewed) before it can fire again.
 */

export interface DriftState {
  created: [number, number];
  fit: [number, number, number];
  seen: number;
  quiet: number;
}

export class DriftDetector {
  /** New-cluster share: short and long means. */
  private createdShort = 0;
  private createdLong = 0;
  /** Log-likelihood per token: short mean, long mean, long variance. */
  private fitShort = 0;
  private fitLong = 0;
  private fitVar = 0;
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

  /**
   * One document: did it start a new cluster, and its log-likelihood per token under the cluster
   * it joined. True when drift is detected now.
   */
  observe(created: boolean, fit: number): boolean {
    const x = created ? 1 : 0;
    const f = Number.isFinite(fit) ? fit : this.fitLong;
    this.seen++;
    // Running means until a window has been seen, then exponential forgetting.
    const a = 1 / Math.min(this.seen, this.window);
    const b = 1 / Math.min(this.seen, this.longWindow);
    this.createdShort += (x - this.createdShort) * a;
    this.createdLong += (x - this.createdLong) * b;
    this.fitShort += (f - this.fitShort) * a;
    const d = f - this.fitLong;
    this.fitLong += d * b;
    this.fitVar = (1 - b) * (this.fitVar + b * d * d);
    if (this.quiet > 0) {
      this.quiet--;
      return false;
    }
    if (!Number.isFinite(this.threshold)) return false;
    // The standard error of a short exponential mean: sd · sqrt(a / (2 - a)).
    const shrink = Math.sqrt(1 / (2 * this.window - 1));
    // A floor on the share, so that a near-zero long-run rate does not make a few new clusters drift.
    const p = Math.max(this.createdLong, 0.01);
    const createdRise = (this.createdShort - this.createdLong) / (Math.sqrt(p * (1 - p)) * shrink);
    const fitDrop = (this.fitLong - this.fitShort) / (Math.sqrt(Math.max(this.fitVar, 1e-6)) * shrink);
    if (createdRise > this.threshold || fitDrop > this.threshold) {
      this.quiet = this.longWindow;
      return true;
    }
    return false;
  }

  snapshot(): DriftState {
    return {
      created: [this.createdShort, this.createdLong],
      fit: [this.fitShort, this.fitLong, this.fitVar],
      seen: this.seen,
      quiet: this.quiet,
    };
  }

  restore(s: DriftState): void {
    [this.createdShort, this.createdLong] = s.created;
    [this.fitShort, this.fitLong, this.fitVar] = s.fit;
    this.seen = s.seen;
    this.quiet = s.quiet;
  }
}
