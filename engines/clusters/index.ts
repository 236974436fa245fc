/** Topic clusters: text to terms, the streaming DMM, the k-means baseline, and clustering scores. */
export { topicTerms, MAX_TEXT_TERMS } from './terms.js';
export { porterStem } from './stem.js';
export { StreamingDmm, DEFAULT_DMM_OPTIONS, type DmmOptions } from './dmm.js';
export { dmmOptions } from './dmm-options.js';
export { MiniBatchKMeans, DEFAULT_KMEANS_OPTIONS, kmeansOptions, type KMeansOptions } from './kmeans.js';
export { clusteringScores, type ClusteringScores } from './metrics.js';
export type {
  Reassignment,
  ReassigningClusterer,
  TopicAssignment,
  TopicClusterer,
  TopicEvent,
  TopicSummary,
} from './types.js';
