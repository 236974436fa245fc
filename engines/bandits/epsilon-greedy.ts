/**
 * Epsilon-greedy: with probability ε an arm chosen uniformly at random goes first (exploration),
 * otherwise the arm with the best posterior mean; the rest follow by posterior mean either way.
 *
 * ε is constant (`epsilon`, default 0.1: Sutton & Barto's textbook policy) or, with `decay` = c > 0,
 * Auer, Cesa-Bianchi & Fischer's ε_t-greedy ("Finite-time analysis of the multiarmed bandit
 * problem", 2002): ε_t = min(1, cK / (d² t)), K the live arms, t the campaign's pulls so far plus
 * one, and d = `gap` a lower bound on the gap between the best and the second-best mean (their
 * logarithmic regret bound needs d ≤ that gap and c large enough). Means read discounted moments
 * when `gamma` < 1, and count a prior's pseudo-observations.
 */
import type { Policy, RankInput, Ranked } from './policy.js';
import { momentsOf, ordered, posteriorOf, type Common } from './ranking.js';

export interface EpsilonGreedyOptions extends Common {
  epsilon: number;
  /** Auer et al.'s c; 0: constant `epsilon`. */
  decay: number;
  /** Auer et al.'s d. */
  gap: number;
}

export class EpsilonGreedyPolicy implements Policy {
  constructor(
    readonly name: string,
    private readonly o: EpsilonGreedyOptions,
  ) {}

  /** The exploration probability after `pulls` decisions among `arms` arms. */
  epsilonAt(pulls: number, arms: number): number {
    const { decay, gap, epsilon } = this.o;
    if (decay <= 0) return epsilon;
    return Math.min(1, (decay * arms) / (gap * gap * (pulls + 1)));
  }

  rank({ view, reward, rng }: RankInput): Ranked[] {
    const { arms, clock } = view;
    const k = arms.length;
    const scores = new Array<number>(k);
    let pulls = 0;
    for (let i = 0; i < k; i++) {
      const a = arms[i]!;
      pulls += a.pulls;
      scores[i] = posteriorOf(momentsOf(a, this.o.gamma, clock), a.prior, reward === 'binary').mean;
    }
    const explore = k > 0 && rng.chance(this.epsilonAt(pulls, k));
    return ordered(arms, scores, this.o.minPulls, explore ? rng.int(k) : -1);
  }
}
