import t from 'tap';
import { emptyArm, recordPull, recordReward } from '../../engines/bandits/index.js';
import { summarize } from '../../stream/campaigns/summary.js';
import type { Campaign } from '../../stream/index.js';

const campaign = (over: Partial<Campaign> = {}): Campaign => ({
  id: 'c',
  arms: ['a', 'b'],
  retired: [],
  policy: 'thompson',
  policy_options: {},
  reward: 'binary',
  decision_ttl_ms: 60_000,
  created_at: 1,
  updated_at: 1,
  ...over,
});

t.test('a binary arm reports its prior as the policies read it: a mean from 0 to 1', async (t) => {
  // A priors file is loaded before (or apart from) its campaign, so nothing stops a mean of 5 for a
  // binary campaign; every policy clamps it to [0, 1], and GET must report what they rank by.
  const a = emptyArm('a');
  recordPull(a);
  recordReward(a, 0, 0, 1);
  const b = emptyArm('b');
  recordPull(b);
  recordReward(b, 1, 1, 1);
  const s = summarize(campaign(), { clock: 2, arms: [a, b] }, new Map([['a', { n: 9, mean: 5 }]]));
  const row = s.arms.find((r) => r.arm === 'a')!;
  t.equal(row.mean, 0.9, '(0 + 9 × 1) / 10, the prior mean clamped to 1');
  t.ok(row.interval[0] <= row.mean && row.mean <= row.interval[1], 'the mean lies in its interval');
  t.equal(s.leader, 'b', 'b (1 of 1) leads a (0.9)');
});

t.test('a continuous arm with a prior at the bounds reports finite numbers', async (t) => {
  // parsePriors and the stores refuse a mean beyond ±1e15 or n beyond 1e15 (a mean of 1e300 made
  // the reported mean Infinity, null in GET's JSON); at the bounds every number stays finite.
  const a = emptyArm('a');
  recordPull(a);
  recordReward(a, 1e15, 0, 1);
  recordPull(a);
  recordReward(a, -1e15, 1, 1);
  const priors = new Map([
    ['a', { n: 1e15, mean: 1e15 }],
    ['b', { n: 1e15, mean: -1e15 }],
  ]);
  const s = summarize(campaign({ reward: 'continuous' }), { clock: 2, arms: [a] }, priors);
  for (const r of s.arms)
    for (const x of [r.mean, r.reward_sum, ...r.interval])
      t.ok(Number.isFinite(x), `${r.arm}: ${x} is finite`);
  t.equal(s.arms[1]!.mean, -1e15);
});
