/**
 * The terms a clusterer knows, as small integer ids: the DMM counts by id, never by string. Each
 * term has a global (decayed) count, for labels and for choosing what to evict, and a count of the
 * retained documents that hold it: a term a retained document holds is never evicted, so a
 * document's ids always name the terms it was added with. Ids of evicted terms are reused.
 */

/** A term longer than this is cut: term strings are state, and state is bounded. */
export const MAX_TERM_LENGTH = 64;

export interface VocabularyState {
  /** By id; null for a free id. */
  terms: (string | null)[];
  counts: number[];
  refs: number[];
  free: number[];
  /** By id: the readable form when it differs from the term (labels), and its vote count; absent in older snapshots. */
  surfaces?: (string | null)[];
  votes?: number[];
}

export class Vocabulary {
  private readonly ids = new Map<string, number>();
  /** By id; undefined for a free id. */
  private readonly names: (string | undefined)[] = [];
  /** By id: the term's readable form (the word it is mostly written as) when it differs from the term. */
  private readonly surfaces: (string | undefined)[] = [];
  /** By id: the majority vote's count for the readable form. */
  private votes: number[] = [];
  /** Global count in the DMM's stored units (see ClusterCounts.unit). */
  counts: number[] = [];
  /** Retained documents (the reservoir) holding the term. */
  refs: number[] = [];
  private free: number[] = [];
  private chars = 0;

  constructor(readonly capacity: number) {}

  /** Live terms. */
  get size(): number {
    return this.ids.size;
  }

  /** Characters of the live terms' strings: part of the state size. */
  get characters(): number {
    return this.chars;
  }

  /** The id slots in use or free (the length of the per-id arrays). */
  get span(): number {
    return this.names.length;
  }

  idOf(term: string): number | undefined {
    return this.ids.get(term);
  }

  nameOf(id: number): string | undefined {
    return this.names[id];
  }

  /** The readable form of a term for labels (the word a stem is mostly written as), else the term. */
  labelOf(id: number): string | undefined {
    return this.surfaces[id] ?? this.names[id];
  }

  /**
   * One sighting of term `id` written as `word`: the readable form is the word seen most often
   * (Boyer and Moore's majority vote: one candidate and a count per term).
   */
  vote(id: number, word: string): void {
    const name = this.names[id];
    if (name === undefined) return;
    const current = this.surfaces[id] ?? name;
    if (word === current) {
      this.votes[id]!++;
      return;
    }
    if (--this.votes[id]! >= 0) return;
    const next = word === name ? undefined : word.slice(0, MAX_TERM_LENGTH);
    this.chars += (next?.length ?? 0) - (this.surfaces[id]?.length ?? 0);
    this.surfaces[id] = next;
    this.votes[id] = 1;
  }

  /** The id of `term`, added when new; undefined when the vocabulary is full. */
  intern(term: string): number | undefined {
    const name = term.length > MAX_TERM_LENGTH ? term.slice(0, MAX_TERM_LENGTH) : term;
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    if (this.ids.size >= this.capacity) return undefined;
    let id = this.free.pop();
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.surfaces.push(undefined);
      this.votes.push(0);
      this.counts.push(0);
      this.refs.push(0);
    } else {
      this.names[id] = name;
      this.surfaces[id] = undefined;
      this.votes[id] = 0;
      this.counts[id] = 0;
      this.refs[id] = 0;
    }
    this.ids.set(name, id);
    this.chars += name.length;
    return id;
  }

  /** Forgets a term; its id becomes free. The caller has removed its counts everywhere else. */
  evict(id: number): void {
    const name = this.names[id];
    if (name === undefined) return;
    this.ids.delete(name);
    this.names[id] = undefined;
    this.chars -= this.surfaces[id]?.length ?? 0;
    this.surfaces[id] = undefined;
    this.votes[id] = 0;
    this.counts[id] = 0;
    this.refs[id] = 0;
    this.chars -= name.length;
    this.free.push(id);
  }

  /** Multiplies every count by `factor` (the DMM's renormalization of its stored units). */
  rescale(factor: number): void {
    const c = this.counts;
    for (let i = 0; i < c.length; i++) c[i]! *= factor;
  }

  snapshot(): VocabularyState {
    return {
      terms: this.names.map((n) => n ?? null),
      counts: [...this.counts],
      refs: [...this.refs],
      free: [...this.free],
      surfaces: this.names.map((_, id) => this.surfaces[id] ?? null),
      votes: [...this.votes],
    };
  }

  restore(s: VocabularyState): void {
    this.ids.clear();
    this.names.length = 0;
    this.surfaces.length = 0;
    this.chars = 0;
    s.terms.forEach((t, id) => {
      this.names.push(t ?? undefined);
      const surface = t === null ? undefined : (s.surfaces?.[id] ?? undefined);
      this.surfaces.push(surface);
      if (t !== null) {
        this.ids.set(t, id);
        this.chars += t.length + (surface?.length ?? 0);
      }
    });
    this.counts = [...s.counts];
    this.refs = [...s.refs];
    this.free = [...s.free];
    this.votes = s.terms.map((_, id) => s.votes?.[id] ?? 0);
  }
}
