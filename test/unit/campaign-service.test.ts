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
