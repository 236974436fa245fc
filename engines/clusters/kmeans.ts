/**
 * The baseline topic clusterer: k-means over hashed TF-IDF vectors, the method short-text
 * clustering papers compare against (Xu et al., 2015). The first `warmup` documents are buffered
 * and clustered with k-means++ and Lloyd's iterations (ml-kmeans); after that every document goes
 * to its nearest centre at once and the centres move by mini-batch k-means (Sculley, WWW 2010):
 * each centre steps towards the documents assigned to it with a rate of 1 / (its documents).
 *
 * `add` during the warm-up answers `{ id: 0, created: false }`: id 0 is "not clustered yet"; the
 * warm-up documents get their clusters (1..k) when the warm-up ends, reported through
 * `drainReassignments` (or call `flush` to end the warm-up early). k is fixed: clusters are never
 * forgotten; k above the distinct warm-up documents is lowered to their number.
 */
import { kmeans } from 'ml-kmeans';
import { hashString } from '../text/index.js';
import { MAX_TEXT_TERMS } from './terms.js';
import type {
  Reassignment,
  ReassigningClusterer,
  TopicAssignment,
  TopicEvent,
  TopicSummary,
} from './types.js';

export interface KMeansOptions {
  /** Seeds k-means++. */
  seed: number;
  /** Clusters. */
  k: number;
  /** Hashed feature buckets (a power of two): more, fewer collisions, more memory per centre. */
  dimensions: number;
  /** Documents buffered and clustered by k-means++ before the stream is assigned. */
  warmup: number;
  /** Documents per mini-batch update of the centres. */
  batchSize: number;
  /** Lloyd iterations of the warm-up k-means at most. */
  maxIterations: number;
  /** Terms remembered per cluster for its label. */
  labelTerms: number;
}

export const DEFAULT_KMEANS_OPTIONS: KMeansOptions = Object.freeze({
  seed: 1,
  k: 20,
  dimensions: 2048,
  warmup: 1000,
  batchSize: 100,
  maxIterations: 30,
  labelTerms: 64,
});

const SNAPSHOT_VERSION = 1;
const MAX_PENDING = 10_000;

