import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';

/** Redis for tests, without the app: a test of a Redis-backed part needs only this. */
export const REDIS_URL = process.env.PW_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Deletes every Redis key under a test's prefix, so test runs leave nothing behind. */
export async function clearRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * Key prefixes for the tests under `t`, a new random one per call, every one cleared when `t` ends:
 * tests never see each other's keys on a shared Redis.
 */
export function redisTestPrefixes(t: Test, url = REDIS_URL): () => string {
  const prefixes: string[] = [];
  t.teardown(async () => {
    for (const p of prefixes) await clearRedisPrefix(p, url);
  });
  return () => {
    const p = `pwtest:${randomUUID()}:`;
    prefixes.push(p);
    return p;
  };
}
