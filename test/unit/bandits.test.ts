import t from 'tap';
import {
  Bandit,
  createPolicy,
  DEFAULT_DISCOUNT,
  describePolicies,
  klBernoulli,
  laiRobbinsBound,
  laiRobbinsConstant,
  POLICY_NAMES,
  policyGamma,
  sampleBeta,
  sampleGamma,
  type BanditOptions,
  type RewardKind,
} from '../../engines/bandits/index.js';
import { OnlineRidge, Random } from '../../engines/stats/index.js';

/** Arms of a problem: a Bernoulli rate (binary) or a normal mean with sd `sd` (continuous). */
interface Problem {
  means: Record<string, number>;
  reward?: RewardKind;
  sd?: number;
}

function env(p: Problem, rng: Random) {
  return (arm: string): number =>
    p.reward === 'continuous' ? rng.normal(p.means[arm]!, p.sd ?? 1) : rng.chance(p.means[arm]!) ? 1 : 0;
}

/** Runs `steps` decisions with immediate rewards; returns the arms chosen. */
function play(b: Bandit, draw: (arm: string) => number, steps: number, segment?: string): string[] {
  const chosen: string[] = [];
  for (let i = 0; i < steps; i++) {
    const arm = b.rank(segment)[0]!.arm;
    b.pull(arm, segment);
    b.reward(arm, draw(arm), segment);
    chosen.push(arm);
  }
  return chosen;
}

const share = (xs: string[], arm: string) => xs.filter((x) => x === arm).length / xs.length;

const EASY: Problem = { means: { a: 0.2, b: 0.5, c: 0.8 } };

t.test('every policy ranks every live arm exactly once', async (t) => {
  for (const policy of POLICY_NAMES) {
    const b = new Bandit({ policy, arms: ['a', 'b', 'c', 'd'], seed: 3 });
    play(b, env(EASY, new Random(1)), 30);
    b.retire('d');
    for (const segment of [undefined, 's']) {
      const ranked = b.rank(segment);
      t.same(ranked.map((r) => r.arm).sort(), ['a', 'b', 'c'], `${policy}, segment ${segment}`);
    }
  }
});

t.test('the same seed gives the same decisions; another seed others', async (t) => {
  for (const policy of POLICY_NAMES) {
    const run = (seed: number) =>
      play(new Bandit({ policy, arms: ['a', 'b', 'c'], seed }), env(EASY, new Random(9)), 300).join();
    t.equal(run(5), run(5), policy);
    if (policy !== 'ucb1' && policy !== 'discounted-ucb')
      t.not(run(5), run(6), `${policy} draws from its seed`);
  }
});

t.test('restore(snapshot()) continues exactly as the original, through JSON', async (t) => {
  const cases: { o: BanditOptions; p: Problem; segments?: string[] }[] = POLICY_NAMES.map((policy) => ({
    o: { policy, arms: ['a', 'b', 'c'], seed: 11 },
    p: EASY,
  }));
  cases.push({
    o: { policy: 'segment-thompson', reward: 'continuous', arms: ['a', 'b', 'c'], seed: 2 },
    p: { means: { a: 1, b: 2, c: 3 }, reward: 'continuous' },
    segments: ['x', 'y'],
  });
  for (const { o, p, segments } of cases) {
    const original = new Bandit(o);
    original.setPrior('a', { n: 3, mean: 0.5 });
    original.setPrior('b', { n: 2, mean: 0.4 }, 'x');
    const steps = (b: Bandit, seed: number) => {
      const draw = env(p, new Random(seed));
      const out: string[] = [];
      for (let i = 0; i < 150; i++) out.push(...play(b, draw, 1, segments?.[i % segments.length]));
      return out.join();
    };
    steps(original, 1);
    original.retire('c');
    const copy = Bandit.fromSnapshot(JSON.parse(JSON.stringify(original.snapshot())));
    t.same(copy.snapshot(), original.snapshot(), `${o.policy}: same state`);
    t.equal(steps(copy, 2), steps(original, 2), `${o.policy}: same decisions after restore`);
    t.same(copy.snapshot(), original.snapshot(), `${o.policy}: same state after`);
  }
});

t.test('every policy converges to the best arm of an easy problem', async (t) => {
  for (const policy of POLICY_NAMES) {
    const b = new Bandit({ policy, arms: ['a', 'b', 'c'], seed: 4 });
    const chosen = play(b, env(EASY, new Random(8)), 3000);
    t.ok(
      share(chosen.slice(-1000), 'c') > 0.85,
      `${policy}: ${share(chosen.slice(-1000), 'c')} of the last 1000 on c`,
    );
  }
});

