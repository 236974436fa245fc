/**
 * The sufficient statistics of a Dirichlet-process mixture of multinomials over short documents:
 * per cluster its documents (m_z), tokens (n_z) and per-term counts (n_z^w), kept as postings per
 * term (cluster slot, count), so scoring a document touches only the clusters that share a term
 * with it, plus one cheap product per live cluster for its size.
 *
 * Counts decay (MStreamF's forgetting, made smooth): instead of multiplying every count by a factor
 * as time passes, a new document is added with weight `unit`, which grows by 2 every half-life;
 * a count's real value is stored / unit. Renormalizing (dividing everything by unit) keeps the
 * numbers in range. Clusters live in slots reused after a cluster is dropped; its id never is.
 */

/** A document as the counts see it: distinct term ids, their counts, and its length. */
export interface DocTerms {
  ids: number[];
  counts: number[];
  /** Tokens: the sum of counts. */
  length: number;
}

export interface CountsState {
  unit: number;
  totalMass: number;
  ids: number[];
  mass: number[];
  tokens: number[];
  members: number[];
  createdAt: number[];
  lastSeenAt: number[];
  /** Per term id: [slot, count, slot, count, …] in posting order. */
  postings: number[][];
  free: number[];
}

/** Factors multiplied before a logarithm is taken: (1e7)^16 and its inverse stay well in range. */
const CHUNK = 16;

export class ClusterCounts {
  /** Stored weight of one document added now; real count = stored / unit. */
  unit = 1;
  /** Cluster id per slot; -1 for a free slot. */
  ids: number[] = [];
  mass: number[] = [];
  tokens: number[] = [];
  /** Documents assigned to the cluster now (whole documents, not decayed). */
  members: number[] = [];
  createdAt: number[] = [];
  lastSeenAt: number[] = [];
  /** Term ids with a posting for the slot; may hold stale ids and repeats until the next sweep. */
  slotTerms: number[][] = [];
  private free: number[] = [];
  /** Per term id: the slots holding it and their stored counts, side by side. */
  private postSlots: number[][] = [];
  private postCounts: number[][] = [];
  /** Live clusters. */
  live = 0;
  /** Postings held, for the state size. */
  postings = 0;
  /** Sum of mass over live clusters (stored units). */
  totalMass = 0;

  /** Scores of the document last scored, by slot: products, or logarithms for a long document. */
  private readonly values: Float64Array;
  private newScore = 0;
  private linear = true;
  private readonly prod: Float64Array;
  private readonly logAcc: Float64Array;

  constructor(readonly maxClusters: number) {
    this.values = new Float64Array(maxClusters);
    this.prod = new Float64Array(maxClusters);
    this.logAcc = new Float64Array(maxClusters);
  }

  /** Slots in use or free: live clusters are the slots below this with an id ≥ 0. */
  get span(): number {
    return this.ids.length;
  }

