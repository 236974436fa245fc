import t from 'tap';
import { CampaignService, MemoryCampaignStore } from '../../stream/index.js';

t.test('two PUTs at once (two replicas): no arm is lost, each sees the other', async (t) => {
  const store = new MemoryCampaignStore();
  const a = new CampaignService({ store, seed: 1, defaultsEveryMs: 0 });
  const b = new CampaignService({ store, seed: 2, defaultsEveryMs: 0 });
  await a.create({ id: 'c', arms: ['x', 'y', 'z'] });
  // A adds w; B, reading the same definition, retires z. Whichever is stored last, w must stay an
  // arm of the campaign (live or retired): PUT told A it was added, and decisions may choose it.
  const [added, retired] = await Promise.all([
    a.update('c', { arms: ['x', 'y', 'z', 'w'] }),
    b.update('c', { arms: ['x', 'y'] }),
  ]);
  t.same(added.arms, ['x', 'y', 'z', 'w']);
  t.same(retired.arms, ['x', 'y']);
  const stored = (await store.get('c'))!;
  t.same(stored.arms, ['x', 'y'], 'the later PUT sets the live arms');
  t.same([...stored.retired].sort(), ['w', 'z'], 'the arm the other PUT added is retired, not lost');
});