t.test('continuous rewards: spread-scaled policies find the best mean at any scale', async (t) => {
  const p: Problem = { means: { a: 100, b: 110, c: 125 }, reward: 'continuous', sd: 30 };
  for (const policy of POLICY_NAMES) {
    const b = new Bandit({ policy, reward: 'continuous', arms: ['a', 'b', 'c'], seed: 4 });
    const chosen = play(b, env(p, new Random(8)), 3000);
    t.ok(share(chosen.slice(-1000), 'c') > 0.8, `${policy}: ${share(chosen.slice(-1000), 'c')} on c`);
  }
  const binary = new Bandit({ policy: 'thompson', arms: ['a'] });
  t.throws(() => binary.reward('a', 100), RangeError, 'a binary campaign refuses a reward outside [0, 1]');
  const continuous = new Bandit({ policy: 'thompson', reward: 'continuous', arms: ['a', 'b'] });
  continuous.reward('a', 100);
  continuous.reward('b', -5);
  t.ok(
    continuous.rank().some((r) => r.score > 1),
    'continuous scores are on the rewards scale, not in [0, 1]',
  );
});

t.test('an arm with no observations comes first in every policy', async (t) => {
  for (const reward of ['binary', 'continuous'] as const)
    for (const policy of ['thompson', 'ucb1', 'discounted-ucb', 'segment-thompson']) {
      const b = new Bandit({ policy, reward, arms: ['a', 'b', 'c'], seed: 1 });
      for (let i = 0; i < 20; i++) {
        b.pull('a');
        b.reward('a', 1);
        b.pull('b');
        b.reward('b', 1);
      }
      b.pull('c'); // pending: a decision without its reward is not a failure
      if (reward === 'continuous' || policy.includes('ucb'))
        t.equal(b.rank()[0]!.arm, 'c', `${policy} ${reward}`);
    }
});

t.test('min_pulls: arms below it come first, fewest pulls first', async (t) => {
  for (const policy of POLICY_NAMES) {
    const b = new Bandit({ policy, policy_options: { min_pulls: 5 }, arms: ['a', 'b', 'c', 'd'], seed: 2 });
    b.setPrior('a', { n: 1000, mean: 0.99 });
    const first = play(b, () => 1, 20);
    for (const arm of ['a', 'b', 'c', 'd'])
      t.equal(share(first, arm), 0.25, `${policy}: ${arm} 5 of the first 20`);
  }
  const b = new Bandit({
    policy: 'thompson',
    policy_options: { min_pulls: 3 },
    arms: ['a', 'b', 'c'],
    seed: 2,
  });
  b.pull('a');
  b.pull('a');
  b.pull('c');
  t.same(
    b.rank().map((r) => r.arm),
    ['b', 'c', 'a'],
    'fewest pulls first',
  );
});

t.test('priors shift early choices', async (t) => {
  for (const policy of POLICY_NAMES) {
    const early = (prior: boolean) => {
      let hits = 0;
      for (let seed = 1; seed <= 10; seed++) {
        const b = new Bandit({ policy, arms: ['a', 'b', 'c', 'd'], seed });
        if (prior)
          for (const arm of ['a', 'b', 'c', 'd']) b.setPrior(arm, { n: 30, mean: arm === 'd' ? 0.6 : 0.3 });
        hits += share(play(b, env({ means: { a: 0.3, b: 0.3, c: 0.3, d: 0.3 } }, new Random(seed)), 10), 'd');
      }
      return hits / 10;
    };
    const withPrior = early(true);
    t.ok(withPrior > 0.6 && withPrior > early(false) + 0.3, `${policy}: ${withPrior} of the first 10 on d`);
  }
});

t.test('a segment prior in segment-thompson shifts that segment only', async (t) => {
  const b = new Bandit({ policy: 'segment-thompson', arms: ['a', 'b'], seed: 1 });
  b.setPrior('b', { n: 200, mean: 0.9 }, 'vip');
  b.setPrior('a', { n: 200, mean: 0.9 }, 'new');
  let vip = 0;
  let other = 0;
  for (let i = 0; i < 100; i++) {
    if (b.rank('vip')[0]!.arm === 'b') vip++;
    if (b.rank('new')[0]!.arm === 'b') other++;
  }
  t.ok(vip > 80 && other < 20, `b first ${vip}/100 in vip, ${other}/100 in new`);
});

