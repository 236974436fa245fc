/**
 * The DMM's reservoir: the latest documents, as a ring buffer, oldest first. The batch passes and
 * re-clustering revisit them; while a document is held its terms are pinned in the vocabulary
 * (refs), so its term ids keep naming the terms it was added with.
 */
import type { DocTerms } from './counts.js';
import type { Vocabulary } from './vocabulary.js';

/** A document kept in the reservoir. */
export interface Retained extends DocTerms {
  /** Its number among the documents `add` accepted, from 0. */
  seq: number;
  ts: number;
  /** Stored weight it was added with. */
  weight: number;
  /** Its cluster's slot; -1 when its cluster was dropped. */
  slot: number;
  /** The cluster id the caller last heard for it. */
  reported: number;
}

/** seq, ts, weight, slot, reported id, [term id, count, term id, count, …]. */
export type RetainedState = [number, number, number, number, number, number[]];

export class Reservoir {
  private docs: (Retained | undefined)[];
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    private vocabulary: Vocabulary,
  ) {
    this.docs = new Array<Retained | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /** Distinct terms of the documents held (for the state size). */
  get terms(): number {
    let n = 0;
    this.forEach((d) => (n += d.ids.length));
    return n;
  }

  /** Keeps a document, letting the oldest go when full. */
  push(doc: Retained): void {
    if (this.count === this.capacity) this.release(1);
    this.docs[(this.head + this.count) % this.capacity] = doc;
    this.count++;
    for (const id of doc.ids) this.vocabulary.refs[id]!++;
  }

  /** Lets the `n` oldest documents go (their clusters keep their counts). */
  release(n: number): void {
    for (let i = 0; i < n && this.count > 0; i++) {
      const old = this.docs[this.head]!;
      for (const id of old.ids) this.vocabulary.refs[id]!--;
      this.docs[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  /** The i-th document, oldest first. */
  at(i: number): Retained {
    return this.docs[(this.head + i) % this.capacity]!;
  }

  forEach(f: (d: Retained) => void): void {
    for (let i = 0; i < this.count; i++) f(this.at(i));
  }

  snapshot(): RetainedState[] {
    const out: RetainedState[] = [];
    this.forEach((d) =>
      out.push([d.seq, d.ts, d.weight, d.slot, d.reported, d.ids.flatMap((id, k) => [id, d.counts[k]!])]),
    );
    return out;
  }

  /** Replaces the documents with a snapshot's (the vocabulary, restored already, has their refs). */
  restore(state: readonly RetainedState[], vocabulary: Vocabulary): void {
    if (state.length > this.capacity)
      throw new RangeError('streaming dmm: the snapshot holds more documents than reservoirSize');
    this.vocabulary = vocabulary;
    this.docs.fill(undefined);
    this.head = 0;
    this.count = 0;
    for (const [seq, ts, weight, slot, reported, flat] of state) {
      const ids: number[] = [];
      const counts: number[] = [];
      let length = 0;
      for (let j = 0; j + 1 < flat.length; j += 2) {
        ids.push(flat[j]!);
        counts.push(flat[j + 1]!);
        length += flat[j + 1]!;
      }
      this.docs[this.count++] = { ids, counts, length, seq, ts, weight, slot, reported };
    }
  }
}
