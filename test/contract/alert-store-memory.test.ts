import t from 'tap';
import { MemoryAlertStateStore } from '../../stream/index.js';
import { alertStoreContract } from './alert-store-contract.js';

alertStoreContract(t, 'in-memory', async () => new MemoryAlertStateStore());

t.test('claims and marks expire after their time to live', async (t) => {
  let now = 1_000_000;
  const store = new MemoryAlertStateStore({ claimTtlMs: 1000, now: () => now });
  const key = { subscription: 's', brand: 'b', kind: 'volume' as const };
  t.ok(await store.claim('s', 'a', 0));
  await store.updateMark(key, () => ({ alert: 'a', severity: 'low', at: now, resolved: false }));
  now += 999;
  t.notOk(await store.claim('s', 'a', 0));
  t.ok(await store.getMark(key));
  now += 1;
  t.ok(await store.claim('s', 'a', 0), 'claimable again once expired');
  t.equal(await store.getMark(key), undefined);
});