t.test('after a change point, the discounted policies follow it and the plain ones lag', async (t) => {
  const pairs = [
    ['thompson', 'discounted-thompson'],
    ['ucb1', 'discounted-ucb'],
  ];
  for (const [plain, discounted] of pairs) {
    const lateShare = (policy: string) => {
      let s = 0;
      for (let seed = 1; seed <= 3; seed++) {
        const b = new Bandit({
          policy,
          policy_options: policy === plain ? {} : { gamma: 0.999 },
          arms: ['a', 'b'],
          seed,
        });
        const rng = new Random(seed);
        // The best arm collapses after a long reign (Garivier & Moulines' hard case for UCB1).
        play(b, env({ means: { a: 0.9, b: 0.5 } }, rng), 10_000);
        s += share(play(b, env({ means: { a: 0.1, b: 0.5 } }, rng), 4000).slice(-1500), 'b');
      }
      return s / 3;
    };
    const p = lateShare(plain!);
    const d = lateShare(discounted!);
    t.ok(
      d > 0.8 && d > p + 0.1,
      `${discounted} ${d.toFixed(2)} vs ${plain} ${p.toFixed(2)} on the new best arm`,
    );
  }
});

t.test('segment-thompson learns a different best arm per segment; thompson cannot', async (t) => {
  const rates: Record<string, Record<string, number>> = { x: { a: 0.7, b: 0.3 }, y: { a: 0.3, b: 0.7 } };
  const run = (policy: string) => {
    const b = new Bandit({ policy, arms: ['a', 'b'], seed: 7 });
    const rng = new Random(3);
    const late: Record<string, string[]> = { x: [], y: [] };
    for (let i = 0; i < 4000; i++) {
      const seg = i % 2 === 0 ? 'x' : 'y';
      const arm = b.rank(seg)[0]!.arm;
      b.pull(arm, seg);
      b.reward(arm, rng.chance(rates[seg]![arm]!) ? 1 : 0, seg);
      if (i >= 3000) late[seg]!.push(arm);
    }
    return { x: share(late.x!, 'a'), y: share(late.y!, 'b') };
  };
  const seg = run('segment-thompson');
  t.ok(seg.x > 0.85 && seg.y > 0.85, `segment-thompson: a in x ${seg.x}, b in y ${seg.y}`);
  const plain = run('thompson');
  t.ok(Math.min(plain.x, plain.y) < 0.6, `thompson: a in x ${plain.x}, b in y ${plain.y}`);
});

t.test('the registry refuses bad policies and options, naming them', async (t) => {
  t.throws(() => createPolicy('greedy', {}), {
    name: 'RangeError',
    message: /unknown policy "greedy".*thompson, ucb1/,
  });
  t.throws(() => createPolicy('thompson', { epsilon: 0.1 }), { message: /unknown option "epsilon"/ });
  t.throws(() => createPolicy('thompson', { gamma: '0.9' }), { message: /gamma must be a finite number/ });
  t.throws(() => createPolicy('thompson', { gamma: 0 }), {
    message: /gamma must be a number in \(0, 1\], got 0/,
  });
  t.throws(() => createPolicy('ucb1', { gamma: 1.5 }), { message: /gamma/ });
  t.throws(() => createPolicy('ucb1', { min_pulls: 1.5 }), { message: /min_pulls must be an integer ≥ 0/ });
  t.throws(() => createPolicy('epsilon-greedy', { epsilon: 2 }), {
    message: /epsilon must be a number in \[0, 1\]/,
  });
  t.throws(() => createPolicy('epsilon-greedy', { epsilon: 0.2, decay: 1 }), { message: /epsilon or decay/ });
  t.throws(() => createPolicy('discounted-ucb', { xi: -1 }), { message: /xi must be a number > 0/ });
  t.throws(() => createPolicy('segment-thompson', { prior_strength: null }), { message: /prior_strength/ });
  t.throws(() => new Bandit({ policy: 'thompson', reward: 'counts' as RewardKind }), RangeError);
  t.equal(createPolicy('discounted-thompson', { gamma: 0.9, min_pulls: 2 }).name, 'discounted-thompson');
  t.equal(policyGamma('thompson', {}), 1);
  t.equal(policyGamma('thompson', { gamma: 0.95 }), 0.95);
  t.equal(policyGamma('discounted-thompson', {}), DEFAULT_DISCOUNT);
  t.equal(policyGamma('discounted-ucb', {}), DEFAULT_DISCOUNT);
  t.ok(DEFAULT_DISCOUNT < 1);
  const docs = describePolicies();
  t.same(
    docs.map((d) => d.name),
    [...POLICY_NAMES],
  );
  for (const d of docs) {
    t.ok(d.description.length > 10, `${d.name} has a description`);
    t.same(
      d.options.slice(0, 2).map((o) => o.name),
      ['min_pulls', 'gamma'],
      `${d.name} takes the common options`,
    );
  }
});

