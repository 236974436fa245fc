import t from 'tap';
import { Random } from '../../engines/stats/index.js';
import {
  InfluencerBoard,
  mentionWeight,
  mergeInfluencers,
  reachWeight,
  type Influencer,
} from '../../engines/trends/index.js';
import type { EnrichedEvent } from '../../stream/index.js';
import { Influencers, INFLUENCER_CAPACITY, INFLUENCERS_WRITTEN } from '../../stream/operators/influencers.js';
import { context, T0 } from '../helpers/analytics-context.js';

t.test('reach weight: 1 + log10(1 + followers); bad numbers count as no followers', async (t) => {
  t.equal(reachWeight(0), 1);
  t.equal(reachWeight(9), 2);
  t.equal(reachWeight(999_999), 7);
  for (const bad of [Number.NaN, -5, -Infinity, Infinity]) t.equal(reachWeight(bad), 1, String(bad));
  t.ok(reachWeight(1000) > reachWeight(100));
  t.equal(mentionWeight(9, 9), 4, 'reach 2 × engagement 2');
  t.equal(mentionWeight(9, Number.NaN), 2);
  t.equal(mentionWeight(9, -3), 2);
});

t.test('authors ranked by reach-weighted mentions, then by id', async (t) => {
  const board = new InfluencerBoard(10);
  for (let i = 0; i < 7; i++) board.add('crowd', 0);
  board.add('star', 999_999);
  board.add('a', 9);
  board.add('b', 9);
  board.add('star', 999_999, 0);
  const top = board.top();
  t.same(
    top.map((i) => [i.author, i.score, i.mentions]),
    [
      ['star', 14, 2],
      ['crowd', 7, 7],
      ['a', 2, 1],
      ['b', 2, 1],
    ],
  );
  t.same(top[0], { author: 'star', score: 14, mentions: 2, followers: 999_999, error: 0 });
  t.same(
    board.top(2).map((i) => i.author),
    ['star', 'crowd'],
  );
  t.equal(board.size, 4);
});

t.test('followers are the latest seen; NaN and negative followers count as 0, no NaN out', async (t) => {
  const board = new InfluencerBoard(5);
  board.add('u', 100);
  board.add('u', Number.NaN);
  board.add('v', -10, Number.NaN);
  board.add('', 1000);
  board.add(undefined as unknown as string, 1000);
  const top = board.top();
  t.same(
    top.map((i) => [i.author, i.followers, i.mentions]),
    [
      ['u', 0, 2],
      ['v', 0, 1],
    ],
  );
  for (const i of top) t.ok(Number.isFinite(i.score) && Number.isFinite(i.error));
});

t.test('many authors: the board keeps its capacity and the big voices', async (t) => {
  const board = new InfluencerBoard(50);
  const rng = new Random(3);
  for (let i = 0; i < 200_000; i++) board.add(`u${rng.int(100_000)}`, rng.int(50));
  for (let i = 0; i < 100; i++) board.add('celebrity', 2_000_000, 50);
  t.equal(board.size, 50);
  const top = board.top(1)[0]!;
  t.equal(top.author, 'celebrity');
  t.ok(top.mentions <= 100 && top.score - top.error <= 100 * mentionWeight(2_000_000, 50) + 1e-9);
  t.throws(() => new InfluencerBoard(0), RangeError);
  t.throws(() => new InfluencerBoard(2.5), RangeError);
});

