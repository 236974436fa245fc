/**
 * An exponentially weighted mean whose updates are clipped (a Huber / winsorised update): one
 * outlier moves it by at most `rate × clip`. Until `rate` is smaller than 1/n it is the plain mean
 * of what it has seen, so a new series starts from its first values rather than from zero.
 */
export class RobustMean {
  constructor(
    private readonly rate: number,
    public value = 0,
    /** Updates so far (with a prior: a start value counts as that many observations). */
    public n = 0,
  ) {}

  /**
   * Moves toward `x` by the current rate (times `weight`, 0..1: a less trusted value); the step is
   * clipped to ±`clip` when given.
   */
  update(x: number, clip = Infinity, weight = 1): void {
    if (!Number.isFinite(x)) return;
    this.n += weight;
    const r = x - this.value;
    const step = Math.max(-clip, Math.min(clip, r));
    this.value += Math.max(this.rate, 1 / this.n) * weight * step;
  }

  snapshot(): [number, number] {
    return [this.value, this.n];
  }

  restore(s: unknown, fallback: number): void {
    const [v, n] = Array.isArray(s) ? (s as unknown[]) : [];
    this.value = typeof v === 'number' && Number.isFinite(v) ? v : fallback;
    this.n = typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0;
  }
}