  /** A free slot for a new cluster with `id`; the caller has checked that live < maxClusters. */
  open(id: number, at: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.ids.length;
      this.ids.push(id);
      this.mass.push(0);
      this.tokens.push(0);
      this.members.push(0);
      this.createdAt.push(at);
      this.lastSeenAt.push(at);
      this.slotTerms.push([]);
    } else {
      this.ids[slot] = id;
      this.mass[slot] = 0;
      this.tokens[slot] = 0;
      this.members[slot] = 0;
      this.createdAt[slot] = at;
      this.lastSeenAt[slot] = at;
      this.slotTerms[slot] = [];
    }
    this.live++;
    return slot;
  }

  /** Drops a cluster and all its counts; its slot becomes free. */
  close(slot: number): void {
    if (this.ids[slot]! < 0) return;
    for (const w of this.slotTerms[slot]!) this.removePosting(w, slot);
    this.totalMass -= this.mass[slot]!;
    this.ids[slot] = -1;
    this.mass[slot] = 0;
    this.tokens[slot] = 0;
    this.members[slot] = 0;
    this.slotTerms[slot] = [];
    this.free.push(slot);
    this.live--;
  }

  /** Adds a document of stored weight `weight` to a slot. */
  add(doc: DocTerms, slot: number, weight: number): void {
    this.mass[slot]! += weight;
    this.tokens[slot]! += weight * doc.length;
    this.members[slot]!++;
    this.totalMass += weight;
    for (let k = 0; k < doc.ids.length; k++) {
      const w = doc.ids[k]!;
      const amount = weight * doc.counts[k]!;
      this.ensureTerm(w);
      const slots = this.postSlots[w]!;
      const counts = this.postCounts[w]!;
      const j = slots.indexOf(slot);
      if (j >= 0) counts[j]! += amount;
      else {
        slots.push(slot);
        counts.push(amount);
        this.slotTerms[slot]!.push(w);
        this.postings++;
      }
    }
  }

  /** Takes a document added with `weight` out of a slot again. */
  remove(doc: DocTerms, slot: number, weight: number): void {
    const members = --this.members[slot]!;
    const before = this.mass[slot]!;
    if (members <= 0) {
      // Exactly empty, without the rounding left by subtracting.
      this.members[slot] = 0;
      this.mass[slot] = 0;
      this.tokens[slot] = 0;
    } else {
      this.mass[slot] = Math.max(0, before - weight);
      this.tokens[slot] = Math.max(0, this.tokens[slot]! - weight * doc.length);
    }
    this.totalMass += this.mass[slot]! - before;
    for (let k = 0; k < doc.ids.length; k++) {
      const w = doc.ids[k]!;
      const slots = this.postSlots[w];
      if (!slots) continue;
      const j = slots.indexOf(slot);
      if (j < 0) continue;
      const counts = this.postCounts[w]!;
      counts[j] = members <= 0 ? 0 : Math.max(0, counts[j]! - weight * doc.counts[k]!);
    }
  }

  /**
   * Scores a document against every live cluster with members and against a new cluster, by
   * MStream's formula:
   *
   *   p(z) ∝ m_z · Π_w Π_j (n_z^w + β + j) / Π_i (n_z + Vβ + i)      (j < count of w in d, i < |d|)
   *   p(new) ∝ αD · Π_w Π_j (β + j) / Π_i (Vβ + i)
   *
   * divided through by Π_w Π_j (β + j), which is the same for every choice (`newWeight` is αD).
   * A document of fewer than CHUNK tokens is scored without a logarithm: the products themselves
   * stay in range, and comparing them is all a choice needs. Read the result with `value`,
   * `newValue` and `logOf`.
   */
  score(doc: DocTerms, newWeight: number, beta: number, vocabularySize: number): void {
    const { prod, logAcc, ids, members, mass, tokens } = this;
    const span = this.ids.length;
    const invUnit = 1 / this.unit;
    const vb = vocabularySize * beta;
    const len = doc.length;
    const linear = len < CHUNK;
    this.linear = linear;
    for (let s = 0; s < span; s++) prod[s] = 1;
    if (!linear) for (let s = 0; s < span; s++) logAcc[s] = 0;
    const invBeta = 1 / beta;
    for (let k = 0; k < doc.ids.length; k++) {
      const slots = this.postSlots[doc.ids[k]!];
      if (slots !== undefined) {
        const counts = this.postCounts[doc.ids[k]!]!;
        const c = doc.counts[k]!;
        if (c === 1) {
          for (let j = 0; j < slots.length; j++) prod[slots[j]!]! *= (counts[j]! * invUnit + beta) * invBeta;
        } else {
          for (let j = 0; j < slots.length; j++) {
            const n = counts[j]! * invUnit + beta;
            let f = 1;
            for (let t = 0; t < c; t++) f *= (n + t) / (beta + t);
            prod[slots[j]!]! *= f;
          }
        }
      }
      // A long document's products are moved into logarithms now and then, before they overflow.
      if (!linear && (k & (CHUNK - 1)) === CHUNK - 1 && k + 1 < doc.ids.length) {
        for (let s = 0; s < span; s++) {
          logAcc[s]! += Math.log(prod[s]!);
          prod[s] = 1;
        }
      }
    }
    const out = this.values;
    for (let s = 0; s < span; s++) {
      if (ids[s]! < 0 || members[s]! <= 0) {
        out[s] = linear ? 0 : -Infinity;
        continue;
      }
      const base = tokens[s]! * invUnit + vb;
      if (linear) {
        let den = 1;
        for (let i = 0; i < len; i++) den *= base + i;
        out[s] = (mass[s]! * invUnit * prod[s]!) / den;
      } else {
        let den = 1;
        let logDen = 0;
        for (let i = 0; i < len; i++) {
          den *= base + i;
          if ((i & (CHUNK - 1)) === CHUNK - 1) {
            logDen += Math.log(den);
            den = 1;
          }
        }
        out[s] = logAcc[s]! + Math.log((mass[s]! * invUnit * prod[s]!) / den) - logDen;
      }
    }
    let den = 1;
    let logDen = 0;
    for (let i = 0; i < len; i++) {
      den *= vb + i;
      if (!linear && (i & (CHUNK - 1)) === CHUNK - 1) {
        logDen += Math.log(den);
        den = 1;
      }
    }
    this.newScore = linear ? newWeight / den : Math.log(newWeight / den) - logDen;
  }

  /**
   * The slot of the best cluster for the document just scored, or -1 for a new one; with `u`
   * (uniform in [0, 1)), a slot drawn in proportion to the probabilities instead.
   */
  choose(u?: number): number {
    const values = this.values;
    const span = this.ids.length;
    const linear = this.linear;
    let top = this.newScore;
    let slot = -1;
    for (let s = 0; s < span; s++) {
      if (values[s]! > top) {
        top = values[s]!;
        slot = s;
      }
    }
    if (u === undefined) return slot;
    // Probabilities relative to the best: value / top, or exp(log value - log top).
    const rel = (v: number) => (linear ? (top > 0 ? v / top : 0) : Math.exp(v - top));
    if (!(linear ? top > 0 : top > -Infinity)) return slot;
    let total = rel(this.newScore);
    for (let s = 0; s < span; s++) total += rel(values[s]!);
    let r = u * total - rel(this.newScore);
    if (r < 0) return -1;
    for (let s = 0; s < span; s++) {
      r -= rel(values[s]!);
      if (r < 0) return s;
    }
    return slot;
  }

  /**
   * For the document just scored: the best slot other than `except`, or -1 when a new cluster
   * scores higher than every other slot.
   */
  bestExcept(except: number): number {
    const values = this.values;
    let top = this.newScore;
    let slot = -1;
    for (let s = 0; s < this.ids.length; s++) {
      if (s !== except && values[s]! > top) {
        top = values[s]!;
        slot = s;
      }
    }
    return slot;
  }

  /**
   * Moves every count of slot `from` into slot `to` and frees `from`. Each posting of `from` goes
   * as it is moved: a term listed twice in its term list (an id freed by `dropTerm` and reused) is
   * moved once.
   */
  mergeInto(from: number, to: number): void {
    for (const w of this.slotTerms[from]!) {
      const slots = this.postSlots[w]!;
      const counts = this.postCounts[w]!;
      const j = slots.indexOf(from);
      if (j < 0) continue;
      const amount = counts[j]!;
      const k = slots.indexOf(to);
      if (k >= 0) counts[k]! += amount;
      else if (amount > 0) {
        slots.push(to);
        counts.push(amount);
        this.slotTerms[to]!.push(w);
        this.postings++;
      }
      this.removePosting(w, from);
    }
    this.mass[to]! += this.mass[from]!;
    this.tokens[to]! += this.tokens[from]!;
    this.members[to]! += this.members[from]!;
    this.createdAt[to] = Math.min(this.createdAt[to]!, this.createdAt[from]!);
    this.lastSeenAt[to] = Math.max(this.lastSeenAt[to]!, this.lastSeenAt[from]!);
    this.totalMass += this.mass[from]!;
    this.close(from);
  }

  /** The log score of `slot` (-1: a new cluster) for the document just scored. */
  logOf(slot: number): number {
    const v = slot < 0 ? this.newScore : this.values[slot]!;
    return this.linear ? Math.log(v) : v;
  }

  /** The stored count of term `w` in `slot` (0 when none). */
  countOf(w: number, slot: number): number {
    const slots = this.postSlots[w];
    if (!slots) return 0;
    const j = slots.indexOf(slot);
    return j < 0 ? 0 : this.postCounts[w]![j]!;
  }

  /** Calls `f(slot, stored count)` for every posting of term `w`, in posting order. */
  forEachPosting(w: number, f: (slot: number, count: number) => void): void {
    const slots = this.postSlots[w];
    if (!slots) return;
    const counts = this.postCounts[w]!;
    for (let j = 0; j < slots.length; j++) f(slots[j]!, counts[j]!);
  }

  /** Term ids with postings: the terms below this may have postings. */
  get termSpan(): number {
    return this.postSlots.length;
  }

  /** Postings of term `w`. */
  postingsOf(w: number): number {
    return this.postSlots[w]?.length ?? 0;
  }

  /** Removes every posting of term `w` (taking its counts out of the clusters' token counts). */
  dropTerm(w: number): void {
    const slots = this.postSlots[w];
    if (!slots) return;
    const counts = this.postCounts[w]!;
    for (let j = 0; j < slots.length; j++) {
      const s = slots[j]!;
      this.tokens[s] = Math.max(0, this.tokens[s]! - counts[j]!);
    }
    this.postings -= slots.length;
    slots.length = 0;
    counts.length = 0;
  }

  /**
   * Removes postings whose real count is below `minCount`, rebuilds every slot's term list and
   * recomputes the token and mass totals from the postings, so rounding never accumulates.
   */
  sweep(minCount: number): void {
    const threshold = minCount * this.unit;
    for (let s = 0; s < this.ids.length; s++) if (this.ids[s]! >= 0) this.slotTerms[s] = [];
    const tokens = new Float64Array(this.ids.length);
    for (let w = 0; w < this.postSlots.length; w++) {
      const slots = this.postSlots[w]!;
      const counts = this.postCounts[w]!;
      let kept = 0;
      for (let j = 0; j < slots.length; j++) {
        const s = slots[j]!;
        const c = counts[j]!;
        if (c < threshold || this.ids[s]! < 0) continue;
        slots[kept] = s;
        counts[kept] = c;
        kept++;
        tokens[s]! += c;
        this.slotTerms[s]!.push(w);
      }
      if (kept === slots.length) continue;
      this.postings -= slots.length - kept;
      slots.length = kept;
      counts.length = kept;
    }
    let total = 0;
    for (let s = 0; s < this.ids.length; s++) {
      if (this.ids[s]! < 0) continue;
      this.tokens[s] = tokens[s]!;
      total += this.mass[s]!;
    }
    this.totalMass = total;
  }

  /** Multiplies every stored count by `factor` and the unit with it: real counts do not change. */
  rescale(factor: number): void {
    this.unit *= factor;
    this.totalMass *= factor;
    for (let s = 0; s < this.ids.length; s++) {
      this.mass[s]! *= factor;
      this.tokens[s]! *= factor;
    }
    for (const counts of this.postCounts) for (let j = 0; j < counts.length; j++) counts[j]! *= factor;
  }

  private ensureTerm(w: number): void {
    while (this.postSlots.length <= w) {
      this.postSlots.push([]);
      this.postCounts.push([]);
    }
  }

  private removePosting(w: number, slot: number): void {
    const slots = this.postSlots[w];
    if (!slots) return;
    const j = slots.indexOf(slot);
    if (j < 0) return;
    const counts = this.postCounts[w]!;
    const last = slots.length - 1;
    slots[j] = slots[last]!;
    counts[j] = counts[last]!;
    slots.length = last;
    counts.length = last;
    this.postings--;
  }

  snapshot(): CountsState {
    return {
      unit: this.unit,
      totalMass: this.totalMass,
      ids: [...this.ids],
      mass: [...this.mass],
      tokens: [...this.tokens],
      members: [...this.members],
      createdAt: [...this.createdAt],
      lastSeenAt: [...this.lastSeenAt],
      postings: this.postSlots.map((slots, w) => {
        const counts = this.postCounts[w]!;
        const flat: number[] = [];
        for (let j = 0; j < slots.length; j++) flat.push(slots[j]!, counts[j]!);
        return flat;
      }),
      free: [...this.free],
    };
  }

  restore(s: CountsState): void {
    if (s.ids.length > this.maxClusters) throw new RangeError('cluster counts: more slots than maxClusters');
    this.unit = s.unit;
    this.ids = [...s.ids];
    this.mass = [...s.mass];
    this.tokens = [...s.tokens];
    this.members = [...s.members];
    this.createdAt = [...s.createdAt];
    this.lastSeenAt = [...s.lastSeenAt];
    this.free = [...s.free];
    this.postSlots = [];
    this.postCounts = [];
    this.slotTerms = this.ids.map(() => []);
    this.postings = 0;
    s.postings.forEach((flat, w) => {
      const slots: number[] = [];
      const counts: number[] = [];
      for (let j = 0; j + 1 < flat.length; j += 2) {
        slots.push(flat[j]!);
        counts.push(flat[j + 1]!);
        this.slotTerms[flat[j]!]?.push(w);
      }
      this.postSlots.push(slots);
      this.postCounts.push(counts);
      this.postings += slots.length;
    });
    this.live = this.ids.filter((id) => id >= 0).length;
    this.totalMass = s.totalMass;
  }
}
