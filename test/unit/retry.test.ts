import t from 'tap';
import { sleep } from '../../stream/retry.js';

t.test('sleep: a wait past what a timer takes (a Retry-After of a month) still waits', async (t) => {
  const stop = new AbortController();
  const woke = sleep(30 * 86_400_000, stop.signal).then(() => 'woke');
  const first = await Promise.race([woke, sleep(100).then(() => 'still waiting')]);
  t.equal(first, 'still waiting', 'not at once (Node fires an overflowing timer after 1 ms)');
  stop.abort();
  t.equal(await woke, 'woke', 'an abort ends it');
});
