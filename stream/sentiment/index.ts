export {
  SentimentTiers,
  type EventSentiment,
  type ScoredEvent,
  type SentimentTiersOptions,
  type TransformerTierOptions,
} from './tiers.js';
export {
  TransformerPool,
  type TransformerPoolOptions,
  type TransformerClassifier,
  type PoolEvent,
} from './pool.js';
export { SelectionPolicy, type SelectionReason } from './selection.js';
export { TokenBucket } from './budget.js';
export { mapModelLabels, parseLabelMap } from './labels.js';
export { loadLinearSentiment } from './load.js';
export { startSentiment, type SentimentSetup, type RunningSentiment } from './setup.js';
export { SentimentError, SentimentErrorCodes, type SentimentErrorCode } from './errors.js';
