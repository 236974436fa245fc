/**
 * The DMM's upkeep, every so often and whenever the vocabulary is full: what decay has made
 * negligible goes, and the vocabulary makes room for new terms. Without it a fading topic's terms
 * and postings would stay for good.
 */
import type { ClusterCounts } from './counts.js';
import type { Reservoir } from './reservoir.js';
import type { Vocabulary } from './vocabulary.js';

/** Share of the vocabulary evicted at once when it is full of terms in use (amortizes the sort). */
export const EVICT_SHARE = 0.25;

/**
 * Drops postings decayed below `minCount` (real count), terms no cluster and no retained document
 * holds, and, when `full` (a term was left out for want of room) and the vocabulary is nearly
 * full, the rarest quarter of the terms no retained document holds; if retained documents hold
 * nearly every term, the oldest half of the reservoir gives way first, or no new term could ever
 * get in. Returns the stored global count of the evicted terms.
 */
export function sweep(
  counts: ClusterCounts,
  vocabulary: Vocabulary,
  reservoir: Reservoir,
  minCount: number,
  full: boolean,
): number {
  let evicted = 0;
  const evict = (w: number) => {
    evicted += vocabulary.counts[w] ?? 0;
    counts.dropTerm(w);
    vocabulary.evict(w);
  };
  counts.sweep(minCount);
  for (let w = 0; w < vocabulary.span; w++) {
    if (vocabulary.nameOf(w) === undefined) continue;
    if (counts.postingsOf(w) === 0 && vocabulary.refs[w] === 0) evict(w);
  }
  if (!full || vocabulary.size < vocabulary.capacity * (1 - EVICT_SHARE / 2)) return evicted;
  const wanted = Math.ceil(vocabulary.capacity * EVICT_SHARE);
  let candidates = unretained(vocabulary);
  if (candidates.length < wanted && reservoir.size > 0) {
    reservoir.release(Math.ceil(reservoir.size / 2));
    candidates = unretained(vocabulary);
  }
  const n = Math.min(candidates.length, wanted);
  if (n === 0) return evicted;
  // The n rarest, by a numeric sort of the counts (ties: the lower ids), evicted in id order.
  const sorted = new Float64Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) sorted[i] = vocabulary.counts[candidates[i]!]!;
  sorted.sort();
  const limit = sorted[n - 1]!;
  let below = 0;
  for (let i = 0; i < n; i++) if (sorted[i]! < limit) below++;
  let atLimit = n - below;
  for (const w of candidates) {
    const c = vocabulary.counts[w]!;
    if (c < limit || (c === limit && atLimit-- > 0)) evict(w);
  }
  return evicted;
}

/** Live terms no retained document holds. */
function unretained(vocabulary: Vocabulary): number[] {
  const out: number[] = [];
  for (let w = 0; w < vocabulary.span; w++)
    if (vocabulary.nameOf(w) !== undefined && vocabulary.refs[w] === 0) out.push(w);
  return out;
}
