/**
 * Upper confidence bounds: the arm with the highest optimistic estimate is chosen.
 *
 * - `ucb1` (Auer, Cesa-Bianchi & Fischer, "Finite-time analysis of the multiarmed bandit problem",
 *   Machine Learning 47, 2002): x̄ᵢ + √(2 ln t / nᵢ), t the campaign's observations, nᵢ the arm's.
 * - `discounted-ucb` (Garivier & Moulines, "On upper-confidence bound policies for switching bandit
 *   problems", ALT 2011): the same on moments discounted by γ per observation of the campaign, with
 *   their bonus 2B√(ξ ln t / nᵢ) (t, nᵢ discounted counts; ξ = `xi`, default 0.6 as in their
 *   experiments). `ucb1` with `gamma` < 1 is UCB1's bonus on the discounted moments.
 *
 * Binary rewards have range B = 1. For continuous rewards the range is unknown, so the bonus is
 * scaled by the arm's estimated standard deviation instead (s√(2 ln t / nᵢ), as UCB1-Normal and
 * UCB-V do with their own constants), s² being the arm's squared deviations plus one
 * pseudo-observation of the campaign's pooled variance. Priors count as observations (n and mean).
 * Arms never observed (and without a prior) score +Infinity, so they are tried first, fewest pulls
 * first.
 */
import type { Policy, RankInput, Ranked } from './policy.js';
import { armVariance, momentsOf, ordered, pooledVariance, posteriorOf, type Common } from './ranking.js';

export interface UcbOptions extends Common {
  /** Garivier & Moulines' ξ; undefined: UCB1's bonus √(2 ln t / n). */
  xi?: number;
}

export class UcbPolicy implements Policy {
  constructor(
    readonly name: string,
    private readonly o: UcbOptions,
  ) {}

  rank({ view, reward }: RankInput): Ranked[] {
    const { arms, clock } = view;
    const moments = arms.map((a) => momentsOf(a, this.o.gamma, clock));
    const posts = arms.map((a, i) => posteriorOf(moments[i]!, a.prior, reward === 'binary'));
    let t = 0;
    for (const p of posts) t += p.n;
    const logT = Math.log(Math.max(1, t));
    const pooled = reward === 'continuous' ? pooledVariance(moments) : 1;
    const xi = this.o.xi;
    const scores = new Array<number>(arms.length);
    for (let i = 0; i < arms.length; i++) {
      const p = posts[i]!;
      if (!(p.n > 0)) {
        scores[i] = Infinity;
        continue;
      }
      const scale = reward === 'binary' ? 1 : Math.sqrt(armVariance(moments[i]!, pooled));
      const bonus = xi === undefined ? Math.sqrt((2 * logT) / p.n) : 2 * Math.sqrt((xi * logT) / p.n);
      scores[i] = p.mean + scale * bonus;
    }
    return ordered(arms, scores, this.o.minPulls);
  }
}
