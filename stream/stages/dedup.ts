/**
 * De-duplication of events by key (`source:id`) inside a time window, for stage 2, which sees every
 * event of its partition (events are partitioned by author, so the repeats of an event land in the
 * same partition). Ingest puts many events in one bus message, so the bus's own de-duplication by
 * message id no longer sees single events: this index does it instead, and it is part of the
 * partition's checkpointed state.
 *
 * Keys are kept as 64-bit hashes in typed arrays (about 20 bytes per key), in generations: each
 * generation holds the keys of a span of input messages (a quarter of the window by the bus's
 * message time), and a generation is dropped once every message in it is more than the window older
 * than the newest message. So a repeat is caught if its previous copy came less than the window
 * before it, and perhaps up to a span more. A key seen again is written into the current
 * generation too, so the previous copy's age is what counts.
 *
 * The checkpoint keeps only where each live generation starts (input sequence and time), not the
 * keys: the keys are in the input log, so a restored partition reads its input again from the
 * first live generation up to the checkpoint and puts each key back into the generation its
 * message belongs to (`replay`). That gives exactly the index the checkpoint was taken with, at
 * the cost of re-reading at most a window of input on restart. The bus keeps messages longer than
 * the window (a stream's max age is hours), so the input is still there.
 *
 * A false "seen" needs two different keys with the same 64-bit hash: about 1 in 10^12 for a
 * window of 5 million keys.
 */
export interface DedupSnapshot {
  /** Live generations, oldest first. */
  generations: { firstSeq: number; startTs: number; maxTs: number }[];
}

export class DedupIndex {
  private generations: Generation[] = [];
  private readonly spanMs: number;

  constructor(readonly windowMs: number) {
    if (!Number.isFinite(windowMs) || windowMs <= 0)
      throw new RangeError(`dedup window must be > 0 ms (got ${windowMs})`);
    this.spanMs = windowMs / 4;
  }

  /**
   * Moves to the next input message (stream sequence and the bus's time for it): starts a
   * generation when the current one spans a quarter of the window, and drops generations whose
   * newest message is more than the window older than this one.
   */
  advance(seq: number, ts: number): void {
    const current = this.generations[this.generations.length - 1];
    if (!current || ts >= current.startTs + this.spanMs) {
      this.generations.push(new Generation(seq, ts, ts));
    } else if (ts > current.maxTs) current.maxTs = ts;
    while (this.generations.length > 1 && this.generations[0]!.maxTs < ts - this.windowMs)
      this.generations.shift();
  }

  /** True when `key` was seen inside the window; either way it is recorded as seen now. */
  seen(key: string): boolean {
    const h = hash64(key);
    const gens = this.generations;
    const current = gens[gens.length - 1];
    if (!current) throw new Error('DedupIndex: advance() before the first key');
    let found = false;
    for (let i = gens.length - 1; i >= 0 && !found; i--) found = gens[i]!.table.has(h.hi, h.lo);
    current.table.add(h.hi, h.lo);
    return found;
  }

  /** Keys held, over all generations (a key seen in two generations counts twice). */
  get size(): number {
    return this.generations.reduce((n, g) => n + g.table.size, 0);
  }

  snapshot(): DedupSnapshot {
    return {
      generations: this.generations.map((g) => ({
        firstSeq: g.firstSeq,
        startTs: g.startTs,
        maxTs: g.maxTs,
      })),
    };
  }

  /** Restores the generations without their keys; `replay` puts the keys back. */
  restore(snapshot: DedupSnapshot | undefined): void {
    this.generations = (snapshot?.generations ?? []).map(
      (g) => new Generation(g.firstSeq, g.startTs, g.maxTs),
    );
  }

  /** The first input sequence to read again after `restore`; undefined when nothing is to be replayed. */
  get replayFrom(): number | undefined {
    return this.generations[0]?.firstSeq;
  }

  /** After `restore`: records `key` of the message at `seq` (at or before the checkpoint) as `seen` did. */
  replay(seq: number, key: string): void {
    const gens = this.generations;
    let i = gens.length - 1;
    while (i > 0 && gens[i]!.firstSeq > seq) i--;
    const g = gens[i];
    if (!g || seq < g.firstSeq) return;
    const h = hash64(key);
    g.table.add(h.hi, h.lo);
  }
}

class Generation {
  readonly table = new HashSet64();
  constructor(
    readonly firstSeq: number,
    readonly startTs: number,
    public maxTs: number,
  ) {}
}

/** An open-addressing set of 64-bit hashes in two Uint32Arrays; `hi` is never 0, so 0 marks a free slot. */
export class HashSet64 {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private mask = 1023;
  size = 0;

  has(hi: number, lo: number): boolean {
    const { mask } = this;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const h = this.hi[i]!;
      if (h === 0) return false;
      if (h === hi && this.lo[i] === lo) return true;
    }
  }

  /** Adds the hash; false when it was there already. */
  add(hi: number, lo: number): boolean {
    const { mask } = this;
    let i = lo & mask;
    for (; ; i = (i + 1) & mask) {
      const h = this.hi[i]!;
      if (h === 0) break;
      if (h === hi && this.lo[i] === lo) return false;
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    if (++this.size * 2 > this.hi.length) this.grow();
    return true;
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    this.hi = new Uint32Array(oldHi.length * 2);
    this.lo = new Uint32Array(oldLo.length * 2);
    this.mask = this.hi.length - 1;
    this.size = 0;
    for (let i = 0; i < oldHi.length; i++) if (oldHi[i] !== 0) this.add(oldHi[i]!, oldLo[i]!);
  }
}

/** Two independent 32-bit hashes of the string's UTF-16 code units (FNV-1a and a murmur-style mix). */
export function hash64(key: string): { hi: number; lo: number } {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b ^= b >>> 16;
  return { hi: (a | 1) >>> 0, lo: b >>> 0 };
}
