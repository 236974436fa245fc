/**
 * Streaming topic clusters: a Dirichlet-process mixture of multinomials over short documents, one
 * document at a time (MStream and MStreamF: Yin, Chao, Liu & Wang, KDD 2018; the model of GSDMM:
 * Yin & Wang, KDD 2014). A document joins the cluster most likely to have written it, or starts a
 * new one, so the number of topics follows the stream.
 *
 * One pass alone decides on little evidence early in a topic's life, so every `batchSize`
 * documents the latest batch gets `batchPasses` Gibbs passes (MStream's per-batch iterations), with
 * the older clusters as they are. Counts decay with a half-life and clusters without documents for
 * `forgetMs` are dropped (MStreamF's forgetting), so fading topics release memory; every part of
 * the state has a cap. When the share of documents that start new clusters jumps (drift), the
 * reservoir of recent documents is re-clustered, and the clusters that come out keep the ids of
 * the ones they hold the documents of.
 *
 * Pure and deterministic: a seeded Random, event time only, fixed iteration orders.
 */
import { Random } from '../stats/index.js';
import { ClusterCounts, type CountsState, type DocTerms } from './counts.js';
import { DEFAULT_DMM_OPTIONS, dmmOptions, type DmmOptions } from './dmm-options.js';
import { DriftDetector, type DriftState } from './drift.js';
import { distinctiveTerms } from './labels.js';
import { MAX_TEXT_TERMS } from './terms.js';
import type {
  Reassignment,
  ReassigningClusterer,
  TopicAssignment,
  TopicEvent,
  TopicSummary,
} from './types.js';
import { Vocabulary, type VocabularyState } from './vocabulary.js';

export { DEFAULT_DMM_OPTIONS, type DmmOptions };

const SNAPSHOT_VERSION = 1;
/** Documents between sweeps of decayed postings and unused terms. */
const SWEEP_EVERY = 1024;
/** Renormalize the stored units before they grow past this. */
const MAX_UNIT = 1e12;
/** Undrained events and reassignments kept at most (oldest dropped): a caller that never drains stays bounded. */
const MAX_PENDING_EVENTS = 10_000;
/** Share of the vocabulary evicted at once when it is full of terms in use (amortizes the sort). */
const EVICT_SHARE = 0.25;
/** Pending id for clusters opened while re-clustering, until they are matched. */
const PENDING_ID = 0;

/** A document kept in the reservoir. */
interface Retained extends DocTerms {
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
type RetainedState = [number, number, number, number, number, number[]];

interface DmmState {
  v: number;
  rng: number;
  vocabulary: VocabularyState;
  counts: CountsState;
  reservoir: RetainedState[];
  nextId: number;
  seq: number;
  now: number;
  started: boolean;
  globalTokens: number;
  sinceBatch: number;
  sinceSweep: number;
  nextExpiry: number | null;
  vocabularyFull: boolean;
  drift: DriftState;
  events: TopicEvent[];
  reassigned: [number, number][];
}

export class StreamingDmm implements ReassigningClusterer {
  readonly options: DmmOptions;
  private rng: Random;
  private vocabulary: Vocabulary;
  private counts: ClusterCounts;
  private drift: DriftDetector;
  /** Ring buffer of the latest documents, oldest at `head`. */
  private reservoir: (Retained | undefined)[];
  private head = 0;
  private retained = 0;
  private nextId = 1;
  private seq = 0;
  private now = 0;
  private started = false;
  /** Stored total of the vocabulary's counts (the stream's token mass, decayed). */
  private globalTokens = 0;
  private sinceBatch = 0;
  private sinceSweep = 0;
  /** Event time at which the stalest cluster expires; null when unknown (recomputed on the next check). */
  private nextExpiry: number | null = null;
  private vocabularyFull = false;
  private events: TopicEvent[] = [];
  private reassigned = new Map<number, number>();
  /** Scratch: position of a term id in the document being built, plus one. */
  private mark = new Int32Array(0);

