/**
 * Splitting a cluster that holds two topics. A streaming DMM decides where a document goes on the
 * evidence of the moment: the first posts of a new topic join a big cluster that shares a few of
 * their common words, and once it has learnt their words it takes the rest of the topic too, so one
 * cluster ends up holding topic after topic. The split move asks the question again with all the
 * evidence: the cluster's retained documents are set apart as a cluster of their own, a few passes
 * send each back to the rest of the cluster or keep it apart (whichever explains it better), and
 * the two parts stay apart when the model's joint probability says so (a Bayes factor, as in the
 * split-merge samplers of Jain and Neal, 2004):
 *
 *   Δ = log p(A) + log p(B) − log p(A ∪ B) + log(αD) + log Γ(m_A) + log Γ(m_B) − log Γ(m_A + m_B)
 *
 * with log p(z) the Dirichlet-multinomial evidence of a cluster's term counts (β smoothing over V
 * terms) and the last terms the Chinese-restaurant prior of one cluster against two.
 *
 * Pure: reads the counts, works on its own copies of the two parts' counts, and says which
 * documents leave; the DMM carries it out.
 */
import type { ClusterCounts, DocTerms } from './counts.js';

export interface SplitSettings {
  beta: number;
  vocabularySize: number;
  /** Weight of a new cluster (αD). */
  newWeight: number;
  /** Passes that send each set-apart document back or keep it apart. */
  passes: number;
  /**
   * Parts that share a term held by at least this share of each one's documents (a key term: see
   * keyterms.ts) are one topic written two ways, and stay together. Above 1: no such check.
   */
  keyTermShare: number;
}

/** A retained document as the split move sees it: its terms and stored weight. */
export interface SplitDoc extends DocTerms {
  weight: number;
}

/**
 * The documents of `docs` (the retained documents of `slot`) that should form a cluster of their
 * own, or undefined when the cluster is better whole. Leaves `counts` as it was.
 */
export function splitOff<D extends SplitDoc>(
  counts: ClusterCounts,
  slot: number,
  docs: readonly D[],
  o: SplitSettings,
): D[] | undefined {
  if (docs.length < 2) return undefined;
  const inv = 1 / counts.unit;
  const { beta } = o;
  const vb = o.vocabularySize * beta;
  // The two parts' counts (real units) of the documents' terms: A, the cluster without its
  // retained documents; B, the retained documents.
  const index = new Map<number, number>();
  const a: number[] = [];
  const b: number[] = [];
  let massA = counts.mass[slot]! * inv;
  let tokensA = counts.tokens[slot]! * inv;
  let membersA = counts.members[slot]!;
  let massB = 0;
  let tokensB = 0;
  let membersB = 0;
  for (const d of docs)
    for (const w of d.ids)
      if (!index.has(w)) {
        index.set(w, a.length);
        a.push(counts.countOf(w, slot) * inv);
        b.push(0);
      }
  const local = docs.map((d) => d.ids.map((w) => index.get(w)!));
  docs.forEach((d, i) => {
    const weight = d.weight * inv;
    const ix = local[i]!;
    for (let k = 0; k < ix.length; k++) {
      const amount = weight * d.counts[k]!;
      a[ix[k]!] = Math.max(0, a[ix[k]!]! - amount);
      b[ix[k]!]! += amount;
    }
    massA -= weight;
    tokensA -= weight * d.length;
    membersA--;
    massB += weight;
    tokensB += weight * d.length;
    membersB++;
  });
  massA = Math.max(0, massA);
  tokensA = Math.max(0, tokensA);
  if (membersA <= 0) return undefined;
  const inB = docs.map(() => true);
  /** Log score of a document (counts already taken out) for a part: its mass and counts. */
  const score = (i: number, counts: number[], mass: number, tokens: number, empty: boolean) => {
    const d = docs[i]!;
    const ix = local[i]!;
    let s = Math.log(empty ? o.newWeight : mass);
    for (let k = 0; k < ix.length; k++) {
      const n = empty ? 0 : counts[ix[k]!]!;
      for (let j = 0; j < d.counts[k]!; j++) s += Math.log(n + beta + j);
    }
    const base = empty ? vb : tokens + vb;
    for (let j = 0; j < d.length; j++) s -= Math.log(base + j);
    return s;
  };
  const move = (i: number, sign: 1 | -1, toB: boolean) => {
    const d = docs[i]!;
    const weight = d.weight * inv;
    const ix = local[i]!;
    const target = toB ? b : a;
    for (let k = 0; k < ix.length; k++)
      target[ix[k]!] = Math.max(0, target[ix[k]!]! + sign * weight * d.counts[k]!);
    if (toB) {
      massB = Math.max(0, massB + sign * weight);
      tokensB = Math.max(0, tokensB + sign * weight * d.length);
      membersB += sign;
    } else {
      massA = Math.max(0, massA + sign * weight);
      tokensA = Math.max(0, tokensA + sign * weight * d.length);
      membersA += sign;
    }
  };
  /** The log Bayes factor of the two parts against one cluster; only the terms both hold change the evidence. */
  const delta = () => {
    let sum = 0;
    for (let k = 0; k < a.length; k++) {
      const x = a[k]!;
      const y = b[k]!;
      if (x > 0 && y > 0)
        sum += logGamma(x + beta) + logGamma(y + beta) - logGamma(x + y + beta) - logGamma(beta);
    }
    sum += logGamma(vb) - logGamma(vb + tokensA) - logGamma(vb + tokensB) + logGamma(vb + tokensA + tokensB);
    return sum + Math.log(o.newWeight) + logGamma(massA) + logGamma(massB) - logGamma(massA + massB);
  };
  for (let p = 0; p < o.passes; p++) {
    let moved = 0;
    for (let i = 0; i < docs.length; i++) {
      move(i, -1, inB[i]!);
      const sA = score(i, a, massA, tokensA, membersA <= 0);
      const sB = score(i, b, massB, tokensB, membersB <= 0);
      const toB = sB > sA;
      if (toB !== inB[i]) moved++;
      inB[i] = toB;
      move(i, 1, toB);
    }
    if (moved === 0) break;
  }
  if (membersB <= 0 || membersA <= 0 || !(massA > 0) || !(massB > 0)) return undefined;
  for (let k = 0; k < a.length; k++)
    if (a[k]! >= o.keyTermShare * massA && b[k]! >= o.keyTermShare * massB) return undefined;
  if (!(delta() > 0)) return undefined;
  return docs.filter((_, i) => inB[i]);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
