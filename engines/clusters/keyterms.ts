/**
 * Merging the clusters of one topic by its key term. A streaming DMM splits a topic whose posts
 * are written in several ways (templates, tones) into a cluster per way: each way's own words fit
 * its own cluster better than the topic's. What the clusters of one topic share is the topic's key
 * term ("outage", "recall", "excel"): a term that most documents of each of them hold, that is
 * among the most distinctive terms of each, and that is concentrated in them (rare elsewhere).
 * A word many clusters use (a brand, "file", "error") is in few of any one cluster's documents, or
 * spread over clusters that do not carry it, so it merges nothing.
 *
 * A hashtag is a label its authors gave the topic, so it need not be among a cluster's most
 * distinctive terms (a topic's hashtag is on some of its posts, its words on all of them): a
 * hashtag held by a smaller share of each cluster's documents (`hashtagShare`), at `hashtagLift`
 * times its rate in the stream, carries the clusters too. A hashtag everybody uses ("#coffee" in a
 * coffee stream) is at about its stream rate everywhere, so it carries none.
 *
 * Pure: reads the counts and the vocabulary, returns the merges; the DMM carries them out.
 */
import type { ClusterCounts } from './counts.js';
import type { Vocabulary } from './vocabulary.js';

export interface KeyTermOptions {
  /** Share of a cluster's documents (decayed) that must hold the term: above 1, never. */
  share: number;
  /** Share of the term's (decayed) occurrences in the stream that the clusters carrying it must hold. */
  concentration: number;
  /** How many of a cluster's most distinctive terms may be its key terms. */
  top: number;
  /** Documents a cluster must hold for its key terms to count. */
  minMembers: number;
  /** Share of a cluster's documents that must hold a hashtag (any of its hashtags): above 1, never. */
  hashtagShare: number;
  /** How many times the stream's rate of a hashtag its rate in a cluster must be. */
  hashtagLift: number;
}

/**
 * The merges that key terms call for, as [from slot, to slot] in the order to apply them: the
 * clusters joined by a key term (and, through another key term, by any of them) all go into the
 * one with the most mass (ties: the older, i.e. lower id). `globalTokens` is the stored total of
 * the vocabulary's counts.
 */
export function keyTermMerges(
  counts: ClusterCounts,
  vocabulary: Vocabulary,
  globalTokens: number,
  o: KeyTermOptions,
): [number, number][] {
  if (!(o.share <= 1) || !(globalTokens > 0) || o.top < 1) return [];
  const span = counts.span;
  const { ids, members, mass, tokens } = counts;
  const top = o.top;
  // Per slot, its `top` most distinctive terms: term ids, weights and stored counts.
  const bestTerm = new Int32Array(span * top).fill(-1);
  const bestWeight = new Float64Array(span * top);
  const bestCount = new Float64Array(span * top);
  const terms = Math.min(counts.termSpan, vocabulary.span);
  // A key term is held by about share · minMembers documents of a cluster at least (decay aside):
  // rarer terms are skipped, which spares most of a large vocabulary.
  const minStored = o.share * o.minMembers * counts.unit;
  for (let w = 0; w < terms; w++) {
    const g = vocabulary.counts[w] ?? 0;
    if (!(g > 0) || g < minStored) continue;
    const q = g / globalTokens;
    counts.forEachPosting(w, (s, c) => {
      if (ids[s]! < 0 || members[s]! < o.minMembers || !(tokens[s]! > 0)) return;
      const p = c / tokens[s]!;
      const v = p * Math.log(p / q);
      if (!(v > 0)) return;
      const base = s * top;
      let k = top - 1;
      if (bestTerm[base + k]! >= 0 && v <= bestWeight[base + k]!) return;
      while (k > 0 && (bestTerm[base + k - 1]! < 0 || v > bestWeight[base + k - 1]!)) {
        bestTerm[base + k] = bestTerm[base + k - 1]!;
        bestWeight[base + k] = bestWeight[base + k - 1]!;
        bestCount[base + k] = bestCount[base + k - 1]!;
        k--;
      }
      bestTerm[base + k] = w;
      bestWeight[base + k] = v;
      bestCount[base + k] = c;
    });
  }
  // The clusters carrying each term as a key term, and the term's count they hold.
  const carriers = new Map<number, { slots: number[]; held: number }>();
  const carry = (w: number, s: number, c: number) => {
    const entry = carriers.get(w);
    if (!entry) carriers.set(w, { slots: [s], held: c });
    else if (!entry.slots.includes(s)) {
      entry.slots.push(s);
      entry.held += c;
    }
  };
  for (let s = 0; s < span; s++) {
    if (ids[s]! < 0 || !(mass[s]! > 0)) continue;
    for (let k = 0; k < top; k++) {
      const w = bestTerm[s * top + k]!;
      if (w < 0) break;
      const c = bestCount[s * top + k]!;
      if (c >= o.share * mass[s]!) carry(w, s, c);
    }
  }
  if (o.hashtagShare <= 1) {
    // As for key terms: a hashtag held by fewer documents than a carrier needs is skipped unread
    // (a million distinct hashtags cost a pass over the counts, not their postings).
    const minHashtag = o.hashtagShare * o.minMembers * counts.unit;
    for (let w = 0; w < terms; w++) {
      const g = vocabulary.counts[w] ?? 0;
      if (!(g > 0) || g < minHashtag || vocabulary.nameOf(w)?.[0] !== '#') continue;
      const q = g / globalTokens;
      counts.forEachPosting(w, (s, c) => {
        if (ids[s]! < 0 || members[s]! < o.minMembers || !(tokens[s]! > 0) || !(mass[s]! > 0)) return;
        if (c >= o.hashtagShare * mass[s]! && c / tokens[s]! >= o.hashtagLift * q) carry(w, s, c);
      });
    }
  }
  // Union of the clusters that share a concentrated key term.
  const parent = new Int32Array(span);
  for (let s = 0; s < span; s++) parent[s] = s;
  const find = (s: number): number => {
    while (parent[s] !== s) {
      parent[s] = parent[parent[s]!]!;
      s = parent[s]!;
    }
    return s;
  };
  let any = false;
  for (const [w, { slots, held }] of [...carriers].sort((a, b) => a[0] - b[0])) {
    if (slots.length < 2 || held < o.concentration * vocabulary.counts[w]!) continue;
    for (let i = 1; i < slots.length; i++) {
      const a = find(slots[0]!);
      const b = find(slots[i]!);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
    any = true;
  }
  if (!any) return [];
  const groups = new Map<number, number[]>();
  for (let s = 0; s < span; s++) {
    if (ids[s]! < 0) continue;
    const r = find(s);
    const list = groups.get(r);
    if (list) list.push(s);
    else groups.set(r, [s]);
  }
  const out: [number, number][] = [];
  for (const slots of groups.values()) {
    if (slots.length < 2) continue;
    let target = slots[0]!;
    for (const s of slots)
      if (mass[s]! > mass[target]! || (mass[s] === mass[target] && ids[s]! < ids[target]!)) target = s;
    for (const s of slots) if (s !== target) out.push([s, target]);
  }
  return out;
}