  /** Growth of the unit per document: 2^(1 / halfLifeDocs). */
  private readonly docFactor: number;

  /** Throws a RangeError naming the first bad option. */
  constructor(options: Partial<DmmOptions> = {}) {
    this.options = dmmOptions(options);
    this.docFactor = Math.pow(2, 1 / this.options.halfLifeDocs);
    this.rng = new Random(this.options.seed);
    this.vocabulary = new Vocabulary(this.options.maxVocabulary);
    this.counts = new ClusterCounts(this.options.maxClusters);
    this.drift = this.newDrift();
    this.reservoir = new Array<Retained | undefined>(this.options.reservoirSize).fill(undefined);
  }

  get clusterCount(): number {
    return this.counts.live;
  }

  /** Distinct terms held (at most maxVocabulary). */
  get vocabularySize(): number {
    return this.vocabulary.size;
  }

  /** Documents held in the reservoir (at most reservoirSize). */
  get retainedCount(): number {
    return this.retained;
  }

  /**
   * Numbers and term characters held: postings (2 each), cluster fields (8 per slot), vocabulary
   * (4 per id plus the characters), retained documents (2 per distinct term plus 6), pending
   * events and reassignments. Bounded through maxClusters, maxVocabulary and reservoirSize.
   */
  get stateSize(): number {
    let retainedTerms = 0;
    this.forEachRetained((d) => (retainedTerms += d.ids.length));
    return (
      2 * this.counts.postings +
      8 * this.counts.span +
      4 * this.vocabulary.span +
      this.vocabulary.characters +
      2 * retainedTerms +
      6 * this.retained +
      3 * this.events.length +
      2 * this.reassigned.size
    );
  }

  /** null when no term is usable: none given (or, the vocabulary full, none it can hold). */
  add(terms: readonly string[], ts: number): TopicAssignment | null {
    // A term was left out for want of room: make room first (each such sweep frees a quarter).
    if (this.vocabularyFull) this.sweep();
    const doc = this.documentOf(terms);
    if (doc === undefined) return null;
    const at = this.advance(ts);
    this.ageByOneDocument();
    this.expire();

    const { beta } = this.options;
    this.counts.score(doc, this.newWeight(), beta, this.vocabulary.size);
    let slot = this.best();
    const created = slot < 0;
    // Log-likelihood per token under the chosen cluster: its score without the prior.
    const prior = created ? this.newWeight() : this.counts.mass[slot]! / this.counts.unit;
    const fit = (this.counts.logOf(slot) - Math.log(prior)) / doc.length;
    if (created) slot = this.openCluster(at);
    const weight = this.counts.unit;
    this.counts.add(doc, slot, weight);
    this.counts.lastSeenAt[slot] = Math.max(this.counts.lastSeenAt[slot]!, at);
    this.updateExpiry(this.counts.lastSeenAt[slot]!);
    for (let k = 0; k < doc.ids.length; k++) {
      const amount = weight * doc.counts[k]!;
      this.vocabulary.counts[doc.ids[k]!]! += amount;
      this.globalTokens += amount;
    }
    const id = this.counts.ids[slot]!;
    this.retain({
      ids: doc.ids,
      counts: doc.counts,
      length: doc.length,
      seq: this.seq++,
      ts: at,
      weight,
      slot,
      reported: id,
    });

    if (this.drift.observe(created, fit)) this.recluster(at);
    else if (++this.sinceBatch >= this.options.batchSize) {
      this.sinceBatch = 0;
      this.batchPasses(at);
    }
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
    return { id, created };
  }

  summaries(top = 10): TopicSummary[] {
    const n = Number.isFinite(top) ? Math.max(0, Math.floor(top)) : 10;
    const { counts } = this;
    const seen = new Uint8Array(this.vocabulary.span);
    const out: TopicSummary[] = [];
    const invUnit = 1 / counts.unit;
    for (let s = 0; s < counts.span; s++) {
      if (counts.ids[s]! < 0) continue;
      out.push({
        id: counts.ids[s]!,
        docs: counts.mass[s]! * invUnit,
        terms: distinctiveTerms(counts, this.vocabulary, s, n, this.globalTokens, seen),
        createdAt: counts.createdAt[s]!,
        lastSeenAt: counts.lastSeenAt[s]!,
      });
    }
    return out.sort((a, b) => a.id - b.id);
  }

