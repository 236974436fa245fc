/** Bandits: arm statistics, policies that rank arms from them, and the engine that runs one campaign. */
export * from './stats.js';
export * from './policy.js';
export * from './registry.js';
export * from './bandit.js';
export * from './lai-robbins.js';
export { ThompsonPolicy } from './thompson.js';
export { UcbPolicy } from './ucb1.js';
export { EpsilonGreedyPolicy } from './epsilon-greedy.js';
export { SegmentThompsonPolicy } from './segment-thompson.js';
export { sampleBeta, sampleGamma } from './sampling.js';
export { FeedbackWindows, type FeedbackCounts, type FeedbackWindow } from './feedback-windows.js';
