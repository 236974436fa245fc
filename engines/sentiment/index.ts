export { RulesSentiment } from './rules.js';
export type { SentimentLabel, SentimentResult, SentimentScorer } from './types.js';
