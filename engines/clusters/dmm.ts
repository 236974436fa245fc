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
import { keyTermMerges } from './keyterms.js';
import { distinctiveTerms } from './labels.js';
import { PENDING_ID, reclusterReservoir } from './recluster.js';
import { Reservoir, type Retained, type RetainedState } from './reservoir.js';
import { splitOff } from './split.js';
import { MAX_TEXT_TERMS, surfacesOf } from './terms.js';
import type {
  Reassignment,
  ReassigningClusterer,
  TopicAssignment,
  TopicEvent,
  TopicSummary,
} from './types.js';
import { sweep } from './upkeep.js';
import { Vocabulary, type VocabularyState } from './vocabulary.js';

export { DEFAULT_DMM_OPTIONS, type DmmOptions };

const SNAPSHOT_VERSION = 1;
/** Documents between sweeps of decayed postings and unused terms. */
const SWEEP_EVERY = 1024;
/** Renormalize the stored units before they grow past this. */
const MAX_UNIT = 1e12;
/** Undrained events and reassignments kept at most (oldest dropped): a caller that never drains stays bounded. */
const MAX_PENDING_EVENTS = 10_000;

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
  private reservoir: Reservoir;
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
    this.reservoir = new Reservoir(this.options.reservoirSize, this.vocabulary);
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
    return this.reservoir.size;
  }

  /**
   * Numbers and term characters held: postings (2 each), cluster fields (8 per slot), vocabulary
   * (5 per id plus the characters of terms and their readable forms), retained documents (2 per distinct term plus 6), pending
   * events and reassignments. Bounded through maxClusters, maxVocabulary and reservoirSize.
   */
  get stateSize(): number {
    return (
      2 * this.counts.postings +
      8 * this.counts.span +
      5 * this.vocabulary.span +
      this.vocabulary.characters +
      2 * this.reservoir.terms +
      6 * this.reservoir.size +
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
    this.reservoir.push({
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
    // The words the terms were read from (a topicTerms answer): they name the terms in labels.
    const words = surfacesOf(terms);
    for (let i = 0; i < terms.length && length < MAX_TEXT_TERMS; i++) {
      const term = terms[i];
      if (typeof term !== 'string' || term.length === 0) continue;
      const id = this.vocabulary.intern(term);
      if (id === undefined) {
        this.vocabularyFull = true;
        continue;
      }
      if (words !== undefined && words[i] !== undefined) this.vocabulary.vote(id, words[i]!);
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
    this.reservoir.forEach((d) => {
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

  // ---- passes --------------------------------------------------------------------------------

  /** Gibbs passes over the latest batch, then reports the documents that moved. */
  private batchPasses(at: number): void {
    const { batchPasses, batchSize, sample } = this.options;
    if (batchPasses === 0) return;
    const from = Math.max(0, this.reservoir.size - batchSize);
    for (let p = 0; p < batchPasses; p++)
      for (let i = from; i < this.reservoir.size; i++) this.reassign(this.reservoir.at(i), at, sample);
    const merged = this.mergeClusters(from, at);
    const split = this.splitClusters(from, at);
    const byTerm = this.mergeByKeyTerms(at);
    this.report(merged || split || byTerm ? 0 : from);
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

  /** The clusters (slots) of the reservoir's documents from position `from` on: the latest batch's. */
  private slotsSince(from: number): Set<number> {
    const slots = new Set<number>();
    for (let i = from; i < this.reservoir.size; i++) {
      const s = this.reservoir.at(i).slot;
      if (s >= 0) slots.add(s);
    }
    return slots;
  }

  /**
   * Merges a cluster of the latest batch into another when its retained documents would, without
   * it, mostly join that same other cluster rather than start one: the cluster only exists because
   * it was started before the other could take its documents. True when any merged.
   */
  private mergeClusters(from: number, at: number): boolean {
    const share = this.options.mergeShare;
    if (!(share <= 1)) return false;
    const { counts } = this;
    const batchSlots = this.slotsSince(from);
    // The retained documents of each cluster, in one sweep of the reservoir.
    const held = new Map<number, Retained[]>();
    this.reservoir.forEach((d) => {
      if (d.slot < 0) return;
      const list = held.get(d.slot);
      if (list) list.push(d);
      else held.set(d.slot, [d]);
    });
    let merged = false;
    for (const a of [...batchSlots].sort((x, y) => x - y)) {
      if (counts.ids[a]! < 0) continue;
      const docs = held.get(a) ?? [];
      if (docs.length < 2 || docs.length < counts.members[a]! * share) continue;
      const votes = new Map<number, number>();
      let target = -1;
      let top = 0;
      for (const d of docs) {
        counts.remove(d, a, d.weight);
        counts.score(d, this.newWeight(), this.options.beta, this.vocabulary.size);
        const b = counts.bestExcept(a);
        counts.add(d, a, d.weight);
        if (b < 0) continue;
        const n = (votes.get(b) ?? 0) + 1;
        votes.set(b, n);
        if (n > top) {
          top = n;
          target = b;
        }
      }
      if (target < 0 || top < docs.length * share || counts.mass[target]! < counts.mass[a]!) continue;
      const others = held.get(target) ?? [];
      if (!this.wouldJoin(others, target, a, share)) continue;
      const id = counts.ids[a]!;
      counts.mergeInto(a, target);
      for (const d of docs) d.slot = target;
      others.push(...docs);
      held.delete(a);
      this.emit({ type: 'forgotten', id, at });
      merged = true;
    }
    return merged;
  }

  /**
   * Splits the clusters of the latest batch whose documents of the latest two batches are better
   * off apart from the rest (split.ts): those documents go to a new cluster (event `created`), the
   * cluster keeps its id. True when any split.
   */
  private splitClusters(from: number, at: number): boolean {
    const { splitPasses, splitMinDocs, maxClusters, beta } = this.options;
    if (splitPasses === 0) return false;
    const { counts } = this;
    const batchSlots = this.slotsSince(from);
    const held = new Map<number, Retained[]>();
    // The documents of the latest two batches: what has just come in, against the rest.
    const window = 2 * this.options.batchSize;
    for (let i = Math.max(0, this.reservoir.size - window); i < this.reservoir.size; i++) {
      const d = this.reservoir.at(i);
      if (!batchSlots.has(d.slot)) continue;
      const list = held.get(d.slot);
      if (list) list.push(d);
      else held.set(d.slot, [d]);
    }
    let split = false;
    for (const a of [...batchSlots].sort((x, y) => x - y)) {
      if (counts.live >= maxClusters) break;
      const docs = held.get(a) ?? [];
      if (counts.ids[a]! < 0 || docs.length < splitMinDocs) continue;
      const out = splitOff(counts, a, docs, {
        beta,
        vocabularySize: this.vocabulary.size,
        newWeight: this.newWeight(),
        passes: splitPasses,
        keyTermShare: this.options.keyTermShare,
      });
      if (out === undefined) continue;
      const b = this.openCluster(at);
      for (const d of out) {
        counts.remove(d, a, d.weight);
        counts.add(d, b, d.weight);
        counts.lastSeenAt[b] = Math.max(counts.lastSeenAt[b]!, d.ts);
        d.slot = b;
      }
      split = true;
    }
    return split;
  }

  /** Merges the clusters that share a key term (keyterms.ts); true when any merged. */
  private mergeByKeyTerms(at: number): boolean {
    const o = this.options;
    const merges = keyTermMerges(this.counts, this.vocabulary, this.globalTokens, {
      share: o.keyTermShare,
      concentration: o.keyTermConcentration,
      top: o.keyTermTop,
      minMembers: o.keyTermMinMembers,
      hashtagShare: o.hashtagShare,
      hashtagLift: o.hashtagLift,
    });
    if (merges.length === 0) return false;
    const into = new Map(merges);
    for (const [from, to] of merges) {
      const id = this.counts.ids[from]!;
      this.counts.mergeInto(from, to);
      this.emit({ type: 'forgotten', id, at });
    }
    this.reservoir.forEach((d) => {
      const to = into.get(d.slot);
      if (to !== undefined) d.slot = to;
    });
    return true;
  }

  /** Whether at least `share` of `docs` (the retained documents of `b`), taken out of it, would rather join `a` than any other. */
  private wouldJoin(docs: readonly Retained[], b: number, a: number, share: number): boolean {
    const { counts } = this;
    let yes = 0;
    for (const d of docs) {
      counts.remove(d, b, d.weight);
      counts.score(d, this.newWeight(), this.options.beta, this.vocabulary.size);
      if (counts.bestExcept(b) === a) yes++;
      counts.add(d, b, d.weight);
    }
    return docs.length > 0 && yes >= docs.length * share;
  }

  /** Logs the retained documents from position `from` on whose cluster id changed since last reported. */
  private report(from: number): void {
    for (let i = from; i < this.reservoir.size; i++) {
      const d = this.reservoir.at(i);
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

  /** Re-clusters the reservoir (see recluster.ts) and reports what changed. */
  private recluster(at: number): void {
    const docs: Retained[] = [];
    this.reservoir.forEach((d) => {
      if (d.slot >= 0) docs.push(d);
    });
    const { kept, created, removed } = reclusterReservoir(docs, {
      counts: this.counts,
      maxClusters: this.options.maxClusters,
      passes: this.options.reclusterPasses,
      best: (d) => {
        this.counts.score(d, this.newWeight(), this.options.beta, this.vocabulary.size);
        return this.best();
      },
      reassign: (d) => this.reassign(d, at, this.options.sample, true),
      newId: () => this.nextId++,
    });
    this.nextExpiry = null;
    this.emit({ type: 'reclustered', at, kept, created, removed });
    this.sinceBatch = 0;
    this.report(0);
  }

  // ---- upkeep --------------------------------------------------------------------------------

  /**
   * Upkeep (upkeep.ts): postings decayed below a tenth of β go (they no longer change a score by
   * more than a tenth), and so do unused terms, and rare ones when the vocabulary is full.
   */
  private sweep(): void {
    this.sinceSweep = 0;
    const evicted = sweep(
      this.counts,
      this.vocabulary,
      this.reservoir,
      this.options.beta / 10,
      this.vocabularyFull,
    );
    this.globalTokens = Math.max(0, this.globalTokens - evicted);
    this.vocabularyFull = false;
  }

  /** Divides every stored count by the unit: real counts stay, the numbers stay in range. */
  private renormalize(): void {
    const factor = 1 / this.counts.unit;
    this.counts.rescale(factor);
    this.vocabulary.rescale(factor);
    this.globalTokens *= factor;
    this.reservoir.forEach((d) => (d.weight *= factor));
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
    const state: DmmState = {
      v: SNAPSHOT_VERSION,
      rng: this.rng.snapshot(),
      vocabulary: this.vocabulary.snapshot(),
      counts: this.counts.snapshot(),
      reservoir: this.reservoir.snapshot(),
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
    this.reservoir = new Reservoir(this.options.reservoirSize, this.vocabulary);
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
    this.rng.restore(s.rng ?? this.options.seed);
    this.vocabulary.restore(s.vocabulary);
    this.counts.restore(s.counts);
    this.reservoir.restore(s.reservoir, this.vocabulary);
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
