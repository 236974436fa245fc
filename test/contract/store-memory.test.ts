import t from 'tap';
import { MemoryStore } from '../../stream/index.js';
import { row, storeContract } from './store-contract.js';

storeContract(t, 'in-memory store', async () => new MemoryStore());

t.test('the in-memory store keeps at most maxWindowsPerSeries windows, dropping the oldest', async (t) => {
  const store = new MemoryStore({ maxWindowsPerSeries: 3 });
  const T0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 5; i++) await store.upsert([row({ brand: 'b', start: T0 + i * 60_000, posts: i })]);
  const out = await store.query({ brand: 'b', window: '1m', from: 0, to: T0 + 10 * 60_000 });
  t.same(
    out.map((w) => w.posts),
    [2, 3, 4],
  );
  t.equal(store.size, 3);
  t.throws(() => new MemoryStore({ maxWindowsPerSeries: 0 }), RangeError);
});
