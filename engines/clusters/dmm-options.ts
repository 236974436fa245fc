/**
 * The streaming DMM's settings. The model's two priors come from MStream (Yin et al., KDD 2018);
 * the rest bound memory and say how the model forgets and repairs itself. The README lists them
 * with the same words.
 */
export interface DmmOptions {
  /** Seeds the Gibbs sampling of the batch passes: the same seed and input give the same clusters. */
  seed: number;
  /**
   * How readily a document starts a new cluster: a new cluster weighs as α·D documents, D the
   * (decayed) documents held. Higher: more, smaller, purer clusters; lower: fewer, broader ones.
   */
  alpha: number;
  /**
   * Smoothing of a cluster's term distribution. Lower: a document must share more of a cluster's
   * words to join it (more clusters); higher: clusters absorb documents with fewer shared words.
   */
  beta: number;
  /**
   * Live clusters at most. When full, a document that would start a cluster drops the cluster
   * with the fewest (decayed) documents first, stalest on a tie (event `forgotten`).
   */
  maxClusters: number;
  /**
   * Distinct terms at most. When full, terms no cluster and no retained document holds go first,
   * then the rarest (decayed); a term beyond the cap that cannot be placed is left out of its document.
   */
  maxVocabulary: number;
  /** A cluster without a new document for this long (event time, ms) is dropped (event `forgotten`). */
  forgetMs: number;
  /** Recent documents kept for the batch passes and for re-clustering on drift (and their terms). */
  reservoirSize: number;
  /**
   * Half-life of every count (event time, ms): a fading topic's counts shrink and its rare terms
   * are released; a recurring topic keeps its cluster while its weight lasts. Longer: steadier
   * clusters, slower to follow a change in what a topic's posts say.
   */
  halfLifeMs: number;
  /**
   * Half-life of every count in documents: MStreamF forgets old batches, so a stream's recent
   * documents decide; counted in documents, it does not depend on the stream's rate.
   */
  halfLifeDocs: number;
  /** Documents between batch passes (MStream's batch): the passes revisit the latest batch. */
  batchSize: number;
  /** Gibbs passes over each batch once it is full (0: one-pass only). Each pass costs about one `add`. */
  batchPasses: number;
  /**
   * Gibbs sampling in the batch passes (true) or the most likely cluster (false). Sampling escapes
   * early mistakes; the most likely cluster settles faster.
   */
  sample: boolean;
  /** Documents in the short window of the drift detector (its new-cluster rate). */
  driftWindow: number;
  /**
   * Drift: the short window's new-cluster rate this many standard errors above its long-run level
   * re-clusters the reservoir (event `reclustered`). Infinity: never.
   */
  driftThreshold: number;
  /**
   * After the batch passes, a cluster of the batch is merged into another when at least this share
   * of its retained documents, taken out of it, would join that one cluster rather than start a new
   * one or join any other, the other holds at least as much, and the same share of the other's
   * retained documents would rather join it (both ways: a new topic is not swallowed by a big
   * cluster that merely shares its common words). Above 1: never.
   */
  mergeShare: number;
  /**
   * After the batch passes, a cluster of the batch whose documents of the latest two batches (at
   * least `splitMinDocs`) explain the stream better as a cluster of their own is split (split.ts):
   * a topic that came in through a cluster of another gets its own. This many passes decide which
   * of them leave. 0: never.
   */
  splitPasses: number;
  /** Retained documents a cluster must hold to be tried for a split. */
  splitMinDocs: number;
  /**
   * After the batch passes, clusters that share a key term are merged (keyterms.ts): a term held by
   * at least this share of each one's documents, among its `keyTermTop` most distinctive terms,
   * with at least `keyTermConcentration` of the term's occurrences in the clusters that carry it.
   * Above 1: never.
   */
  keyTermShare: number;
  /** Share of a key term's (decayed) occurrences that the clusters carrying it must hold to be merged. */
  keyTermConcentration: number;
  /** How many of a cluster's most distinctive terms may be its key terms. */
  keyTermTop: number;
  /** Documents a cluster must hold for its key terms to count. */
  keyTermMinMembers: number;
  /**
   * Clusters that share a hashtag are merged too (keyterms.ts): a hashtag held by at least this
   * share of each one's documents and used at least `hashtagLift` times as often in each as in the
   * whole stream, with at least `keyTermConcentration` of its occurrences in the clusters that carry
   * it. People tag a topic's posts with its hashtag whatever words they write them in, so the
   * clusters of a topic's ways of saying it share it; a hashtag everybody uses is not distinctive
   * anywhere and merges nothing. Above 1: never.
   */
  hashtagShare: number;
  /** How many times its rate in the stream a hashtag's rate in a cluster must be to merge by it. */
  hashtagLift: number;
  /** Gibbs passes over the reservoir when it is re-clustered. */
  reclusterPasses: number;
  /**
   * Keep a log of the documents moved after `add` answered, for `drainReassignments` (an
   * evaluation scores where documents end up). Off, nothing is logged.
   */
  trackReassignments: boolean;
}

