/**
 * Thompson sampling (Thompson 1933; Chapelle & Li, "An empirical evaluation of Thompson sampling",
 * NIPS 2011; Agrawal & Goyal 2012): each arm's score is a draw from the posterior of its mean
 * reward, and the highest draw is chosen.
 *
 * - Binary rewards: Beta(1 + n₀μ₀ + S, 1 + n₀(1 − μ₀) + n − S), where S of n observations were
 *   successes and the prior is n₀ pseudo-observations of mean μ₀. Values in [0, 1] count as
 *   fractional successes (Agrawal & Goyal's Bernoulli trick without the coin).
 * - Continuous rewards: a normal posterior on the mean with the variance estimated, x̄ + s/√n · z,
 *   n counting the prior's pseudo-observations. s² is the arm's own squared deviations plus one
 *   pseudo-observation of the campaign's pooled variance, so one observation (or equal ones) still
 *   leaves spread; an arm with neither observations nor prior is ranked first (infinite spread).
 * - `gamma` < 1 reads the moments discounted per observation of the campaign: discounted Thompson
 *   sampling (Raj & Kalyani, "Taming non-stationary bandits: a Bayesian approach", 2017). Priors
 *   are not discounted.
 */
import type { Random } from '../stats/random.js';
import type { Policy, RankInput, Ranked, RewardKind } from './policy.js';
import { armVariance, momentsOf, ordered, pooledVariance, posteriorOf, type Common } from './ranking.js';
import { sampleBeta } from './sampling.js';
import type { Moments, Prior } from './stats.js';

export class ThompsonPolicy implements Policy {
  constructor(
    readonly name: string,
    private readonly o: Common,
  ) {}

  rank({ view, reward, rng }: RankInput): Ranked[] {
    const { arms, clock } = view;
    const moments = arms.map((a) => momentsOf(a, this.o.gamma, clock));
    const pooled = reward === 'continuous' ? pooledVariance(moments) : 1;
    const scores = new Array<number>(arms.length);
    for (let i = 0; i < arms.length; i++) scores[i] = draw(rng, reward, moments[i]!, arms[i]!.prior, pooled);
    return ordered(arms, scores, this.o.minPulls);
  }
}

/** One draw from the posterior of an arm's mean: its data `m`, its `prior`, the campaign's pooled variance. */
export function draw(rng: Random, reward: RewardKind, m: Moments, prior: Prior | undefined, pooled: number) {
  if (reward === 'binary') {
    const p = posteriorOf(m, prior, true);
    const successes = Math.min(p.n, Math.max(0, p.mean * p.n));
    return sampleBeta(rng, 1 + successes, 1 + p.n - successes);
  }
  const p = posteriorOf(m, prior);
  if (!(p.n > 0)) return Infinity;
  return p.mean + Math.sqrt(armVariance(m, pooled) / p.n) * rng.normal();
}
