/**
 * Audience segments: authors grouped by how they post (activity, sentiment, engagement, reach,
 * brands; see author-features.ts), by k-means on standardised features.
 *
 * - First segmentation: k-means++ (ml-kmeans, seeded, best of `restarts` runs) once `warmup`
 *   authors are established (`minPosts` posts each). Ids go to the centroids in a canonical order
 *   (by reach, then activity, … as one weighted score), so that partitions, which see
 *   statistically alike authors, give alike centroids alike ids and their segment sizes can be
 *   added by id.
 * - Online: each post re-assigns its author to the nearest centroid; an established author's post
 *   also moves that centroid a little (mini-batch k-means, Sculley 2010: rate 1/n, floored at
 *   `learningRate` so it keeps following slow change).
 * - Drift: the mean distance of posting authors to their centroid is measured for `driftWindow`
 *   posts after each segmentation (its level), then followed as a moving average; when it exceeds
 *   `driftRatio` × that level, the data no longer fits the centroids, and k-means re-runs on the
 *   `reservoirSize` most recently seen established authors. Each post weighs 1 / its author's
 *   posts a day, so every author counts alike: a group of quiet authors that fits badly is not
 *   drowned by the posts of a busy group that fits well. The new segments take the old ids by a
 *   Hungarian assignment that keeps the most authors where they were (see matchIds), so a group
 *   that did not move keeps its id.
 *
 * Memory is bounded: at most `maxAuthors` authors (the least recently seen is forgotten), each
 * with at most `maxBrandsPerAuthor` brands. Deterministic for a seed and an input order;
 * `restore(snapshot())` carries on identically.
 */
import { kmeans } from 'ml-kmeans';
import {
  SEGMENT_FEATURES,
  activityRate,
  authorColumns,
  authorsOfTuples,
  authorsOfColumns,
  authorVector,
  newAuthor,
  rawOfVector,
  segmentLabels,
  updateAuthor,
  type AuthorPost,
  type AuthorColumns,
  type AuthorState,
  type FeatureSettings,
} from './author-features.js';

export { SEGMENT_FEATURES, type AuthorPost, type SegmentFeature } from './author-features.js';

export interface SegmentOptions {
  /** Segments wanted (fewer when the data has fewer distinct authors). */
  k: number;
  /** Seeds k-means++; each re-segmentation uses the next seed. */
  seed: number;
  /** Authors held at most; the least recently seen is forgotten first. */
  maxAuthors: number;
  /** Established authors seen before the first segmentation (capped at maxAuthors). */
  warmup: number;
  /** A segmentation clusters at most this many most recently seen established authors: its cost is restarts k-means runs over them. */
  reservoirSize: number;
  /**
   * Posts that make an author established. Newcomers are assigned to their nearest segment but do
   * not shape the centroids (k-means data, online moves, warmup, drift): one post says little of
   * an author's activity or brands, and early segments built on first posts split authors by age.
   */
  minPosts: number;
  /** Lowest rate at which a post moves its centroid (0: centroids settle and stop following). */
  learningRate: number;
  /** Drift when the moving mean distance exceeds this multiple of its level after the last segmentation. */
  driftRatio: number;
  /** Posts that set the distance level after a segmentation, and the span of its moving average. */
  driftWindow: number;
  /** Half-life of the activity count, in event time (ms). */
  activityHalfLifeMs: number;
  /** The running mean sentiment and engagement weigh a post at least 1 / postMemory. */
  postMemory: number;
  /** Distinct brands remembered per author. */
  maxBrandsPerAuthor: number;
  /** Lloyd iterations per k-means run at most. */
  maxIterations: number;
  /**
   * k-means++ runs per segmentation (each with its own seed); the one with the least squared
   * error is kept. One run can settle in a poor local optimum, e.g. two groups merged while
   * another is split, and drift detection cannot see a fit that was poor from the start.
   */
  restarts: number;
}

export const DEFAULT_SEGMENT_OPTIONS: SegmentOptions = Object.freeze({
  k: 5,
  seed: 1,
  maxAuthors: 100_000,
  warmup: 500,
  reservoirSize: 2_000,
  minPosts: 3,
  learningRate: 0.002,
  driftRatio: 1.5,
  driftWindow: 1_000,
  activityHalfLifeMs: 7 * 86_400_000,
  postMemory: 50,
  maxBrandsPerAuthor: 32,
  maxIterations: 100,
  restarts: 5,
});

