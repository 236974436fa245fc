export {
  DEFAULT_DECISION_RETENTION_MS,
  type Campaign,
  type CampaignArms,
  type CampaignStore,
  type Costs,
  type DecisionRecord,
  type FeedbackUpdate,
  type PriorEntry,
  type RewardOutcome,
} from './store.js';
export { MemoryCampaignStore, recordCredit, type MemoryCampaignStoreOptions } from './memory-store.js';
export { RedisCampaignStore, type RedisCampaignStoreOptions } from './redis-store.js';
export { parsePriors, priorsByCampaign, PriorsFileError, type PriorLine } from './priors.js';
