import type { Random } from '../stats/random.js';
import type { CampaignView } from './stats.js';

export type RewardKind = 'binary' | 'continuous';

/** One arm of a ranking; the first is the decision. */
export interface Ranked {
  arm: string;
  /** The policy's score (a sampled or optimistic value, or the mean); higher is better. */
  score: number;
}

/** Options every policy accepts (`policy_options`); each policy documents its own beside these. */
export interface CommonPolicyOptions {
  /** Arms with fewer pulls than this are chosen first, fewest first (default 0). */
  min_pulls?: number;
  /** Discount per observation of the campaign, in (0, 1]; 1 (default) does not forget. */
  gamma?: number;
}

export interface RankInput {
  view: CampaignView;
  reward: RewardKind;
  rng: Random;
}

/**
 * A bandit policy: ranks a campaign's live arms from their statistics. Pure: the same view, options
 * and random state give the same ranking. Policies hold no state of their own (the statistics are
 * the state, kept by a store), so one instance serves every campaign that uses it.
 */
export interface Policy {
  readonly name: string;
  /** Every arm of the view exactly once, the chosen one first. */
  rank(input: RankInput): Ranked[];
}