t.test('the bandit keeps retired arms out of play and their statistics in', async (t) => {
  const b = new Bandit({ policy: 'thompson', arms: ['a', 'b'] });
  b.pull('a');
  b.retire('a');
  t.same(b.arms, ['b']);
  t.same(b.retired, ['a']);
  b.reward('a', 1);
  t.equal(b.statsOf('a')!.obs.n, 1, 'a late reward of a retired arm counts');
  t.equal(b.clock, 1);
  t.throws(() => b.pull('a'), /retired/);
  t.throws(() => b.add('a'), /retired/);
  t.throws(() => b.pull('z'), /unknown arm/);
  t.throws(() => b.reward('b', NaN), RangeError);
  for (let i = 0; i < 20; i++) t.equal(b.rank()[0]!.arm, 'b');
  const v = b.view();
  v.arms[0]!.pulls = 99;
  t.equal(b.statsOf('b')!.pulls, 0, 'view() is a copy');
});

t.test('Lai-Robbins bound on a hand-computed case', async (t) => {
  // KL(0.4, 0.5) = 0.4 ln 0.8 + 0.6 ln 1.2 = 0.0201355; 0.1 / 0.0201355 = 4.96635 per ln T.
  t.ok(Math.abs(klBernoulli(0.4, 0.5) - 0.0201355) < 1e-6);
  t.equal(klBernoulli(0.3, 0.3), 0);
  t.ok(Math.abs(laiRobbinsConstant([0.5, 0.4]) - 4.96635) < 1e-4);
  t.ok(Math.abs(laiRobbinsBound([0.5, 0.4], 1000) - 4.96635 * Math.log(1000)) < 1e-3);
  t.ok(
    Math.abs(laiRobbinsBound([0.5, 0.4, 0.4, 0.5], 1000) - 2 * 34.3062) < 1e-2,
    'two best arms add nothing',
  );
  t.equal(laiRobbinsBound([0.5, 0.5], 1000), 0);
});

t.test('Beta and Gamma variates have the right means', async (t) => {
  const rng = new Random(1);
  const mean = (f: () => number) => {
    let s = 0;
    for (let i = 0; i < 20000; i++) s += f();
    return s / 20000;
  };
  t.ok(Math.abs(mean(() => sampleBeta(rng, 2, 5)) - 2 / 7) < 0.01);
  t.ok(Math.abs(mean(() => sampleBeta(rng, 300, 700)) - 0.3) < 0.003);
  t.ok(Math.abs(mean(() => sampleGamma(rng, 0.5)) - 0.5) < 0.03);
  t.ok(Math.abs(mean(() => sampleGamma(rng, 7)) - 7) < 0.1);
});

t.test('online ridge recovers known weights and reports its prequential error', async (t) => {
  const rng = new Random(5);
  const m = new OnlineRidge(2, { lambda: 1 });
  const row = () => [rng.normal(), rng.normal(0, 3)];
  for (let i = 0; i < 3000; i++) {
    const x = row();
    m.update(x, 2 * x[0]! - 3 * x[1]! + 0.5 + rng.normal(0, 0.1));
  }
  const [w0, w1] = m.weights;
  t.ok(
    Math.abs(w0! - 2) < 0.02 && Math.abs(w1! + 3) < 0.02 && Math.abs(m.bias - 0.5) < 0.02,
    `${m.weights} ${m.bias}`,
  );
  t.equal(m.n, 3000);
  t.ok(m.rmse > 0.1 && m.rmse < 0.5, `rmse ${m.rmse}: the noise plus the early errors`);
  t.ok(m.mae > 0.07 && m.mae < m.rmse, `mae ${m.mae}`);
  t.equal(m.update([NaN, 1], 1), false);
  t.equal(m.update([1, 1], Infinity), false);
  t.equal(m.skipped, 2);
  t.equal(m.n, 3000, 'skipped rows are not learned');
  t.ok(Number.isNaN(m.predict([1, Infinity])));
  t.throws(() => m.predict([1]), RangeError);

  const copy = OnlineRidge.fromSnapshot(JSON.parse(JSON.stringify(m.snapshot())));
  for (let i = 0; i < 50; i++) {
    const x = row();
    m.update(x, x[0]!);
    copy.update(x, x[0]!);
  }
  t.same(copy.snapshot(), m.snapshot(), 'restored model continues identically');
  t.ok(Number.isNaN(new OnlineRidge(1).rmse), 'no error before any row');
});

t.test('online ridge with forgetting follows a change; without it averages', async (t) => {
  const rng = new Random(2);
  const plain = new OnlineRidge(1, { intercept: false });
  const forgetting = new OnlineRidge(1, { intercept: false, forgetting: 0.98 });
  for (const w of [1, -1])
    for (let i = 0; i < 1000; i++) {
      const x = [rng.normal()];
      plain.update(x, w * x[0]!);
      forgetting.update(x, w * x[0]!);
    }
  t.ok(Math.abs(forgetting.weights[0]! + 1) < 0.01, `forgetting: ${forgetting.weights[0]}`);
  t.ok(Math.abs(plain.weights[0]!) < 0.2, `plain: ${plain.weights[0]}`);
});
