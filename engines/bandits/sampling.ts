/**
 * Gamma and Beta variates from a seeded `Random`, for Thompson sampling. Gamma by Marsaglia & Tsang,
 * "A simple method for generating gamma variables" (ACM TOMS 26(3), 2000): one normal and one
 * uniform per try, accepted over 95% of the time for every shape; shapes below 1 are boosted by
 * one and scaled by U^(1/shape). Beta(a, b) is X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
 */
import type { Random } from '../stats/random.js';

/** A Gamma(shape, 1) variate; shape > 0. */
export function sampleGamma(rng: Random, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    let v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const u = 1 - rng.next();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) variate; a, b > 0. */
export function sampleBeta(rng: Random, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x + y > 0 ? x / (x + y) : a / (a + b);
}
