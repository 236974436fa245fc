/**
 * Space-Saving (Metwally, Agrawal and El Abbadi, "Efficient computation of frequent and top-k
 * elements in data streams", 2005), weighted: the heaviest keys of a stream in fixed memory.
 *
 * At most `capacity` keys are tracked. A tracked key adds its weight to its count; an untracked key
 * takes the place of the lightest tracked key and starts from that key's count (recorded as its
 * `error`), so a count overestimates the key's true weight by at most its error, and any key whose
 * true weight exceeds total / capacity is tracked. Counts and errors of several sketches over
 * disjoint streams (partitions) add up: the sums bound the combined stream in the same way, for the
 * keys every sketch tracks.
 *
 * The lightest key is found through a binary min-heap. Ties are broken by key (the lightest of equal
 * counts is the one that sorts last), so which key is evicted, and so every result, depends only on
 * what was added, never on the heap's layout: a restored sketch continues exactly like the original.
 */

/** A tracked key: `count` overestimates its true weight by at most `error` (count − error ≤ true ≤ count). */
export interface HeavyHitter {
  key: string;
  count: number;
  error: number;
}

interface Entry {
  key: string;
  count: number;
  error: number;
  /** Index in the heap. */
  at: number;
}

const SNAPSHOT_VERSION = 1;

interface SpaceSavingState {
  v: number;
  capacity: number;
  total: number;
  /** [key, count, error] per tracked key. */
  items: [string, number, number][];
}

export class SpaceSaving {
  readonly capacity: number;
  private heap: Entry[] = [];
  private readonly index = new Map<string, Entry>();
  private sum = 0;