  drainEvents(): TopicEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  drainReassignments(): Reassignment[] {
    const out: Reassignment[] = [];
    for (const [seq, id] of this.reassigned) out.push({ seq, id });
    this.reassigned.clear();
    return out;
  }

  // ---- one document --------------------------------------------------------------------------

  /** Distinct term ids and counts; undefined when no term is usable. */
  private documentOf(terms: readonly string[]): DocTerms | undefined {
    if (!Array.isArray(terms) || terms.length === 0) return undefined;
    const ids: number[] = [];
    const counts: number[] = [];
    let length = 0;
    for (let i = 0; i < terms.length && length < MAX_TEXT_TERMS; i++) {
      const term = terms[i];
      if (typeof term !== 'string' || term.length === 0) continue;
      const id = this.vocabulary.intern(term);
      if (id === undefined) {
        this.vocabularyFull = true;
        continue;
      }
      if (id >= this.mark.length) this.growMark(id);
      const at = this.mark[id]!;
      if (at > 0) counts[at - 1]!++;
      else {
        ids.push(id);
        counts.push(1);
        this.mark[id] = ids.length;
      }
      length++;
    }
    for (const id of ids) this.mark[id] = 0;
    if (length === 0) return undefined;
    return { ids, counts, length };
  }

  private growMark(id: number): void {
    const next = new Int32Array(Math.max(id + 1, this.mark.length * 2, 1024));
    next.set(this.mark);
    this.mark = next;
  }

  /** Moves "now" to the latest event time seen; returns the time to stamp the document with. */
  private advance(ts: number): number {
    if (!Number.isFinite(ts)) return this.now;
    if (!this.started) {
      this.started = true;
      this.now = ts;
      return ts;
    }
    if (ts > this.now) {
      // A jump of more than ~40 half-lives decays the old counts by 1e12 rather than to nothing.
      const factor = Math.min(MAX_UNIT, Math.pow(2, (ts - this.now) / this.options.halfLifeMs));
      this.now = ts;
      if (this.counts.unit * factor > MAX_UNIT) this.renormalize();
      this.counts.unit *= factor;
    }
    return Math.min(ts, this.now);
  }

  /** Counts also decay per document (MStreamF forgets by batches): the next document weighs more. */
  private ageByOneDocument(): void {
    const factor = this.docFactor;
    if (this.counts.unit * factor > MAX_UNIT) this.renormalize();
    this.counts.unit *= factor;
  }

  /** The most likely cluster for the document just scored (-1: a new one), or one sampled by the probabilities. */
  private best(sample = false): number {
    return this.counts.choose(sample ? this.rng.next() : undefined);
  }

  /**
   * The weight of a new cluster, αD: MStream's D is the number of documents of the current batch,
   * here the batch size (fewer while the stream is younger than a batch).
   */
  private newWeight(): number {
    return this.options.alpha * this.options.batchSize;
  }

  /** A slot for a new cluster, dropping the smallest when full. */
  private openCluster(at: number, id: number = this.nextId++): number {
    if (this.counts.live >= this.options.maxClusters) this.dropSmallest(at);
    const slot = this.counts.open(id, at);
    if (id !== PENDING_ID) this.emit({ type: 'created', id, at });
    return slot;
  }

  private dropSmallest(at: number): void {
    const { counts } = this;
    let victim = -1;
    for (let s = 0; s < counts.span; s++) {
      if (counts.ids[s]! < 0) continue;
      if (
        victim < 0 ||
        counts.mass[s]! < counts.mass[victim]! ||
        (counts.mass[s] === counts.mass[victim] && counts.lastSeenAt[s]! < counts.lastSeenAt[victim]!)
      )
        victim = s;
    }
    if (victim >= 0) this.forget(victim, at);
  }