/** Fills in the defaults and checks every setting; a bad one throws a RangeError naming it. */
export function kmeansOptions(partial: Partial<KMeansOptions> = {}): KMeansOptions {
  const o: KMeansOptions = {
    ...DEFAULT_KMEANS_OPTIONS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  const whole = (name: keyof KMeansOptions, min: number) => {
    if (!(Number.isInteger(o[name]) && o[name] >= min))
      throw new RangeError(`kmeans option ${name} must be a whole number ≥ ${min}, got ${String(o[name])}`);
  };
  if (!(Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffff_ffff))
    throw new RangeError(`kmeans option seed must be an integer in 0..4294967295, got ${String(o.seed)}`);
  whole('k', 1);
  whole('dimensions', 2);
  if ((o.dimensions & (o.dimensions - 1)) !== 0 || o.dimensions > 1 << 20)
    throw new RangeError(`kmeans option dimensions must be a power of two up to 2^20, got ${o.dimensions}`);
  whole('warmup', 1);
  whole('batchSize', 1);
  whole('maxIterations', 1);
  whole('labelTerms', 1);
  return { ...o };
}

/** A document as buckets and term frequencies, with what its label counters need. */
interface Doc {
  seq: number;
  ts: number;
  buckets: number[];
  tf: number[];
  terms: string[];
}

interface KMeansState {
  v: number;
  seq: number;
  docs: number;
  df: number[];
  buffer: Doc[];
  pending: [number, number][];
  centres: number[][];
  sizes: number[];
  createdAt: number;
  lastSeenAt: number[];
  labels: [string, number][][];
  events: TopicEvent[];
  reassigned: [number, number][];
}

export class MiniBatchKMeans implements ReassigningClusterer {
  readonly options: KMeansOptions;
  private seq = 0;
  /** Documents seen, for the idf. */
  private docs = 0;
  private df: Float64Array;
  private buffer: Doc[] = [];
  /** Documents of the current mini-batch: their sparse vector index into `batchDocs`, and centre. */
  private batch: { doc: Doc; centre: number }[] = [];
  /** Dense centres, one Float64Array per cluster; empty until the warm-up ends. */
  private centres: Float64Array[] = [];
  private norms: number[] = [];
  private sizes: number[] = [];
  private createdAt = 0;
  private lastSeenAt: number[] = [];
  private labels: Map<string, number>[] = [];
  private events: TopicEvent[] = [];
  private reassigned = new Map<number, number>();

  /** Throws a RangeError naming the first bad option. */
  constructor(options: Partial<KMeansOptions> = {}) {
    this.options = kmeansOptions(options);
    this.df = new Float64Array(this.options.dimensions);
  }

  get clusterCount(): number {
    return this.centres.length;
  }

  /** Centre coordinates, idf buckets, buffered documents' terms and label counters: numbers held. */
  get stateSize(): number {
    let buffered = 0;
    for (const d of this.buffer) buffered += 2 * d.buckets.length + d.terms.length + 2;
    for (const { doc } of this.batch) buffered += 2 * doc.buckets.length + doc.terms.length + 2;
    let labels = 0;
    for (const m of this.labels) for (const t of m.keys()) labels += t.length + 1;
    return (
      this.centres.length * (this.options.dimensions + 4) +
      this.options.dimensions +
      buffered +
      labels +
      3 * this.events.length +
      2 * this.reassigned.size
    );
  }

  add(terms: readonly string[], ts: number): TopicAssignment | null {
    const doc = this.documentOf(terms, Number.isFinite(ts) ? ts : 0);
    if (!doc) return null;
    this.docs++;
    for (const b of doc.buckets) this.df[b]!++;
    if (this.centres.length === 0) {
      this.buffer.push(doc);
      if (this.buffer.length >= this.options.warmup) this.flush();
      return { id: 0, created: false };
    }
    const centre = this.nearest(doc);
    this.batch.push({ doc, centre });
    this.note(doc, centre);
    if (this.batch.length >= this.options.batchSize) this.update();
    return { id: centre + 1, created: false };
  }

  /** Ends the warm-up now (when it has documents): clusters the buffer and reports its documents. */
  flush(): void {
    if (this.centres.length > 0 || this.buffer.length === 0) return;
    const vectors = this.buffer.map((d) => this.dense(d));
    // Duplicates would leave k-means++ nothing to choose: cluster the distinct vectors.
    const distinct = new Map<string, number[]>();
    for (const v of vectors) {
      const key = v.join(',');
      if (!distinct.has(key)) distinct.set(key, v);
    }
    const points = [...distinct.values()];
    const k = Math.min(this.options.k, points.length);
    const init =
      k === points.length
        ? points
        : kmeans(points, k, {
            seed: this.options.seed,
            initialization: 'kmeans++',
            maxIterations: this.options.maxIterations,
          }).centroids;
    const last = this.buffer[this.buffer.length - 1]!;
    this.createdAt = last.ts;
    for (let c = 0; c < k; c++) {
      const centre = Float64Array.from(init[c]!.map((x) => (Number.isFinite(x) ? x : 0)));
      this.centres.push(centre);
      this.norms.push(dot(centre, centre));
      this.sizes.push(0);
      this.lastSeenAt.push(last.ts);
      this.labels.push(new Map());
      this.emit({ type: 'created', id: c + 1, at: last.ts });
    }
    for (const d of this.buffer) {
      const centre = this.nearest(d);
      this.sizes[centre]!++;
      this.note(d, centre);
      this.reassigned.set(d.seq, centre + 1);
      if (this.reassigned.size > MAX_PENDING) this.reassigned.delete(this.reassigned.keys().next().value!);
    }
    this.buffer = [];
  }

  summaries(top = 10): TopicSummary[] {
    const n = Number.isFinite(top) ? Math.max(0, Math.floor(top)) : 10;
    const dfTotal = this.df.reduce((s, x) => s + x, 0);
    return this.centres.map((_, c) => {
      const counter = this.labels[c]!;
      let total = 0;
      for (const v of counter.values()) total += v;
      const terms: { term: string; weight: number }[] = [];
      for (const [term, count] of counter) {
        const p = count / total;
        const q = (this.df[this.bucketOf(term)] ?? 0) / dfTotal;
        const weight = q > 0 ? p * Math.log(p / q) : 0;
        if (weight > 0 && Number.isFinite(weight)) terms.push({ term, weight });
      }
      terms.sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
      return {
        id: c + 1,
        docs: this.sizes[c]!,
        terms: terms.slice(0, n),
        createdAt: this.createdAt,
        lastSeenAt: this.lastSeenAt[c]!,
      };
    });
  }

  drainEvents(): TopicEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  drainReassignments(): Reassignment[] {
    const out = [...this.reassigned].map(([seq, id]) => ({ seq, id }));
    this.reassigned.clear();
    return out;
  }

  // ---------------------------------------------------------------------------------------------

  private bucketOf(term: string): number {
    return hashString(term) & (this.options.dimensions - 1);
  }

  private documentOf(terms: readonly string[], ts: number): Doc | undefined {
    if (!Array.isArray(terms)) return undefined;
    const tf = new Map<number, number>();
    const kept: string[] = [];
    for (const t of terms) {
      if (typeof t !== 'string' || t.length === 0) continue;
      if (kept.length >= MAX_TEXT_TERMS) break;
      kept.push(t.length > 64 ? t.slice(0, 64) : t);
      const b = this.bucketOf(t);
      tf.set(b, (tf.get(b) ?? 0) + 1);
    }
    if (kept.length === 0) return undefined;
    const buckets = [...tf.keys()].sort((a, b) => a - b);
    return { seq: this.seq++, ts, buckets, tf: buckets.map((b) => tf.get(b)!), terms: kept };
  }

  /** The document's L2-normalized TF-IDF weights, by its buckets. */
  private weights(d: Doc): number[] {
    const w = d.buckets.map((b, i) => d.tf[i]! * (Math.log((1 + this.docs) / (1 + this.df[b]!)) + 1));
    const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0)) || 1;
    return w.map((x) => x / norm);
  }

  private dense(d: Doc): number[] {
    const v = new Array<number>(this.options.dimensions).fill(0);
    const w = this.weights(d);
    d.buckets.forEach((b, i) => (v[b] = w[i]!));
    return v;
  }

  /** The closest centre: the largest 2 c·x − |c|² (|x| = 1); the lowest index on a tie. */
  private nearest(d: Doc): number {
    const w = this.weights(d);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < this.centres.length; c++) {
      const centre = this.centres[c]!;
      let s = 0;
      for (let i = 0; i < d.buckets.length; i++) s += centre[d.buckets[i]!]! * w[i]!;
      const score = 2 * s - this.norms[c]!;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return best;
  }

  /** Applies the mini-batch: each document pulls its centre by 1 / (the centre's documents). */
  private update(): void {
    for (const { doc, centre } of this.batch) {
      const c = this.centres[centre]!;
      const size = ++this.sizes[centre]!;
      const eta = 1 / size;
      for (let i = 0; i < c.length; i++) c[i]! *= 1 - eta;
      const w = this.weights(doc);
      for (let i = 0; i < doc.buckets.length; i++) c[doc.buckets[i]!]! += eta * w[i]!;
      this.norms[centre] = dot(c, c);
    }
    this.batch = [];
  }

  /** Counts a document's terms towards its cluster's label (space-saving: the rarest is replaced when full). */
  private note(d: Doc, centre: number): void {
    this.lastSeenAt[centre] = Math.max(this.lastSeenAt[centre]!, d.ts);
    const counter = this.labels[centre]!;
    for (const t of d.terms) {
      const n = counter.get(t);
      if (n !== undefined) counter.set(t, n + 1);
      else if (counter.size < this.options.labelTerms) counter.set(t, 1);
      else {
        let min: string | undefined;
        let minCount = Infinity;
        for (const [term, count] of counter)
          if (count < minCount || (count === minCount && term < min!)) [min, minCount] = [term, count];
        counter.delete(min!);
        counter.set(t, minCount + 1);
      }
    }
  }

  private emit(e: TopicEvent): void {
    this.events.push(e);
    if (this.events.length > MAX_PENDING) this.events.splice(0, this.events.length - MAX_PENDING);
  }

  snapshot(): unknown {
    const state: KMeansState = {
      v: SNAPSHOT_VERSION,
      seq: this.seq,
      docs: this.docs,
      df: Array.from(this.df),
      buffer: this.buffer.map(copyDoc),
      pending: this.batch.map(({ doc, centre }) => [this.bufferIndexFor(doc), centre]),
      centres: this.centres.map((c) => Array.from(c)),
      sizes: [...this.sizes],
      createdAt: this.createdAt,
      lastSeenAt: [...this.lastSeenAt],
      labels: this.labels.map((m) => [...m]),
      events: JSON.parse(JSON.stringify(this.events)) as TopicEvent[],
      reassigned: [...this.reassigned],
    };
    // The mini-batch's documents travel after the warm-up buffer.
    state.buffer.push(...this.batch.map(({ doc }) => copyDoc(doc)));
    return state;
  }

  private bufferIndexFor(doc: Doc): number {
    return this.buffer.length + this.batch.findIndex((b) => b.doc === doc);
  }

  /** undefined (or null): empty. A snapshot of another version or shape is refused with a RangeError. */
  restore(state: unknown): void {
    this.seq = 0;
    this.docs = 0;
    this.df = new Float64Array(this.options.dimensions);
    this.buffer = [];
    this.batch = [];
    this.centres = [];
    this.norms = [];
    this.sizes = [];
    this.createdAt = 0;
    this.lastSeenAt = [];
    this.labels = [];
    this.events = [];
    this.reassigned = new Map();
    if (state === undefined || state === null) return;
    const s = state as Partial<KMeansState>;
    if (
      s.v !== SNAPSHOT_VERSION ||
      !Array.isArray(s.df) ||
      s.df.length !== this.options.dimensions ||
      !Array.isArray(s.buffer) ||
      !Array.isArray(s.centres)
    )
      throw new RangeError(
        `kmeans: not a version ${SNAPSHOT_VERSION} snapshot with ${this.options.dimensions} dimensions`,
      );
    this.seq = s.seq ?? 0;
    this.docs = s.docs ?? 0;
    this.df = Float64Array.from(s.df);
    const docs = s.buffer.map(copyDoc);
    const pending = s.pending ?? [];
    this.buffer = docs.slice(0, docs.length - pending.length);
    this.batch = pending.map(([i, centre]) => ({ doc: docs[i]!, centre }));
    this.centres = s.centres.map((c) => Float64Array.from(c));
    this.norms = this.centres.map((c) => dot(c, c));
    this.sizes = [...(s.sizes ?? [])];
    this.createdAt = s.createdAt ?? 0;
    this.lastSeenAt = [...(s.lastSeenAt ?? [])];
    this.labels = (s.labels ?? []).map((entries) => new Map(entries));
    this.events = JSON.parse(JSON.stringify(s.events ?? [])) as TopicEvent[];
    this.reassigned = new Map(s.reassigned ?? []);
  }
}

function copyDoc(d: Doc): Doc {
  return { seq: d.seq, ts: d.ts, buckets: [...d.buckets], tf: [...d.tf], terms: [...d.terms] };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
