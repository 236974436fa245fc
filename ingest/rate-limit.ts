export interface RateLimiterOptions {
  /** Tokens (events) added per second. */
  ratePerSec: number;
  /** Tokens a bucket holds at most: the largest request that can ever pass. */
  burst: number;
  /** Buckets kept at most; the least recently used go first (a dropped bucket starts full again). */
  maxKeys?: number;
  /** Milliseconds of a monotonic clock; tests pass a fake one. */
  now?: () => number;
}

/** What {@link RateLimiter.take} decided: taken, or how long until `n` tokens would be there. */
export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (an API key's name, or a client address): `take(key, n)` takes all `n`
 * tokens or none, so a request is admitted whole or refused whole. Buckets live in this process
 * only: N ingest processes behind a load balancer admit up to N times the rate.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly o: RateLimiterOptions) {
    if (!(o.ratePerSec > 0)) throw new RangeError('ratePerSec must be positive');
    if (!(o.burst >= 1)) throw new RangeError('burst must be at least 1');
    this.now = o.now ?? (() => performance.now());
    this.maxKeys = o.maxKeys ?? 100_000;
  }

  get ratePerSec(): number {
    return this.o.ratePerSec;
  }

  get burst(): number {
    return this.o.burst;
  }

  /**
   * Takes `n` tokens from `key`'s bucket if it holds them; otherwise takes nothing and says when
   * they would be there (never, `Infinity`, when `n` is over the burst).
   */
  take(key: string, n: number): TakeResult {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key); // re-inserted below: the Map's order is least recently used first
      bucket.tokens = Math.min(this.o.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.o.ratePerSec);
      bucket.at = now;
    } else {
      bucket = { tokens: this.o.burst, at: now };
      for (const oldest of this.buckets.keys()) {
        if (this.buckets.size < this.maxKeys) break;
        this.buckets.delete(oldest);
      }
    }
    this.buckets.set(key, bucket);
    if (n <= bucket.tokens) {
      bucket.tokens -= n;
      return { ok: true };
    }
    if (n > this.o.burst) return { ok: false, retryAfterMs: Number.POSITIVE_INFINITY };
    return { ok: false, retryAfterMs: Math.ceil(((n - bucket.tokens) / this.o.ratePerSec) * 1000) };
  }
}
