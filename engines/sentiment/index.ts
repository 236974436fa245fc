export { RulesSentiment, type RulesAnalysis } from './rules.js';
export { LinearSentiment, CLASSES, quantizeWeights, softmax3, type LinearModel } from './linear.js';
export { SentimentFeaturizer, DEFAULT_FEATURE_SPEC, type FeatureSpec } from './features.js';
export {
  trainLinear,
  DEFAULT_TRAIN_OPTIONS,
  type TrainExample,
  type TrainOptions,
  type TrainProgress,
} from './train.js';
export { minimizeLbfgs, type LbfgsOptions, type LbfgsProgress, type Objective } from './lbfgs.js';
export {
  SENTIMENT_LABELS,
  type SentimentLabel,
  type SentimentResult,
  type SentimentScorer,
  type SentimentTier,
} from './types.js';
export { encodeLinearModel, decodeLinearModel, ModelFormatError } from './model-format.js';
export { detectLanguage, LANGUAGE_DETECTOR, type LanguageGuess } from './language.js';
export { classificationReport, pearson, type ClassificationReport } from './evaluation.js';