  /** Drops a cluster: its counts go, its retained documents stay without a cluster. */
  private forget(slot: number, at: number): void {
    const id = this.counts.ids[slot]!;
    this.counts.close(slot);
    this.forEachRetained((d) => {
      if (d.slot === slot) d.slot = -1;
    });
    if (id !== PENDING_ID) this.emit({ type: 'forgotten', id, at });
  }

  /** Drops every cluster whose latest document is older than forgetMs. */
  private expire(): void {
    if (this.nextExpiry !== null && this.now <= this.nextExpiry) return;
    const { counts } = this;
    const limit = this.now - this.options.forgetMs;
    let stalest = Infinity;
    for (let s = 0; s < counts.span; s++) {
      if (counts.ids[s]! < 0) continue;
      if (counts.lastSeenAt[s]! < limit) this.forget(s, this.now);
      else stalest = Math.min(stalest, counts.lastSeenAt[s]!);
    }
    this.nextExpiry = Number.isFinite(stalest) ? stalest + this.options.forgetMs : null;
  }

  private updateExpiry(lastSeen: number): void {
    const expiry = lastSeen + this.options.forgetMs;
    if (this.nextExpiry === null || expiry < this.nextExpiry) this.nextExpiry = expiry;
  }

  private retain(doc: Retained): void {
    const size = this.options.reservoirSize;
    if (this.retained === size) this.release(1);
    this.reservoir[(this.head + this.retained) % size] = doc;
    this.retained++;
    for (const id of doc.ids) this.vocabulary.refs[id]!++;
  }

  /** The i-th retained document, oldest first. */
  private retainedAt(i: number): Retained {
    return this.reservoir[(this.head + i) % this.options.reservoirSize]!;
  }

  private forEachRetained(f: (d: Retained) => void): void {
    for (let i = 0; i < this.retained; i++) f(this.retainedAt(i));
  }

  // ---- passes --------------------------------------------------------------------------------

  /** Gibbs passes over the latest batch, then reports the documents that moved. */
  private batchPasses(at: number): void {
    const { batchPasses, batchSize, sample } = this.options;
    if (batchPasses === 0) return;
    const from = Math.max(0, this.retained - batchSize);
    for (let p = 0; p < batchPasses; p++)
      for (let i = from; i < this.retained; i++) this.reassign(this.retainedAt(i), at, sample);
    this.report(from);
  }

  /**
   * Takes a document out of its cluster and puts it where the model (with every other document)
   * says now. A cluster it leaves empty is dropped, unless the document would start a new cluster:
   * then it stays where it is, under the same id.
   */
  private reassign(d: Retained, at: number, sample: boolean, pending = false): void {
    if (d.slot < 0) return;
    const { counts } = this;
    const from = d.slot;
    counts.remove(d, from, d.weight);
    const vacated = counts.members[from] === 0;
    counts.score(d, this.newWeight(), this.options.beta, this.vocabulary.size);
    let to = this.best(sample);
    if (to < 0) {
      if (vacated) to = from;
      else if (counts.live < this.options.maxClusters)
        to = this.openCluster(at, pending ? PENDING_ID : undefined);
      else to = from;
    }
    if (vacated && to !== from) {
      const id = counts.ids[from]!;
      counts.close(from);
      if (id !== PENDING_ID && !pending) this.emit({ type: 'forgotten', id, at });
    }
    counts.add(d, to, d.weight);
    counts.lastSeenAt[to] = Math.max(counts.lastSeenAt[to]!, d.ts);
    d.slot = to;
  }

