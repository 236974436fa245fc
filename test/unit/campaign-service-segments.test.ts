import t from 'tap';
import { CampaignService, MemoryCampaignStore, type CampaignStore } from '../../stream/index.js';

t.test('a decide process keeps a bounded number of context segments per campaign', async (t) => {
  const store = new MemoryCampaignStore();
  /** The segments each read of the arms asked the store for. */
  const asked: number[] = [];
  const counting: CampaignStore = Object.create(store, {
    arms: {
      value: (campaign: string, segments?: readonly string[]) => {
        asked.push(segments?.length ?? 0);
        return store.arms(campaign, segments);
      },
    },
  });
  const s = new CampaignService({ store: counting, seed: 1, defaultsEveryMs: 0, refreshMs: 0 });
  await s.create({ id: 'c', arms: ['a', 'b'], policy: 'segment-thompson' });
  // A campaign system that passes a user id as the segment: every decision a new segment. Each
  // read of the campaign (every refresh) read every segment this process had ever seen.
  for (let i = 0; i < 2000; i++) await s.decide('c', { context: { segment: `user-${i}` } });
  const most = Math.max(...asked);
  t.ok(most <= 1000, `at most 1000 segments per read (asked for ${most})`);
  // A segment still held decides from its own statistics.
  const seg = 'user-1999';
  const d = await s.decide('c', { context: { segment: seg } });
  await s.reward('c', d.decision_id, 1);
  const arms = await store.arms('c', [seg]);
  t.equal(
    arms.segments![seg]!.reduce((n, a) => n + a.pulls, 0),
    2,
    'both decisions counted in the segment',
  );
});
