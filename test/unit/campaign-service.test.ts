import t from 'tap';
import { CampaignService, MemoryCampaignStore } from '../../stream/index.js';

t.test(
  'a default reward due for a campaign another replica created is discounted by that campaign',
  async (t) => {
    let clock = 1_800_000_000_000;
    const now = () => clock;
    /** Two replicas sharing a store: A takes the API calls, B only sweeps default rewards. */
    const run = async (sweeper: 'A' | 'B') => {
      const store = new MemoryCampaignStore({ now });
      const a = new CampaignService({ store, seed: 1, now, defaultsEveryMs: 0 });
      const b = new CampaignService({ store, seed: 2, now, defaultsEveryMs: 0 });
      await b.applyDefaults(); // B has listed the campaigns: none yet
      await a.create({
        id: 'dt',
        arms: ['x'],
        policy: 'discounted-thompson',
        policy_options: { gamma: 0.5 },
        default_reward: { value: 1, after_ms: 1000 },
      });
      for (let i = 0; i < 10; i++) {
        const d = await a.decide('dt');
        await a.reward('dt', d.decision_id, 0);
      }
      await a.decide('dt');
      clock += 1500; // due, and B listed the campaigns less than 5 s ago
      t.equal(await (sweeper === 'A' ? a : b).applyDefaults(), 1, `${sweeper} applied the default`);
      clock -= 1500;
      return (await store.arms('dt')).arms[0]!.disc;
    };
    t.same(await run('B'), await run('A'), 'the same discounted statistics whoever sweeps');
  },
);

t.test(
  'a stream reward for a decision whose record was dropped is not counted, as REST refuses it',
  async (t) => {
    let clock = 1_800_000_000_000;
    const now = () => clock;
    const store = new MemoryCampaignStore({ now, retentionMs: 60_000 });
    const expired: number[] = [];
    const s = new CampaignService({
      store,
      seed: 1,
      now,
      defaultsEveryMs: 0,
      onExpiredFeedback: (n) => expired.push(n),
    });
    await s.create({ id: 'late', arms: ['x'], decision_ttl_ms: 1000 });
    const d = await s.decide('late');
    clock += 3_600_000; // past its lifetime and the retention: the record is dropped at the next sweep
    await s.decide('late');
    await t.rejects(
      s.reward('late', d.decision_id, 1),
      { code: 'DECISION_EXPIRED' },
      'REST: 410 for the dropped decision',
    );
    const fb = (kind: 'click' | 'reward') => ({
      key: `late:${d.decision_id}:${kind}`,
      event: { campaign: 'late', arm: 'x', decision_id: d.decision_id, kind, value: 1, ts: clock },
    });
    await s.applyFeedback([fb('reward'), fb('click')]);
    const x = (await store.arms('late')).arms.find((a) => a.arm === 'x')!;
    t.same([x.pulls, x.obs.n, x.obs.sum], [2, 0, 0], 'the stream: no new observation, no credit');
    t.same(expired, [2], 'both counted as expired');
  },
);