t.test('snapshot → JSON → restore continues identically; a bad snapshot is a RangeError', async (t) => {
  const rng = new Random(5);
  const events = Array.from({ length: 20_000 }, () => ({
    author: `u${Math.floor(rng.pareto(1, 1.2)) % 5000}`,
    followers: Math.round(rng.pareto(20, 1.1)),
    engagement: rng.int(20),
  }));
  const a = new InfluencerBoard(40);
  for (const e of events.slice(0, 10_000)) a.add(e.author, e.followers, e.engagement);
  const b = InfluencerBoard.fromSnapshot(JSON.parse(JSON.stringify(a.snapshot())), 40);
  t.same(b.top(), a.top());
  for (const e of events.slice(10_000)) {
    a.add(e.author, e.followers, e.engagement);
    b.add(e.author, e.followers, e.engagement);
  }
  t.same(b.top(), a.top());
  t.same(b.snapshot(), a.snapshot());
  const c = new InfluencerBoard(40);
  c.restore(null);
  t.equal(c.size, 0);
  for (const bad of [{}, { v: 2, board: a.snapshot(), authors: [] }, { v: 1, board: null, authors: [] }])
    t.throws(() => c.restore(bad), RangeError);
});

t.test('partitions by author: the merged top lists equal one board over everything', async (t) => {
  const rng = new Random(8);
  const whole = new InfluencerBoard(1000);
  const parts = Array.from({ length: 4 }, () => new InfluencerBoard(1000));
  for (let i = 0; i < 5000; i++) {
    const id = rng.int(600);
    const author = `u${id}`;
    const followers = id * 37;
    const engagement = rng.int(10);
    whole.add(author, followers, engagement);
    parts[id % 4]!.add(author, followers, engagement);
  }
  const merged = mergeInfluencers(
    parts.map((p) => p.top(10)),
    10,
  );
  const expected = whole.top(10);
  t.same(
    merged.map((i) => i.author),
    expected.map((i) => i.author),
  );
  merged.forEach((m, k) => {
    t.ok(Math.abs(m.score - expected[k]!.score) < 1e-9, m.author);
    t.equal(m.mentions, expected[k]!.mentions);
  });
  const twice: Influencer[] = [{ author: 'x', score: 2, mentions: 1, followers: 5, error: 0 }];
  t.same(mergeInfluencers([twice, [{ author: 'x', score: 3, mentions: 2, followers: 9, error: 1 }]]), [
    { author: 'x', score: 5, mentions: 3, followers: 9, error: 1 },
  ]);
  t.same(twice[0]!.score, 2, 'inputs unchanged');
});

t.test(
  'the influencers operator writes what it knows: a crowd of one-off authors does not fill the top',
  async (t) => {
    const op = new Influencers(context);
    const truth = new Map<string, number>();
    let n = 0;
    const post = (author: string, followers: number) => {
      truth.set(author, (truth.get(author) ?? 0) + mentionWeight(followers));
      op.fold(
        {
          id: `p${n}`,
          source: 'test',
          ts: T0 + n++,
          received_ts: T0,
          author: { id: author, followers },
          text: 'x',
          tags: { hashtags: [], mentions: [], urls: [] },
          engagement: { likes: 0, shares: 0, replies: 0 },
          brands: ['b'],
          sentiment: { label: 'neutral', score: 0, model: 'rules', tier: 'rules' },
        } as EnrichedEvent,
        T0 - 1,
      );
    };
    // Five times as many one-off authors as the board tracks, and five real influencers among the
    // last of them, each with 10 mentions to 999 followers (weight 4 each, 40 in all).
    const crowd = 5 * INFLUENCER_CAPACITY;
    for (let i = 0; i < crowd; i++) {
      post(`crowd${i}`, 0);
      if (i >= crowd - 50 && i % 5 === 0) for (let s = 0; s < 5; s++) post(`star${s}`, 999);
    }
    const rows = op.emit(Number.MAX_SAFE_INTEGER, 1).writes[0]!.rows as unknown as Influencer[];
    t.equal(rows.length, INFLUENCERS_WRITTEN);
    t.same(
      rows.slice(0, 5).map((r) => [r.author, r.score, r.mentions]),
      [0, 1, 2, 3, 4].map((s) => [`star${s}`, 40, 10]),
      'the influencers first, with their own scores',
    );
    t.same(
      rows
        .filter((r) => r.score > truth.get(r.author)! + 1e-9)
        .map((r) => [r.author, r.score, truth.get(r.author)]),
      [],
      'no author is written with more than their mentions weigh',
    );
  },
);
