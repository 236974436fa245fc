/**
 * Seeded synthetic traffic: the generator and its config, scenario files, their ground truth, and
 * the source that runs a generator against the clock into a sink.
 */
export { SyntheticGenerator, MAX_OUT_OF_ORDER_MS } from './generator.js';
export type { GeneratorConfig } from './config.js';
export type { GeneratedEvent, MalformedReason, SocialTruth } from './events.js';
export { SLOT_MS } from './slots.js';
export { GENERAL_TOPIC, type TopicPhase, type TopicSpec } from './topics.js';
export { BUILTIN_TOPICS } from './text/topic-vocabulary.js';
export { SPIKE_TOPICS, type SpikeSpec, type SpikeTopic, type SpikeTruth } from './spikes.js';
export type { ArmSpec, CampaignSpec } from './campaigns.js';
export { LATE_WARMUP_MS, MAX_DUPLICATE_DELAY_MS, MAX_LATE_MS } from './faults.js';
export { ScenarioSchema, durationMs, isIsoTime, type Scenario } from './scenario/schema.js';
export { ScenarioError, loadScenario, parseScenario } from './scenario/load.js';
export { resolveScenario, scenarioBrands, type ResolvedScenario } from './scenario/resolve.js';
export { GroundTruth, type TruthCounts, type TruthRecord } from './scenario/truth.js';
export { TruthFile } from './scenario/truth-file.js';
export { SyntheticSource, type SyntheticSourceOptions } from './source.js';
export { submitGenerated } from './submit.js';
export { ClosedLoopCampaigns, CLICK_DELAY_MS, type ClosedLoopOptions } from './closed-loop.js';