  /** `capacity`: the number of keys tracked, an integer ≥ 1 (a RangeError otherwise). */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`space-saving capacity must be an integer ≥ 1, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Keys tracked now (at most `capacity`). */
  get size(): number {
    return this.heap.length;
  }

  /** The sum of every weight added (tracked or not). */
  get total(): number {
    return this.sum;
  }

  /**
   * The count of the lightest tracked key once every place is taken (0 before): no untracked key
   * has a true weight above it.
   */
  get floor(): number {
    return this.heap.length < this.capacity ? 0 : (this.heap[0]?.count ?? 0);
  }

  /** Adds `weight` (default 1) to `key`; a weight ≤ 0 or not finite, or a key that is not a string, is ignored. */
  add(key: string, weight = 1): void {
    this.offer(key, weight);
  }

  /** As `add`; returns the key evicted to make room for `key`, if one was. */
  offer(key: string, weight = 1): string | undefined {
    if (typeof key !== 'string' || typeof weight !== 'number' || !(weight > 0) || weight === Infinity)
      return undefined;
    this.sum += weight;
    const known = this.index.get(key);
    if (known) {
      known.count += weight;
      this.down(known.at);
      return undefined;
    }
    if (this.heap.length < this.capacity) {
      const e: Entry = { key, count: weight, error: 0, at: this.heap.length };
      this.heap.push(e);
      this.index.set(key, e);
      this.up(e.at);
      return undefined;
    }
    // Full: the lightest key gives its place, and its count, to the new one.
    const min = this.heap[0]!;
    const evicted = min.key;
    this.index.delete(evicted);
    min.key = key;
    min.error = min.count;
    min.count += weight;
    this.index.set(key, min);
    this.down(0);
    return evicted;
  }

  /** The `n` heaviest keys (default: all tracked), by count descending, then key ascending. */
  top(n = this.capacity): HeavyHitter[] {
    const all = this.heap.map(({ key, count, error }) => ({ key, count, error }));
    all.sort(byCountThenKey);
    return n >= all.length ? all : all.slice(0, Math.max(0, Math.floor(n)));
  }

  /** The key's count (an overestimate by at most its error); 0 when it is not tracked. */
  count(key: string): number {
    return this.index.get(key)?.count ?? 0;
  }

  /** How much the key's count may overestimate it; 0 when it is not tracked. */
  error(key: string): number {
    return this.index.get(key)?.error ?? 0;
  }

  clear(): void {
    this.heap = [];
    this.index.clear();
    this.sum = 0;
  }

  /**
   * JSON-safe state: fromSnapshot(JSON.parse(JSON.stringify(snapshot()))) continues identically.
   * Items in top order, so equal sketches have equal snapshots whatever their heaps' layout.
   */
  snapshot(): unknown {
    const state: SpaceSavingState = {
      v: SNAPSHOT_VERSION,
      capacity: this.capacity,
      total: this.sum,
      items: this.top().map((h) => [h.key, h.count, h.error]),
    };
    return state;
  }

  /**
   * A sketch from a snapshot; a RangeError for anything that is not one. With a `capacity` other
   * than the snapshot's, the heaviest keys that fit are kept: the bounds still hold, since a key
   * dropped weighed no more than any key kept.
   */
  static fromSnapshot(state: unknown, capacity?: number): SpaceSaving {
    const s = state as Partial<SpaceSavingState> | null;
    if (
      !s ||
      s.v !== SNAPSHOT_VERSION ||
      !Number.isInteger(s.capacity) ||
      !Array.isArray(s.items) ||
      !isWeight(s.total, true)
    )
      throw new RangeError(`space-saving: not a version ${SNAPSHOT_VERSION} snapshot`);
    const sketch = new SpaceSaving(capacity ?? s.capacity!);
    const items = s.items.map((item) => {
      const [key, count, error] = Array.isArray(item) ? (item as unknown[]) : [];
      if (typeof key !== 'string' || !isWeight(count, false) || !isWeight(error, true) || error > count)
        throw new RangeError('space-saving: a snapshot item is not [key, count, error]');
      return { key, count, error };
    });
    items.sort(byCountThenKey);
    for (const { key, count, error } of items.slice(0, sketch.capacity)) {
      if (sketch.index.has(key)) throw new RangeError(`space-saving: key "${key}" twice in a snapshot`);
      const e: Entry = { key, count, error, at: sketch.heap.length };
      sketch.heap.push(e);
      sketch.index.set(key, e);
    }
    for (let i = (sketch.heap.length >> 1) - 1; i >= 0; i--) sketch.down(i);
    sketch.sum = s.total!;
    return sketch;
  }

  /** Whether heap entry i should sit above entry j: a smaller count, or an equal count and a later key. */
  private lighter(i: number, j: number): boolean {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    return a.count < b.count || (a.count === b.count && a.key > b.key);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    this.heap[i] = b;
    this.heap[j] = a;
    a.at = j;
    b.at = i;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.lighter(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const child = r < n && this.lighter(r, l) ? r : l;
      if (!this.lighter(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }
}

/** Count descending, then key ascending: the order of every top list. */
export function byCountThenKey(a: HeavyHitter, b: HeavyHitter): number {
  return b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/**
 * The top `n` (default: all) of several sketches' lists over disjoint streams (partitions): counts
 * and errors summed per key, a key missing from a list counting 0 there. A key missing from a
 * partition's list may still have weighed up to that sketch's floor there, so a merged count is an
 * overestimate only for keys every list holds.
 */
export function mergeHeavyHitters(lists: readonly (readonly HeavyHitter[])[], n?: number): HeavyHitter[] {
  const sums = new Map<string, HeavyHitter>();
  for (const list of lists)
    for (const h of list) {
      const s = sums.get(h.key);
      if (s) {
        s.count += h.count;
        s.error += h.error;
      } else sums.set(h.key, { key: h.key, count: h.count, error: h.error });
    }
  const all = [...sums.values()].sort(byCountThenKey);
  return n === undefined ? all : all.slice(0, Math.max(0, Math.floor(n)));
}

function isWeight(x: unknown, zero: boolean): x is number {
  return typeof x === 'number' && Number.isFinite(x) && (zero ? x >= 0 : x > 0);
}