  /** Logs the retained documents from position `from` on whose cluster id changed since last reported. */
  private report(from: number): void {
    for (let i = from; i < this.retained; i++) {
      const d = this.retainedAt(i);
      if (d.slot < 0) continue;
      const id = this.counts.ids[d.slot]!;
      if (id === d.reported) continue;
      d.reported = id;
      if (!this.options.trackReassignments) continue;
      this.reassigned.delete(d.seq);
      this.reassigned.set(d.seq, id);
      if (this.reassigned.size > MAX_PENDING_EVENTS) {
        const oldest = this.reassigned.keys().next().value as number;
        this.reassigned.delete(oldest);
      }
    }
  }

  /**
   * Re-clusters the reservoir: its documents leave their clusters (clusters holding older
   * documents stay, with those), are assigned again one by one and get `reclusterPasses` Gibbs
   * passes. A cluster made of retained documents only is thereby emptied; each new cluster takes
   * the id of the emptied cluster it shares the most documents with (greedily, largest overlap
   * first), the rest get new ids, and emptied clusters left over are removed.
   */
  private recluster(at: number): void {
    const { counts } = this;
    const docs: Retained[] = [];
    this.forEachRetained((d) => {
      if (d.slot >= 0) docs.push(d);
    });
    const before: number[] = [];
    for (let s = 0; s < counts.span; s++) if (counts.ids[s]! >= 0) before.push(counts.ids[s]!);
    const oldSlot = docs.map((d) => d.slot);
    for (const d of docs) counts.remove(d, d.slot, d.weight);
    // Emptied clusters are out of the scoring (no members) but keep their slots until matched.
    const vacated = new Map<number, { id: number; createdAt: number }>();
    for (const s of oldSlot)
      if (counts.members[s] === 0 && !vacated.has(s))
        vacated.set(s, { id: counts.ids[s]!, createdAt: counts.createdAt[s]! });
    const removed: number[] = [];
    const room = (): boolean => {
      if (counts.live < this.options.maxClusters) return true;
      // Full: an emptied cluster gives up its slot (and its id) for the new ones.
      for (const [slot, v] of vacated) {
        if (counts.ids[slot] !== v.id || counts.members[slot] !== 0) continue;
        counts.close(slot);
        vacated.delete(slot);
        removed.push(v.id);
        return true;
      }
      return false;
    };
    for (const d of docs) {
      counts.score(d, this.newWeight(), this.options.beta, this.vocabulary.size);
      let to = this.best();
      if (to < 0) to = room() ? counts.open(PENDING_ID, d.ts) : this.largest();
      if (to < 0) to = counts.open(PENDING_ID, d.ts);
      counts.add(d, to, d.weight);
      counts.lastSeenAt[to] = Math.max(counts.lastSeenAt[to]!, d.ts);
      d.slot = to;
    }
    for (let p = 0; p < this.options.reclusterPasses; p++)
      for (const d of docs) this.reassign(d, at, this.options.sample, true);

    // Match the pending clusters to the emptied ones by shared documents, largest overlap first.
    const overlap = new Map<string, { slot: number; old: number; n: number }>();
    docs.forEach((d, i) => {
      const old = oldSlot[i]!;
      if (counts.ids[d.slot] !== PENDING_ID || !vacated.has(old)) return;
      const key = `${d.slot}:${old}`;
      const pair = overlap.get(key);
      if (pair) pair.n++;
      else overlap.set(key, { slot: d.slot, old, n: 1 });
    });
    const pairs = [...overlap.values()].sort(
      (a, b) => b.n - a.n || vacated.get(a.old)!.id - vacated.get(b.old)!.id || a.slot - b.slot,
    );
    const matched = new Set<number>();
    for (const { slot, old } of pairs) {
      if (counts.ids[slot] !== PENDING_ID || matched.has(old)) continue;
      matched.add(old);
      const v = vacated.get(old)!;
      counts.ids[slot] = v.id;
      counts.createdAt[slot] = v.createdAt;
    }
    const created: number[] = [];
    for (let s = 0; s < counts.span; s++) {
      if (counts.ids[s] !== PENDING_ID) continue;
      if (counts.members[s]! > 0) {
        counts.ids[s] = this.nextId++;
        created.push(counts.ids[s]!);
      } else counts.close(s);
    }
    for (const [slot, v] of vacated) {
      if (!matched.has(slot)) removed.push(v.id);
      // A matched cluster lives on in its new slot; the emptied slot goes either way.
      if (counts.ids[slot] === v.id && counts.members[slot] === 0) counts.close(slot);
    }
    const gone = new Set(removed);
    this.nextExpiry = null;
    this.emit({
      type: 'reclustered',
      at,
      kept: before.filter((id) => !gone.has(id)).sort((a, b) => a - b),
      created,
      removed: removed.sort((a, b) => a - b),
    });
    this.sinceBatch = 0;
    this.report(0);
  }

