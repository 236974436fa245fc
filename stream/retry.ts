/** The one retry helper: exponential backoff with full jitter. No hand-rolled retry loops elsewhere. */
export interface RetryOptions {
  retries: number;
  initialMs?: number;
  maxMs?: number;
  /** Return false to stop retrying an error that cannot get better. */
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** A wait the failure itself names (a server's Retry-After); undefined: the backoff. */
  delayFor?: (err: unknown) => number | undefined;
  signal?: AbortSignal;
  random?: () => number;
}

export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const initial = o.initialMs ?? 100;
  const max = o.maxMs ?? 10_000;
  const random = o.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= o.retries || o.signal?.aborted || (o.retryable && !o.retryable(err))) throw err;
      const delay = o.delayFor?.(err) ?? backoffDelay(attempt, initial, max, random);
      o.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, o.signal);
    }
  }
}

/** The longest wait a timer takes (about 24.8 days): a longer one fires at once, with a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Waits `ms` (at most MAX_TIMER_MS: a Retry-After of a month waits 24.8 days, not 1 ms), or until `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.min(ms, MAX_TIMER_MS));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable (the
 * caller's backoff decides). A header sent twice comes joined (`5, 5`): the longest wait. Only a
 * value with letters (an HTTP date names its day and month) is read as a date: Date.parse alone
 * takes `-1` or `5, 5` for dates in 2001, long past, and the caller would retry at once.
 */
export function retryAfter(value: string | null, now = Date.now()): number | undefined {
  const v = value?.trim() ?? '';
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*$/.test(v))
    return Math.round(Math.max(...v.split(',').map(Number)) * 1000);
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
