/**
 * A token bucket: at most `ratePerSec` texts per second on average, with bursts up to `burst`.
 * The clock is passed in, so tests drive time by hand.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number = Math.max(1, ratePerSec),
    private readonly now: () => number = Date.now,
  ) {
    if (!(ratePerSec >= 0) || !(burst >= 0)) throw new RangeError('rate and burst must be ≥ 0');
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens if there are that many; returns whether it did. */
  take(n = 1): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens available now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
      this.last = t;
    }
  }
}
