/**
 * Thompson sampling per segment of the context, with partial pooling: within a decision's segment
 * an arm's posterior starts from its campaign-wide posterior as a prior, worth
 * min(n_global, `prior_strength`) pseudo-observations at the global mean, plus the arm's prior in
 * that segment (`segmentPrior`) and the segment's own observations. A segment seen for the first
 * time therefore starts from what the whole campaign knows, and a segment with enough data of its
 * own outweighs it (the empirical-Bayes shrinkage of hierarchical models, as in Gelman et al.,
 * "Bayesian Data Analysis", ch. 5, applied to Thompson sampling as in Chapelle & Li 2011's
 * contextual experiments). The global observations include the segment's own, counted again in
 * the prior; `prior_strength` bounds that. An arm without segment statistics in the view is
 * sampled from its global posterior: plain Thompson sampling. `min_pulls` counts campaign-wide
 * pulls; `gamma` < 1 discounts both levels on the campaign clock.
 */
import type { Policy, RankInput, Ranked } from './policy.js';
import { momentsOf, ordered, pooledVariance, posteriorOf, type Common } from './ranking.js';
import type { Moments, Prior } from './stats.js';
import { draw } from './thompson.js';

export interface SegmentThompsonOptions extends Common {
  /** The most pseudo-observations the global posterior lends a segment. */
  priorStrength: number;
}

export class SegmentThompsonPolicy implements Policy {
  constructor(
    readonly name: string,
    private readonly o: SegmentThompsonOptions,
  ) {}

  rank({ view, reward, rng }: RankInput): Ranked[] {
    const { arms, clock } = view;
    const { gamma, priorStrength } = this.o;
    const binary = reward === 'binary';
    const k = arms.length;
    const global = arms.map((a) => momentsOf(a, gamma, clock));
    const local = arms.map((a) => (a.segment ? momentsOf(a.segment, gamma, clock) : undefined));
    const pooled = binary
      ? 1
      : pooledVariance(local.some((m) => m && m.n >= 2) ? local.map(orEmpty) : global);
    const scores = new Array<number>(k);
    for (let i = 0; i < k; i++) {
      const a = arms[i]!;
      const seg = local[i];
      if (!seg) {
        scores[i] = draw(rng, reward, global[i]!, a.prior, pooled);
        continue;
      }
      const g = posteriorOf(global[i]!, a.prior, binary);
      const prior = combine({ n: Math.min(g.n, priorStrength), mean: g.mean }, a.segmentPrior, binary);
      scores[i] = draw(rng, reward, seg, prior, pooled);
    }
    return ordered(arms, scores, this.o.minPulls);
  }
}

const EMPTY: Moments = { n: 0, sum: 0, sumSq: 0 };
const orEmpty = (m: Moments | undefined) => m ?? EMPTY;

/** Two sets of pseudo-observations as one. */
function combine(a: Prior, b: Prior | undefined, clampMean: boolean): Prior | undefined {
  const bn = b && b.n > 0 ? b.n : 0;
  const bm = b ? (clampMean ? Math.min(1, Math.max(0, b.mean)) : b.mean) : 0;
  const n = a.n + bn;
  if (!(n > 0)) return undefined;
  return { n, mean: (a.n * a.mean + bn * bm) / n };
}
