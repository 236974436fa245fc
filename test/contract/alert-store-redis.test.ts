import t from 'tap';
import { Redis } from 'ioredis';
import { RedisAlertStateStore } from '../../stream/index.js';
import { redisTestPrefixes, REDIS_URL as url } from '../helpers/redis.js';
import { alertStoreContract } from './alert-store-contract.js';

// A random key prefix per test: tests never see each other's keys on a shared Redis.
const prefix = redisTestPrefixes(t, url);

alertStoreContract(t, 'Redis', async () => new RedisAlertStateStore({ url, prefix: prefix() }));

t.test('claims and marks carry the time to live; every key is under the prefix', async (t) => {
  const p = prefix();
  const store = new RedisAlertStateStore({ url, prefix: p, claimTtlMs: 60_000 });
  t.teardown(() => store.close());
  await store.claim('s', 'a', 0);
  await store.updateMark({ subscription: 's', brand: 'b', kind: 'volume' }, () => ({
    alert: 'a',
    severity: 'low',
    at: 1,
    resolved: false,
  }));
  const redis = new Redis(url);
  t.teardown(() => redis.disconnect());
  for (const key of [`${p}alerts:claim:s:a:0`, `${p}alerts:mark:s:b:volume`]) {
    const ttl = await redis.pttl(key);
    t.ok(ttl > 0 && ttl <= 60_000, `${key} expires (${ttl} ms)`);
  }
  t.same((await redis.keys(`${p}*`)).sort(), [`${p}alerts:claim:s:a:0`, `${p}alerts:mark:s:b:volume`]);
  await store.updateMark({ subscription: 's', brand: 'b', kind: 'volume' }, () => null);
  t.same(await redis.keys(`${p}*`), [`${p}alerts:claim:s:a:0`], 'a mark deleted is no key');
});
