/**
 * How far a count or a share is above its baseline, in robust standard deviations.
 *
 * Counts are compared on Anscombe's square-root scale, 2·√(x + 3/8), where a Poisson count has a
 * standard deviation of about 1 at any mean: a score is then the difference of the two roots over
 * the brand's learned scale, never below 1 (Poisson noise), so a few posts more than a baseline of
 * two posts is not a spike while the same rise over a baseline of a thousand posts is no spike either
 * (see minRatio). Shares are compared by the binomial standard error of the window plus the
 * uncertainty of the baseline share plus the share's own extra variation between windows (topic
 * mix, label noise), learned per brand.
 */

/** Anscombe's variance-stabilising transform of a count. */
export function anscombe(x: number): number {
  return 2 * Math.sqrt(Math.max(0, x) + 0.375);
}

/** The score of `observed` against `expected` on the root scale, with the learned noise `scale` (≥ 1). */
export function countScore(observed: number, expected: number, scale: number): number {
  return (anscombe(observed) - anscombe(expected)) / Math.max(1, scale);
}

/** The counts whose score against `expected` is ±`z` (with `scale`): where a baseline update is clipped. */
export function countBand(expected: number, z: number, scale: number): [number, number] {
  const root = Math.sqrt(Math.max(0, expected) + 0.375);
  const half = (z * Math.max(1, scale)) / 2;
  const lo = Math.max(0, root - half);
  return [Math.max(0, lo * lo - 0.375), (root + half) * (root + half) - 0.375];
}

/** A share's binomial variance is floored so that a baseline of 0 or 1 still leaves room for noise. */
const MIN_SHARE_VARIANCE = 0.01;

/**
 * The standard deviation of a share over `posts` posts around a baseline share `p0` learned from
 * about `baselinePosts` posts, with extra between-window variance `extra`.
 */
export function shareSd(p0: number, posts: number, baselinePosts: number, extra: number): number {
  const v = Math.max(p0 * (1 - p0), MIN_SHARE_VARIANCE);
  return Math.sqrt(v / Math.max(posts, 1) + v / Math.max(baselinePosts, 1) + Math.max(0, extra));
}

export function shareScore(share: number, p0: number, sd: number): number {
  return (share - p0) / sd;
}