  /** The live slot with the most mass (where a document goes when no cluster can be opened). */
  private largest(): number {
    const { counts } = this;
    let best = -1;
    for (let s = 0; s < counts.span; s++)
      if (counts.ids[s]! >= 0 && counts.members[s]! > 0 && (best < 0 || counts.mass[s]! > counts.mass[best]!))
        best = s;
    return best;
  }

  // ---- upkeep --------------------------------------------------------------------------------

  /**
   * Drops postings decayed below a tenth of β (they no longer change a score by more than a
   * tenth), terms no cluster and no retained document holds, and, when the vocabulary is still
   * nearly full, the rarest quarter of the terms no retained document holds.
   */
  private sweep(): void {
    this.sinceSweep = 0;
    const { counts, vocabulary } = this;
    counts.sweep(this.options.beta / 10);
    for (let w = 0; w < vocabulary.span; w++) {
      if (vocabulary.nameOf(w) === undefined) continue;
      if (counts.postingsOf(w) === 0 && vocabulary.refs[w] === 0) this.evictTerm(w);
    }
    if (this.vocabularyFull && vocabulary.size >= vocabulary.capacity * (1 - EVICT_SHARE / 2)) {
      const wanted = Math.ceil(vocabulary.capacity * EVICT_SHARE);
      let candidates = this.unretainedTerms();
      // Retained documents hold nearly every term (long posts, a small vocabulary): the oldest half
      // of the reservoir gives way, or no new term could ever get in.
      if (candidates.length < wanted && this.retained > 0) {
        this.release(Math.ceil(this.retained / 2));
        candidates = this.unretainedTerms();
      }
      const n = Math.min(candidates.length, wanted);
      if (n > 0) {
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
          if (c < limit || (c === limit && atLimit-- > 0)) this.evictTerm(w);
        }
      }
    }
    this.vocabularyFull = false;
  }

  private unretainedTerms(): number[] {
    const { vocabulary } = this;
    const out: number[] = [];
    for (let w = 0; w < vocabulary.span; w++)
      if (vocabulary.nameOf(w) !== undefined && vocabulary.refs[w] === 0) out.push(w);
    return out;
  }

  /** Lets the `n` oldest retained documents go (their clusters keep their counts). */
  private release(n: number): void {
    const size = this.options.reservoirSize;
    for (let i = 0; i < n && this.retained > 0; i++) {
      const old = this.reservoir[this.head]!;
      for (const id of old.ids) this.vocabulary.refs[id]!--;
      this.reservoir[this.head] = undefined;
      this.head = (this.head + 1) % size;
      this.retained--;
    }
  }

  private evictTerm(w: number): void {
    this.globalTokens = Math.max(0, this.globalTokens - (this.vocabulary.counts[w] ?? 0));
    this.counts.dropTerm(w);
    this.vocabulary.evict(w);
  }

  /** Divides every stored count by the unit: real counts stay, the numbers stay in range. */
  private renormalize(): void {
    const factor = 1 / this.counts.unit;
    this.counts.rescale(factor);
    this.vocabulary.rescale(factor);
    this.globalTokens *= factor;
    this.forEachRetained((d) => (d.weight *= factor));
  }

