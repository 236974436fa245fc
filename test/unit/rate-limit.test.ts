import t from 'tap';
import { RateLimiter } from '../../ingest/rate-limit.js';

function limiter(ratePerSec: number, burst: number, maxKeys?: number) {
  let now = 0;
  const l = new RateLimiter({ ratePerSec, burst, now: () => now, ...(maxKeys && { maxKeys }) });
  return { l, advance: (ms: number) => (now += ms) };
}

t.test('a new key starts with a full bucket; a request takes all its tokens or none', async (t) => {
  const { l } = limiter(10, 20);
  t.same(l.take('a', 15), { ok: true });
  t.same(l.take('a', 6), { ok: false, retryAfterMs: 100 }, '1 token short at 10/s: 100 ms');
  t.same(l.take('a', 5), { ok: true }, 'the refused request took nothing');
  t.same(l.take('a', 1), { ok: false, retryAfterMs: 100 });
  t.same(l.take('a', 0), { ok: true }, 'an empty request always passes');
});

t.test('tokens refill at the rate, up to the burst', async (t) => {
  const { l, advance } = limiter(4, 8);
  t.same(l.take('a', 8), { ok: true });
  advance(500);
  t.same(l.take('a', 3), { ok: false, retryAfterMs: 250 }, '2 tokens after 500 ms');
  advance(250);
  t.same(l.take('a', 3), { ok: true }, '3 tokens after 750 ms');
  advance(60_000);
  t.same(l.take('a', 8), { ok: true }, 'a long pause refills to the burst');
  t.same(l.take('a', 1), { ok: false, retryAfterMs: 250 }, 'and no further');
});

t.test('keys have their own buckets', async (t) => {
  const { l } = limiter(1, 2);
  t.same(l.take('a', 2), { ok: true });
  t.same(l.take('b', 2), { ok: true });
  t.equal(l.take('a', 1).ok, false);
});

t.test('a request larger than the burst never fits', async (t) => {
  const { l } = limiter(100, 10);
  t.same(l.take('a', 11), { ok: false, retryAfterMs: Number.POSITIVE_INFINITY });
  t.same(l.take('a', 10), { ok: true }, 'and takes nothing');
});

t.test('fractional rates give whole-millisecond waits', async (t) => {
  const { l } = limiter(0.5, 1);
  t.same(l.take('a', 1), { ok: true });
  t.same(l.take('a', 1), { ok: false, retryAfterMs: 2000 });
});

t.test('the least recently used buckets are dropped past maxKeys', async (t) => {
  const { l } = limiter(1, 1, 2);
  t.same(l.take('a', 1), { ok: true });
  t.same(l.take('b', 1), { ok: true });
  t.equal(l.take('a', 1).ok, false, 'a is now the most recently used');
  t.same(l.take('c', 1), { ok: true }, 'c pushes out b');
  t.equal(l.take('a', 1).ok, false, 'a was kept');
  t.same(l.take('b', 1), { ok: true }, 'b starts over with a full bucket');
});

t.test('bad settings are refused', async (t) => {
  t.throws(() => new RateLimiter({ ratePerSec: 0, burst: 1 }), RangeError);
  t.throws(() => new RateLimiter({ ratePerSec: 1, burst: 0 }), RangeError);
});
