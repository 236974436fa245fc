/**
 * What every policy shares: which moments it reads (observed, or discounted to the campaign clock),
 * how pseudo-observations of a prior join them, how spread is estimated for continuous rewards, and
 * the final order: arms below `min_pulls` first (fewest pulls first), then an arm the policy puts
 * first (epsilon-greedy's exploration), then by score, ties to the arm with fewer pulls, then to the
 * view's order, so a ranking never depends on anything but the view and the random draws.
 */
import type { Ranked } from './policy.js';
import { discountedAt, type ArmStats, type Moments, type Prior } from './stats.js';

/** The moments a policy with discount `gamma` reads at the campaign clock `clock`. */
export function momentsOf(a: ArmStats, gamma: number, clock: number): Moments {
  return gamma < 1 ? discountedAt(a.disc, gamma, clock) : a.obs;
}

/** Moments with a prior's pseudo-observations added (`n` and `sum` only; a prior says nothing of spread). */
export interface Posterior {
  n: number;
  mean: number;
}

export function posteriorOf(m: Moments, prior?: Prior, clampMean = false): Posterior {
  const pn = prior && prior.n > 0 ? prior.n : 0;
  const pm = prior ? (clampMean ? Math.min(1, Math.max(0, prior.mean)) : prior.mean) : 0;
  const n = m.n + pn;
  return { n, mean: n > 0 ? (m.sum + pn * pm) / n : 0 };
}

/** Sum of squared deviations from the mean of `m` (0 below two observations, never negative). */
export function squaredDeviations(m: Moments): number {
  if (m.n <= 1) return 0;
  return Math.max(0, m.sumSq - (m.sum * m.sum) / m.n);
}

/**
 * The variance of every reward of the campaign pooled (all arms' moments summed), or 1 before two
 * observations or when they are all equal: the scale a continuous arm's spread shrinks toward.
 */
export function pooledVariance(moments: readonly Moments[]): number {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const m of moments) {
    n += m.n;
    sum += m.sum;
    sumSq += m.sumSq;
  }
  if (n < 2) return 1;
  const v = Math.max(0, sumSq - (sum * sum) / n) / (n - 1);
  return v > 0 ? v : 1;
}

/**
 * An arm's reward variance for continuous rewards: its squared deviations plus one pseudo-observation
 * of the pooled variance, so one or two observations (or identical ones) never claim no spread.
 */
export function armVariance(m: Moments, pooled: number): number {
  return (squaredDeviations(m) + pooled) / Math.max(1, m.n);
}

/** Reads `min_pulls` and `gamma` as every policy does (the registry has validated them). */
export interface Common {
  minPulls: number;
  gamma: number;
}

/**
 * Orders arms by `scores` (same indices as `arms`): below `minPulls` first, fewest pulls first; then
 * `first` (an index, or -1); then by score, higher first. NaN scores count as -Infinity.
 */
export function ordered(
  arms: readonly ArmStats[],
  scores: ArrayLike<number>,
  minPulls: number,
  first = -1,
): Ranked[] {
  const k = arms.length;
  const idx = new Array<number>(k);
  // Sort keys, computed once: group (below min_pulls, first, the rest), pulls, score.
  const group = new Array<number>(k);
  const pulls = new Array<number>(k);
  const score = new Array<number>(k);
  for (let i = 0; i < k; i++) {
    idx[i] = i;
    pulls[i] = arms[i]!.pulls;
    group[i] = pulls[i]! < minPulls ? 0 : i === first ? 1 : 2;
    const s = scores[i]!;
    score[i] = Number.isNaN(s) ? -Infinity : s;
  }
  idx.sort((x, y) => {
    const g = group[x]! - group[y]!;
    if (g !== 0) return g;
    const p = pulls[x]! - pulls[y]!;
    if (group[x] === 0 && p !== 0) return p;
    if (score[x] !== score[y]) return score[x]! > score[y]! ? -1 : 1;
    return p !== 0 ? p : x - y;
  });
  const out = new Array<Ranked>(k);
  for (let j = 0; j < k; j++) {
    const i = idx[j]!;
    out[j] = { arm: arms[i]!.arm, score: scores[i]! };
  }
  return out;
}