  private emit(e: TopicEvent): void {
    this.events.push(e);
    if (this.events.length > MAX_PENDING_EVENTS)
      this.events.splice(0, this.events.length - MAX_PENDING_EVENTS);
  }

  private newDrift(): DriftDetector {
    const o = this.options;
    return new DriftDetector(o.driftWindow, Math.max(o.reservoirSize, o.driftWindow), o.driftThreshold);
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  snapshot(): unknown {
    const reservoir: RetainedState[] = [];
    this.forEachRetained((d) =>
      reservoir.push([
        d.seq,
        d.ts,
        d.weight,
        d.slot,
        d.reported,
        d.ids.flatMap((id, k) => [id, d.counts[k]!]),
      ]),
    );
    const state: DmmState = {
      v: SNAPSHOT_VERSION,
      rng: this.rng.snapshot(),
      vocabulary: this.vocabulary.snapshot(),
      counts: this.counts.snapshot(),
      reservoir,
      nextId: this.nextId,
      seq: this.seq,
      now: this.now,
      started: this.started,
      globalTokens: this.globalTokens,
      sinceBatch: this.sinceBatch,
      sinceSweep: this.sinceSweep,
      nextExpiry: this.nextExpiry,
      vocabularyFull: this.vocabularyFull,
      drift: this.drift.snapshot(),
      events: JSON.parse(JSON.stringify(this.events)) as TopicEvent[],
      reassigned: [...this.reassigned],
    };
    return state;
  }

  /** undefined (or null): empty. A snapshot of another version or shape is refused with a RangeError. */
  restore(state: unknown): void {
    this.rng = new Random(this.options.seed);
    this.vocabulary = new Vocabulary(this.options.maxVocabulary);
    this.counts = new ClusterCounts(this.options.maxClusters);
    this.drift = this.newDrift();
    this.reservoir.fill(undefined);
    this.head = 0;
    this.retained = 0;
    this.nextId = 1;
    this.seq = 0;
    this.now = 0;
    this.started = false;
    this.globalTokens = 0;
    this.sinceBatch = 0;
    this.sinceSweep = 0;
    this.nextExpiry = null;
    this.vocabularyFull = false;
    this.events = [];
    this.reassigned = new Map();
    if (state === undefined || state === null) return;
    const s = state as Partial<DmmState>;
    if (s.v !== SNAPSHOT_VERSION || !Array.isArray(s.reservoir) || !s.counts || !s.vocabulary || !s.drift)
      throw new RangeError(`streaming dmm: not a version ${SNAPSHOT_VERSION} snapshot`);
    if (s.reservoir.length > this.options.reservoirSize)
      throw new RangeError('streaming dmm: the snapshot holds more documents than reservoirSize');
    this.rng.restore(s.rng ?? this.options.seed);
    this.vocabulary.restore(s.vocabulary);
    this.counts.restore(s.counts);
    for (const [seq, ts, weight, slot, reported, flat] of s.reservoir) {
      const ids: number[] = [];
      const counts: number[] = [];
      let length = 0;
      for (let j = 0; j + 1 < flat.length; j += 2) {
        ids.push(flat[j]!);
        counts.push(flat[j + 1]!);
        length += flat[j + 1]!;
      }
      this.reservoir[this.retained++] = { ids, counts, length, seq, ts, weight, slot, reported };
    }
    this.nextId = s.nextId ?? 1;
    this.seq = s.seq ?? 0;
    this.now = s.now ?? 0;
    this.started = s.started ?? false;
    this.globalTokens = s.globalTokens ?? 0;
    this.sinceBatch = s.sinceBatch ?? 0;
    this.sinceSweep = s.sinceSweep ?? 0;
    this.nextExpiry = s.nextExpiry ?? null;
    this.vocabularyFull = s.vocabularyFull ?? false;
    this.drift.restore(s.drift);
    this.events = JSON.parse(JSON.stringify(s.events ?? [])) as TopicEvent[];
    this.reassigned = new Map(s.reassigned ?? []);
  }
}
