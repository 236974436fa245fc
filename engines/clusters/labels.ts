/**
 * A cluster's label: its most distinctive terms. Raw frequency would label every cluster with the
 * words every post uses; each term is weighed instead by its share of the cluster's tokens times
 * the log of its lift over the global share (its term of the KL divergence between the cluster's
 * and the stream's distributions): frequent AND specific terms first, terms no more common in the
 * cluster than everywhere (lift ≤ 1) never. A term is named by its readable form (the word its stem
 * is mostly written as: "every", not "everi").
 */
import type { ClusterCounts } from './counts.js';
import type { Vocabulary } from './vocabulary.js';

export interface WeightedTerm {
  term: string;
  weight: number;
}

/**
 * The top terms of `slot`. `globalTokens` is the stored total of the vocabulary's counts; `seen`
 * is a scratch array (by term id) left as it was found.
 */
export function distinctiveTerms(
  counts: ClusterCounts,
  vocabulary: Vocabulary,
  slot: number,
  top: number,
  globalTokens: number,
  seen: Uint8Array,
): WeightedTerm[] {
  const tokens = counts.tokens[slot]!;
  if (!(tokens > 0) || !(globalTokens > 0) || top <= 0) return [];
  const out: WeightedTerm[] = [];
  const terms = counts.slotTerms[slot]!;
  for (const w of terms) {
    if (seen[w]) continue;
    seen[w] = 1;
    const name = vocabulary.labelOf(w);
    const global = vocabulary.counts[w] ?? 0;
    if (name === undefined || !(global > 0)) continue;
    const p = counts.countOf(w, slot) / tokens;
    const q = global / globalTokens;
    const weight = p * Math.log(p / q);
    if (weight > 0 && Number.isFinite(weight)) out.push({ term: name, weight });
  }
  for (const w of terms) seen[w] = 0;
  out.sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  if (out.length > top) out.length = top;
  return out;
}