/** Most segments accepted: bounds the work per post and of the id matching. */
export const MAX_SEGMENTS = 64;
/** Events kept until drained; older ones are dropped first. */
const MAX_EVENTS = 100;
/** Floor on the distance level: a perfect fit (all authors alike) must not make every change a drift. */
const MIN_DISTANCE_LEVEL = 0.05;

/** Fills in the defaults and checks every option; a bad one throws a RangeError naming it. */
export function segmentOptions(partial: Partial<SegmentOptions> = {}): SegmentOptions {
  const o: SegmentOptions = {
    ...DEFAULT_SEGMENT_OPTIONS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  const whole = (name: keyof SegmentOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = o[name];
    if (!(Number.isInteger(v) && v >= min && v <= max))
      throw new RangeError(`segment option ${name} must be a whole number from ${min} to ${max}, got ${v}`);
  };
  whole('k', 1, MAX_SEGMENTS);
  whole('seed', 0);
  whole('maxAuthors', 1);
  whole('warmup', 1);
  whole('reservoirSize', 1);
  whole('minPosts', 1);
  whole('driftWindow', 1);
  whole('postMemory', 1);
  whole('maxBrandsPerAuthor', 0);
  whole('maxIterations', 1);
  whole('restarts', 1, 100);
  if (!(Number.isFinite(o.learningRate) && o.learningRate >= 0 && o.learningRate <= 1))
    throw new RangeError(`segment option learningRate must be in [0, 1], got ${o.learningRate}`);
  if (!(Number.isFinite(o.driftRatio) && o.driftRatio > 1))
    throw new RangeError(`segment option driftRatio must be > 1, got ${o.driftRatio}`);
  if (!(Number.isFinite(o.activityHalfLifeMs) && o.activityHalfLifeMs > 0))
    throw new RangeError(`segment option activityHalfLifeMs must be > 0, got ${o.activityHalfLifeMs}`);
  return o;
}

export interface Segment {
  id: number;
  /** Readable summary of the centroid, e.g. "high reach · active · positive". */
  label: string;
  /** Authors held now whose segment this is. */
  authors: number;
  /** The centroid in raw units, by feature name (see author-features.ts for each unit). */
  centroid: Record<string, number>;
}

export type SegmentEvent = {
  type: 'resegmented';
  /** Latest event time seen (ms), 0 before any. */
  at: number;
  /** `settings`: restored from a snapshot of another k (a restart with another `--segments`). */
  reason: 'warmup' | 'drift' | 'settings';
  /** Authors held whose segment id changed (at warmup: every author assigned). */
  moved: number;
};

/** Distance of the posting authors to their centroid: a level after each segmentation, then a moving mean. */
interface DriftState {
  /** Posts measured toward the level, their weights and weighted distances; the level is set once n reaches driftWindow. */
  n: number;
  weight: number;
  sum: number;
  level: number | null;
  /** The moving weighted sum of distances and of weights: their ratio is the moving mean. */
  movingSum: number;
  movingWeight: number;
}

const freshDrift = (): DriftState => ({
  n: 0,
  weight: 0,
  sum: 0,
  level: null,
  movingSum: 0,
  movingWeight: 0,
});
/** Busiest and quietest rates (posts a day) a post's drift weight is read at: bounds the weights. */
const WEIGHT_RATES: [number, number] = [0.1, 100];

/**
 * The snapshot's version: 2 holds the authors as columns (AuthorColumns). Snapshots without a
 * version (before it) hold an AuthorTuple per author and are restored as well.
 */
export const SEGMENTS_SNAPSHOT_VERSION = 2;

/**
 * Bytes of JSON a snapshot takes per author held at most, besides the author's id and brand
 * names (written once), on a firehose's values: whole follower counts and engagement, scores of a
 * few digits, millisecond times; what bounds the snapshot with `maxAuthors`. bench:analytics measures about 45 bytes per
 * author on a synthetic firehose, short ids included; an author with many posts has means of 17
 * digits and takes more.
 */
export const SEGMENTS_SNAPSHOT_BYTES_PER_AUTHOR = 64;

/** JSON-safe state. */
export interface SegmentsSnapshot {
  version: typeof SEGMENTS_SNAPSHOT_VERSION;
  /** The k the centroids were made for (absent in snapshots from before it was recorded). */
  k?: number;
  /** Authors, least recently seen first. */
  authors: AuthorColumns;
  centroids: number[][];
  ids: number[];
  /** Posts (and k-means members) behind each centroid, for its learning rate. */
  weights: number[];
  segmentations: number;
  drift: DriftState;
  maxTs: number | null;
  events: SegmentEvent[];
}

export class AudienceSegments {
  readonly options: SegmentOptions;
  private readonly features: FeatureSettings;
  /** Insertion order is recency: an author seen is moved to the end. */
  private readonly authors = new Map<string, AuthorState>();
  /** Standardised centroids, their segment ids and weights, index-aligned. */
  private centroids: number[][] = [];
  private ids: number[] = [];
  private weights: number[] = [];
  private readonly sizes = new Map<number, number>();
  private segmentations = 0;
  /** Authors held with at least minPosts posts. */
  private established = 0;
  private drift: DriftState = freshDrift();
  private maxTs: number | null = null;
  private events: SegmentEvent[] = [];
  /** See previousSegment. */
  private previous: number | undefined;
  /** Authors a segmentation gave a new segment, with it, until drainMoves (at most the authors held). */
  private moves = new Map<string, number>();

  constructor(options: Partial<SegmentOptions> = {}) {
    this.options = segmentOptions(options);
    this.features = {
      activityHalfLifeMs: this.options.activityHalfLifeMs,
      postMemory: this.options.postMemory,
      maxBrands: this.options.maxBrandsPerAuthor,
    };
  }

  get authorCount(): number {
    return this.authors.size;
  }

  /**
   * Updates the author's features with one post and returns their segment id (null before the
   * first segmentation, or for a post without an author id).
   */
  observe(post: AuthorPost): number | null {
    const id = post?.author;
    this.previous = undefined;
    if (typeof id !== 'string' || id === '') return null;
    let a = this.authors.get(id);
    if (a) {
      this.authors.delete(id);
      this.previous = a.segment ?? undefined;
    } else a = newAuthor();
    this.authors.set(id, a);
    updateAuthor(a, post, this.features);
    const settled = a.posts >= this.options.minPosts;
    if (a.posts === this.options.minPosts) this.established++;
    if (typeof post.ts === 'number' && Number.isFinite(post.ts))
      this.maxTs = this.maxTs === null ? post.ts : Math.max(this.maxTs, post.ts);
    if (this.authors.size > this.options.maxAuthors) this.evictOldest();

    if (this.centroids.length === 0) {
      if (this.established >= Math.min(this.options.warmup, this.options.maxAuthors)) this.segment('warmup');
      return a.segment;
    }
    const x = authorVector(a, this.options.activityHalfLifeMs);
    const [j, d2] = nearest(this.centroids, x);
    this.assign(a, this.ids[j]!);
    if (!settled) return a.segment;
    this.learn(j, x);
    const rate = Math.min(
      WEIGHT_RATES[1],
      Math.max(WEIGHT_RATES[0], activityRate(a, this.options.activityHalfLifeMs)),
    );
    if (this.driftDetected(Math.sqrt(d2), 1 / rate)) this.segment('drift');
    return a.segment;
  }

  /**
   * The segment the author of the last `observe` had before it (segmentOf before the call, which
   * it saves a lookup of): undefined when they were not held or not segmented.
   */
  get previousSegment(): number | undefined {
    return this.previous;
  }

  /**
   * The authors whose segment a segmentation (the first, or one on drift) changed since the last
   * call, with their segment now: every author held, not only the one who posted. Not part of the
   * snapshot: drain after each `observe` that may segment (the stage-2 operator does).
   */
  drainMoves(): [string, number][] {
    if (this.moves.size === 0) return [];
    const out = [...this.moves];
    this.moves.clear();
    return out;
  }

  segmentOf(author: string): number | undefined {
    return this.authors.get(author)?.segment ?? undefined;
  }

  /** The segments by id, with the authors held in each now. Empty before the first segmentation. */
  segments(): Segment[] {
    const raw = this.centroids.map((c) => rawOfVector(c));
    const labels = segmentLabels(this.centroids, this.ids);
    return this.ids
      .map((id, i) => ({
        id,
        label: labels[i]!,
        authors: this.sizes.get(id) ?? 0,
        centroid: { ...raw[i]! } as Record<string, number>,
      }))
      .sort((a, b) => a.id - b.id);
  }

  drainEvents(): SegmentEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private evictOldest(): void {
    const first = this.authors.keys().next();
    if (first.done) return;
    const a = this.authors.get(first.value)!;
    this.authors.delete(first.value);
    if (a.segment !== null) this.resize(a.segment, -1);
    if (a.posts >= this.options.minPosts) this.established--;
  }

  private resize(id: number, by: number): void {
    const n = (this.sizes.get(id) ?? 0) + by;
    if (n > 0) this.sizes.set(id, n);
    else this.sizes.delete(id);
  }

  private assign(a: AuthorState, id: number): boolean {
    if (a.segment === id) return false;
    if (a.segment !== null) this.resize(a.segment, -1);
    a.segment = id;
    this.resize(id, 1);
    return true;
  }

  /** Moves centroid j toward x at rate 1/n, floored at learningRate (its weight stops growing there). */
  private learn(j: number, x: readonly number[]): void {
    const { learningRate } = this.options;
    const cap = learningRate > 0 ? 1 / learningRate : Infinity;
    const w = Math.min(this.weights[j]! + 1, cap);
    this.weights[j] = w;
    const rate = 1 / w;
    const c = this.centroids[j]!;
    for (let f = 0; f < c.length; f++) c[f]! += rate * (x[f]! - c[f]!);
  }

  /** Folds one post's distance (with its weight) into the drift measure; true when the fit has drifted. */
  private driftDetected(distance: number, weight: number): boolean {
    const d = this.drift;
    const { driftWindow, driftRatio } = this.options;
    if (d.level === null) {
      d.n++;
      d.weight += weight;
      d.sum += weight * distance;
      if (d.n >= driftWindow) {
        d.level = d.sum / d.weight;
        d.movingWeight = d.weight / d.n;
        d.movingSum = d.level * d.movingWeight;
      }
      return false;
    }
    const keep = 1 - 1 / driftWindow;
    d.movingSum = keep * d.movingSum + (1 - keep) * weight * distance;
    d.movingWeight = keep * d.movingWeight + (1 - keep) * weight;
    return d.movingSum / d.movingWeight > driftRatio * Math.max(d.level, MIN_DISTANCE_LEVEL);
  }

  /** (Re)runs k-means on the most recently seen established authors, gives the centroids ids and re-assigns every author held. */
  private segment(reason: SegmentEvent['reason']): void {
    // Called with at least one established author: warmup ≥ 1 of them, drift only on their posts.
    const { reservoirSize, k, seed, maxIterations, activityHalfLifeMs, minPosts, restarts } = this.options;
    let skip = Math.max(0, this.established - reservoirSize);
    const data: number[][] = [];
    const previous: (number | null)[] = [];
    for (const a of this.authors.values())
      if (a.posts >= minPosts && skip-- <= 0) {
        data.push(authorVector(a, activityHalfLifeMs));
        previous.push(a.segment);
      }
    const distinct = new Set(data.map((v) => v.join(','))).size;
    let result: ReturnType<typeof kmeans> | null = null;
    let best = Infinity;
    for (let r = 0; r < restarts; r++) {
      const run = kmeans(data, Math.min(k, distinct), {
        seed: seed + this.segmentations * restarts + r,
        initialization: 'kmeans++',
        maxIterations,
      });
      const error = run.clusters.reduce((sum, c, i) => sum + squaredDistance(run.centroids[c]!, data[i]!), 0);
      if (error < best || result === null) [result, best] = [run, error];
    }
    if (result === null) return;
    const centroids = result.centroids.map((c) => c.map((x) => (Number.isFinite(x) ? x : 0)));
    const weights = centroids.map(() => 0);
    for (const c of result.clusters) weights[c]!++;
    if (this.centroids.length === 0) this.ids = canonicalIds(centroids);
    else {
      // How many of each new cluster's members were in each old segment.
      const overlap = centroids.map(() => this.ids.map(() => 0));
      const column = new Map(this.ids.map((id, j) => [id, j]));
      result.clusters.forEach((c, i) => {
        const j = column.get(previous[i] ?? -1);
        if (j !== undefined) overlap[c]![j]!++;
      });
      this.ids = matchIds(this.centroids, this.ids, centroids, overlap);
    }
    this.centroids = centroids;
    this.weights = weights.map((w) => Math.max(w, 1));

    let moved = 0;
    for (const [author, a] of this.authors) {
      const [j] = nearest(centroids, authorVector(a, activityHalfLifeMs));
      if (!this.assign(a, this.ids[j]!)) continue;
      moved++;
      this.moves.set(author, a.segment!);
    }
    this.segmentations++;
    this.drift = freshDrift();
    this.events.push({ type: 'resegmented', at: this.maxTs ?? 0, reason, moved });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  snapshot(): SegmentsSnapshot {
    return {
      version: SEGMENTS_SNAPSHOT_VERSION,
      k: this.options.k,
      authors: authorColumns(this.authors),
      centroids: this.centroids.map((c) => [...c]),
      ids: [...this.ids],
      weights: [...this.weights],
      segmentations: this.segmentations,
      drift: { ...this.drift },
      maxTs: this.maxTs,
      events: this.events.map((e) => ({ ...e })),
    };
  }

  /**
   * Takes a snapshot of an instance with the same options, of this version or from before versions
   * (authors as tuples); a malformed one, or one of another version, throws a RangeError.
   * A snapshot of another k (a restart with another `--segments`) keeps the authors and segments
   * them again at once into this k, numbered canonically as at warmup (every partition restarted
   * with the new k numbers them alike); the authors it moves are in drainMoves.
   */
  restore(state: unknown): void {
    this.moves.clear();
    const s = state as
      (Omit<Partial<SegmentsSnapshot>, 'version' | 'authors'> & Record<string, unknown>) | null;
    const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    const dims = SEGMENT_FEATURES.length;
    const d = s?.drift as Partial<DriftState> | undefined;
    if (
      !s ||
      typeof s !== 'object' ||
      !(s.version === SEGMENTS_SNAPSHOT_VERSION || (s.version === undefined && Array.isArray(s.authors))) ||
      !Array.isArray(s.centroids) ||
      !s.centroids.every((c) => Array.isArray(c) && c.length === dims && c.every(num)) ||
      !Array.isArray(s.ids) ||
      s.ids.length !== s.centroids.length ||
      !s.ids.every((id) => Number.isInteger(id) && id >= 0) ||
      !Array.isArray(s.weights) ||
      s.weights.length !== s.centroids.length ||
      !s.weights.every(num) ||
      !Number.isInteger(s.segmentations) ||
      !d ||
      !num(d.n) ||
      !num(d.weight) ||
      !num(d.sum) ||
      !num(d.movingSum) ||
      !num(d.movingWeight) ||
      !(d.level === null || num(d.level)) ||
      !(s.maxTs === null || num(s.maxTs)) ||
      !Array.isArray(s.events) ||
      !(s.k === undefined || (Number.isInteger(s.k) && s.k >= 1))
    )
      throw new RangeError('segments state is malformed');
    const authors = s.version === undefined ? authorsOfTuples(s.authors) : authorsOfColumns(s.authors);
    if (!authors) throw new RangeError('segments state holds a malformed author');
    this.authors.clear();
    this.sizes.clear();
    this.established = 0;
    for (const [id, a] of authors.slice(-this.options.maxAuthors)) {
      this.authors.set(id, a);
      if (a.segment !== null) this.resize(a.segment, 1);
      if (a.posts >= this.options.minPosts) this.established++;
    }
    this.centroids = s.centroids.map((c) => [...c]);
    this.ids = [...s.ids];
    this.weights = [...s.weights];
    this.segmentations = s.segmentations as number;
    this.drift = {
      n: d.n as number,
      weight: d.weight as number,
      sum: d.sum as number,
      level: d.level ?? null,
      movingSum: d.movingSum as number,
      movingWeight: d.movingWeight as number,
    };
    this.maxTs = s.maxTs ?? null;
    this.events = s.events
      .filter(
        (e): e is SegmentEvent => !!e && typeof e === 'object' && (e as SegmentEvent).type === 'resegmented',
      )
      .map((e) => ({ type: 'resegmented', at: e.at, reason: e.reason, moved: e.moved }));
    // Without a recorded k only more centroids than k tell of another one (fewer may be all the data had).
    const otherK = s.k === undefined ? this.centroids.length > this.options.k : s.k !== this.options.k;
    if (this.centroids.length > 0 && otherK) this.resegmentForK();
  }

  /** Drops the centroids of another k and segments the authors held again (or waits for the warmup again). */
  private resegmentForK(): void {
    this.centroids = [];
    this.ids = [];
    this.weights = [];
    this.drift = freshDrift();
    if (this.established > 0) {
      this.segment('settings');
      return;
    }
    // No established author left to segment: back to before the first segmentation.
    for (const [author, a] of this.authors)
      if (a.segment !== null) {
        a.segment = null;
        this.moves.delete(author);
      }
    this.sizes.clear();
  }
}

/** Index of the centroid nearest to x (the first on a tie) and its squared distance. */
function nearest(centroids: readonly (readonly number[])[], x: readonly number[]): [number, number] {
  let best = 0;
  let bestD = Infinity;
  for (let j = 0; j < centroids.length; j++) {
    const d = squaredDistance(centroids[j]!, x);
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return [best, bestD];
}

function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let f = 0; f < a.length; f++) s += (a[f]! - b[f]!) ** 2;
  return s;
}

/**
 * Weights of the standardised features (SEGMENT_FEATURES order) in the canonical score: reach
 * first, then activity, engagement, brands, sentiment. One weighted score rather than a strict
 * lexicographic order: partitions' centroids differ by noise, and a score swaps two segments only
 * when they nearly tie on the whole, not whenever they nearly tie on reach.
 */
const CANONICAL_WEIGHTS = [0.5, 0.0625, 0.25, 1, 0.125];

function canonicalScore(c: readonly number[]): number {
  return c.reduce((s, x, f) => s + x * CANONICAL_WEIGHTS[f]!, 0);
}

/** Ids 0, 1, … in ascending canonical score (ties by the centroids' values, so the rule is total). */
function canonicalOrder(centroids: readonly (readonly number[])[]): number[] {
  return centroids
    .map((_, i) => i)
    .sort((a, b) => {
      const d = canonicalScore(centroids[a]!) - canonicalScore(centroids[b]!);
      if (d !== 0) return d;
      for (let f = 0; f < centroids[a]!.length; f++) {
        const e = centroids[a]![f]! - centroids[b]![f]!;
        if (e !== 0) return e;
      }
      return a - b;
    });
}

function canonicalIds(centroids: readonly (readonly number[])[]): number[] {
  const ids = new Array<number>(centroids.length);
  canonicalOrder(centroids).forEach((i, rank) => (ids[i] = rank));
  return ids;
}

/**
 * Ids for new centroids: each takes the id of the old segment it is matched to, the assignment
 * (Hungarian) that keeps the most authors in the segment they were in, ties broken by the least
 * squared distance between the centroids. Membership rather than distance alone, because an old
 * centroid may have been dragged toward the very newcomers that caused the drift; distance for
 * the rest, so a segment whose authors were forgotten still finds its heir. New centroids left
 * over (more segments than before) take the smallest free ids in canonical order.
 */
function matchIds(
  old: readonly number[][],
  oldIds: readonly number[],
  fresh: readonly number[][],
  overlap: readonly (readonly number[])[],
): number[] {
  const distances = fresh.map((f) => old.map((o) => squaredDistance(f, o)));
  const scale = 1 + Math.max(0, ...distances.flat());
  // Below 1 the distance term only breaks ties between equal overlaps.
  const cost = (i: number, j: number) => -overlap[i]![j]! + distances[i]![j]! / scale;
  const ids = new Array<number>(fresh.length).fill(-1);
  if (fresh.length <= old.length) {
    const match = hungarian(fresh.map((_, i) => old.map((_, j) => cost(i, j))));
    match.forEach((j, i) => (ids[i] = oldIds[j]!));
  } else {
    const match = hungarian(old.map((_, j) => fresh.map((_, i) => cost(i, j))));
    match.forEach((i, j) => (ids[i] = oldIds[j]!));
  }
  const used = new Set(ids.filter((id) => id >= 0));
  let next = 0;
  for (const i of canonicalOrder(fresh)) {
    if (ids[i]! >= 0) continue;
    while (used.has(next)) next++;
    ids[i] = next;
    used.add(next);
  }
  return ids;
}

/**
 * Minimum-cost assignment of rows to distinct columns (rows ≤ columns): the Hungarian method
 * (Kuhn 1955; Munkres 1957) in its O(n²m) potentials form. Returns the column of each row.
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const n = cost.length;
  const m = n === 0 ? 0 : cost[0]!.length;
  if (n > m) throw new RangeError(`hungarian needs rows ≤ columns, got ${n} × ${m}`);
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(m + 1).fill(0);
  const p = new Array<number>(m + 1).fill(0);
  const way = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(m + 1).fill(Infinity);
    const used = new Array<boolean>(m + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowCol = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! !== 0) rowCol[p[j]! - 1] = j - 1;
  return rowCol;
}
