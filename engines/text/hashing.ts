/**
 * Feature hashing (the "hashing trick", Weinberger et al., 2009): a feature's name is hashed to one
 * of 2^k buckets instead of being looked up in a vocabulary, so a model needs no vocabulary file,
 * never meets an unknown feature, and uses fixed memory. Names are hashed as they are scanned,
 * character by character, so no substring is ever allocated.
 *
 * The hash is FNV-1a over UTF-16 code units with murmur3's final avalanche: stable across
 * processes, platforms and releases, which a committed weights file depends on.
 */

/** The start of every hash; mix in a seed with `hashSeed` to get independent hash functions. */
export const HASH_START = 0x811c9dc5;

/** A hash start that depends on `seed`: different seeds give different collision patterns. */
export function hashSeed(seed: number): number {
  return hashMix(HASH_START, seed >>> 0);
}

/** Mixes one more unit (a UTF-16 code unit, or any 32-bit value) into a running hash. */
export function hashMix(h: number, unit: number): number {
  return Math.imul(h ^ unit, 0x01000193);
}

/** Ends a running hash: murmur3's fmix32, so that nearby inputs land in unrelated buckets. */
export function hashFinish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The finished hash of a whole string, continuing from `start`. */
export function hashString(s: string, start: number = HASH_START): number {
  let h = start;
  for (let i = 0; i < s.length; i++) h = hashMix(h, s.charCodeAt(i));
  return hashFinish(h);
}

/**
 * A growable list of (bucket, value) pairs: one sparse feature vector. A bucket may occur more
 * than once; its values then add up. Reused between texts to avoid allocating per text.
 */
export class FeatureBuffer {
  indices: Int32Array;
  values: Float32Array;
  length = 0;

  constructor(capacity = 512) {
    this.indices = new Int32Array(capacity);
    this.values = new Float32Array(capacity);
  }

  clear(): void {
    this.length = 0;
  }

  push(index: number, value: number): void {
    if (this.length === this.indices.length) this.grow();
    this.indices[this.length] = index;
    this.values[this.length] = value;
    this.length++;
  }

  /** Multiplies the values pushed since position `from` by `factor`. */
  scale(from: number, factor: number): void {
    for (let i = from; i < this.length; i++) this.values[i]! *= factor;
  }

  private grow(): void {
    const indices = new Int32Array(this.indices.length * 2);
    indices.set(this.indices);
    const values = new Float32Array(this.values.length * 2);
    values.set(this.values);
    this.indices = indices;
    this.values = values;
  }
}
