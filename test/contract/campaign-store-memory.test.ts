import t from 'tap';
import { MemoryCampaignStore } from '../../stream/index.js';
import { campaign, campaignStoreContract, decision } from './campaign-store-contract.js';

campaignStoreContract(t, 'in-memory', async () => new MemoryCampaignStore());

t.test('decisions and feedback keys are dropped after the retention', async (t) => {
  let now = Date.now();
  const store = new MemoryCampaignStore({ retentionMs: 60_000, now: () => now });
  const c = campaign();
  const d = decision(c.id, 'red', { at: now, expires_at: now + 1000 });
  await store.decide(d);
  const fb = { key: 'k', campaign: c.id, arm: 'red', kind: 'pull' as const, value: 0 };
  await store.feedback([fb], () => 1);
  now += 59_000;
  await store.feedback([fb], () => 1);
  t.equal((await store.reward(c.id, d.id, 1, d.at, 1)).status, 'applied', 'kept for expiry + retention');
  now += 120_000;
  await store.decide(decision(c.id, 'blue'));
  t.same(await store.reward(c.id, d.id, 1, d.at, 1), { status: 'unknown' }, 'gone');
  await store.feedback([fb], () => 1);
  t.equal((await store.arms(c.id)).arms.find((a) => a.arm === 'red')?.pulls, 3, 'the key was forgotten');
});
