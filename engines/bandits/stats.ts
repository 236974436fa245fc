/**
 * The sufficient statistics of bandit arms, and their arithmetic. Every store of arm state (memory,
 * Redis through Lua) keeps exactly these numbers and updates them as `recordPull` and
 * `recordReward` do, so a policy ranks the same arms the same way whichever store holds them.
 *
 * Pulls and observations are kept apart: an arm is pulled when a decision chooses it, and observed
 * when that decision's reward arrives (seconds or days later, or never). Posteriors and means use
 * the observations only (a pending decision is not a failure); shares and minimum pulls use pulls.
 */

/** Observed rewards: their number, sum and sum of squares. */
export interface Moments {
  n: number;
  sum: number;
  sumSq: number;
}

/**
 * Moments discounted by `gamma` per observation of the campaign: `at` is the campaign clock (its
 * number of observations) when they were last brought up to date. Read them with `discountedAt`.
 */
export interface DiscountedMoments extends Moments {
  at: number;
}

export interface ArmStats {
  arm: string;
  /** Decisions that chose this arm (and impressions reported without a decision). */
  pulls: number;
  /** Rewards observed (including default rewards). */
  obs: Moments;
  /** The same, discounted (for policies with `gamma` < 1). */
  disc: DiscountedMoments;
}

/** Pseudo-observations before any data: `n` observations of mean `mean` (precomputed affinities). */
export interface Prior {
  n: number;
  mean: number;
}

/** What a policy ranks: every live arm with its statistics, its prior, and its statistics in the decision's segment. */
export interface ArmView extends ArmStats {
  prior?: Prior;
  /** The arm's statistics within the context's segment (contextual policies). */
  segment?: ArmStats;
  /** The arm's prior within the context's segment. */
  segmentPrior?: Prior;
}

export interface CampaignView {
  /** The campaign's number of observations (the clock of discounting). */
  clock: number;
  arms: readonly ArmView[];
}

export function emptyMoments(): Moments {
  return { n: 0, sum: 0, sumSq: 0 };
}

export function emptyArm(arm: string): ArmStats {
  return { arm, pulls: 0, obs: emptyMoments(), disc: { ...emptyMoments(), at: 0 } };
}

/**
 * x^k for a whole k ≥ 0, by squaring: each step is one correctly rounded product, so the Redis
 * store's Lua computes the same bits (Math.pow and C's pow may differ in the last one).
 */
export function powInt(x: number, k: number): number {
  let r = 1;
  let b = x;
  for (let e = k; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) r *= b;
    b *= b;
  }
  return r;
}

/** `m` discounted up to the clock `now` (`gamma` = 1: unchanged). */
export function discountedAt(m: DiscountedMoments, gamma: number, now: number): Moments {
  if (gamma >= 1 || now <= m.at) return { n: m.n, sum: m.sum, sumSq: m.sumSq };
  const f = powInt(gamma, now - m.at);
  return { n: m.n * f, sum: m.sum * f, sumSq: m.sumSq * f };
}

/** A decision chose the arm. */
export function recordPull(a: ArmStats): void {
  a.pulls += 1;
}

/**
 * A reward for the arm, observed when the campaign clock was `clock` (before this observation):
 * the clock moves to `clock + 1`. Discounted moments decay over the observations since `at`.
 */
export function recordReward(a: ArmStats, value: number, clock: number, gamma: number): void {
  a.obs.n += 1;
  a.obs.sum += value;
  a.obs.sumSq += value * value;
  const d = discountedAt(a.disc, gamma, clock);
  a.disc = { n: d.n + 1, sum: d.sum + value, sumSq: d.sumSq + value * value, at: clock };
}

/** The observed mean with the prior's pseudo-observations (NaN-free: 0 with neither). */
export function posteriorMean(m: Moments, prior?: Prior): number {
  const n = m.n + (prior?.n ?? 0);
  if (n <= 0) return 0;
  return (m.sum + (prior ? prior.n * prior.mean : 0)) / n;
}