const HOUR = 3_600_000;

export const DEFAULT_DMM_OPTIONS: DmmOptions = Object.freeze({
  seed: 1,
  alpha: 0.03,
  beta: 0.05,
  maxClusters: 1000,
  maxVocabulary: 100_000,
  forgetMs: 24 * HOUR,
  reservoirSize: 2000,
  halfLifeMs: 6 * HOUR,
  halfLifeDocs: 5000,
  batchSize: 200,
  batchPasses: 2,
  sample: false,
  driftWindow: 100,
  driftThreshold: 5,
  reclusterPasses: 3,
  mergeShare: 0.7,
  splitPasses: 3,
  splitMinDocs: 20,
  keyTermShare: 0.5,
  keyTermConcentration: 0.5,
  keyTermTop: 2,
  keyTermMinMembers: 5,
  hashtagShare: 0.25,
  hashtagLift: 3,
  trackReassignments: false,
});

/** Fills in the defaults and checks every setting; a bad one throws a RangeError naming it. */
export function dmmOptions(partial: Partial<DmmOptions> = {}): DmmOptions {
  const o: DmmOptions = {
    ...DEFAULT_DMM_OPTIONS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  const positive = (name: keyof DmmOptions) => {
    const v = o[name] as number;
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0))
      throw new RangeError(`dmm option ${name} must be a number > 0, got ${String(v)}`);
  };
  const whole = (name: keyof DmmOptions, min: number) => {
    const v = o[name] as number;
    if (!(Number.isInteger(v) && v >= min))
      throw new RangeError(`dmm option ${name} must be a whole number ≥ ${min}, got ${String(v)}`);
  };
  if (!(Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffff_ffff))
    throw new RangeError(`dmm option seed must be an integer in 0..4294967295, got ${String(o.seed)}`);
  positive('alpha');
  positive('beta');
  whole('maxClusters', 1);
  whole('maxVocabulary', 1);
  positive('forgetMs');
  whole('reservoirSize', 1);
  positive('halfLifeMs');
  positive('halfLifeDocs');
  whole('batchSize', 1);
  whole('batchPasses', 0);
  if (typeof o.sample !== 'boolean') throw new RangeError(`dmm option sample must be true or false`);
  if (typeof o.trackReassignments !== 'boolean')
    throw new RangeError(`dmm option trackReassignments must be true or false`);
  whole('driftWindow', 1);
  if (!(typeof o.driftThreshold === 'number' && o.driftThreshold > 0))
    throw new RangeError(
      `dmm option driftThreshold must be > 0 (Infinity: never), got ${String(o.driftThreshold)}`,
    );
  whole('reclusterPasses', 0);
  positive('mergeShare');
  whole('splitPasses', 0);
  whole('splitMinDocs', 2);
  positive('keyTermShare');
  if (!(o.keyTermConcentration >= 0 && o.keyTermConcentration <= 1))
    throw new RangeError(
      `dmm option keyTermConcentration must be a number in 0..1, got ${String(o.keyTermConcentration)}`,
    );
  whole('keyTermTop', 1);
  whole('keyTermMinMembers', 1);
  positive('hashtagShare');
  positive('hashtagLift');
  if (o.batchSize > o.reservoirSize)
    throw new RangeError(`dmm option batchSize must not exceed reservoirSize, got ${o.batchSize}`);
  return { ...o };
}
