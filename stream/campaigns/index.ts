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
export {
  CampaignService,
  decisionTime,
  feedbackUpdate,
  type CampaignServiceOptions,
  type Decision,
  type DecideInput,
  type RewardStatus,
} from './service.js';
export {
  campaignFrom,
  decisionLifetime,
  rewardInRange,
  DEFAULT_DECISION_TTL_MS,
  type CampaignInput,
} from './definition.js';
export { summarize, wilson, type ArmSummary, type CampaignSummary } from './summary.js';
export { campaignRoi, type RoiArm, type RoiReport } from './roi.js';
export { FeedbackPublisher, type FeedbackPublisherOptions } from './feedback-publisher.js';
