/**
 * The Lai-Robbins lower bound (Lai & Robbins, "Asymptotically efficient adaptive allocation rules",
 * Advances in Applied Mathematics 6, 1985) for Bernoulli arms: any policy whose regret is o(T^a) for
 * every a > 0 on every problem has, asymptotically, regret at least
 *
 *   Σ over suboptimal arms i of  Δᵢ / KL(pᵢ, p*) · ln T,   Δᵢ = p* − pᵢ,
 *
 * KL the Kullback-Leibler divergence between Bernoulli distributions. It is a statement about large
 * T: at small T, or small gaps, it can exceed the regret of any policy, even of playing at random.
 */

/** KL(Bernoulli(p) ‖ Bernoulli(q)) in nats; p and q are clamped into (0, 1) by 1e-15. */
export function klBernoulli(p: number, q: number): number {
  const eps = 1e-15;
  const pc = Math.min(1 - eps, Math.max(eps, p));
  const qc = Math.min(1 - eps, Math.max(eps, q));
  return pc * Math.log(pc / qc) + (1 - pc) * Math.log((1 - pc) / (1 - qc));
}

/** The constant of the bound: Σ Δᵢ / KL(pᵢ, p*) over arms below the best (0 with one best arm only). */
export function laiRobbinsConstant(rates: readonly number[]): number {
  if (rates.length === 0) return 0;
  const best = Math.max(...rates);
  let c = 0;
  for (const p of rates) if (p < best) c += (best - p) / klBernoulli(p, best);
  return c;
}

/** The bound on the expected regret after `horizon` pulls: the constant times ln T. */
export function laiRobbinsBound(rates: readonly number[], horizon: number): number {
  return laiRobbinsConstant(rates) * Math.log(Math.max(1, horizon));
}
