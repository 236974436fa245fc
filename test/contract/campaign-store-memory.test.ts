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

t.test('memory is bounded: the oldest decisions and feedback keys go first past the caps', async (t) => {
  const store = new MemoryCampaignStore({ maxDecisions: 3, maxFeedbackKeys: 2 });
  const c = campaign();
  const ds = [1, 2, 3, 4, 5].map(() => decision(c.id, 'red'));
  for (const d of ds) await store.decide(d);
  t.same(
    await store.reward(c.id, ds[0]!.id, 1, ds[0]!.at, 1),
    { status: 'unknown' },
    'the oldest is dropped',
  );
  t.same(await store.reward(c.id, ds[1]!.id, 1, ds[1]!.at, 1), { status: 'unknown' });
  t.equal((await store.reward(c.id, ds[2]!.id, 1, ds[2]!.at, 1)).status, 'applied', 'the newest three stay');
  t.equal((await store.reward(c.id, ds[4]!.id, 1, ds[4]!.at, 1)).status, 'applied');
  const fb = (key: string) => ({ key, campaign: c.id, arm: 'blue', kind: 'pull' as const, value: 0 });
  await store.feedback([fb('a'), fb('b'), fb('c')], () => 1);
  await store.feedback([fb('c')], () => 1);
  const pulls = async () => (await store.arms(c.id)).arms.find((a) => a.arm === 'blue')?.pulls;
  t.equal(await pulls(), 3, 'a key still held applies once');
  await store.feedback([fb('a')], () => 1);
  t.equal(await pulls(), 4, 'the oldest key was forgotten');
  t.throws(() => new MemoryCampaignStore({ maxDecisions: 0 }), /maxDecisions must be an integer >= 1/);
});
