export * from './bus/bus.js';
export { MemoryBus } from './bus/memory/memory-bus.js';
export { NatsBus, NATS_BUS_DEFAULTS, type NatsBusOptions, type NatsBusStats } from './bus/nats/nats-bus.js';
export * from './model/index.js';
export { Instrumentation, type PipelineEvents, type PipelineEventName } from './instrumentation.js';
export { partitionOf, fnv1a } from './bus/partition.js';
export { Subjects, pipelineStreams, type TopologyOptions } from './bus/topology.js';
export {
  DeadLetters,
  DeadLetterSink,
  type DeadLetterSinkOptions,
  type DeadLetter,
  DEAD_LETTER_PAYLOAD_BYTES,
} from './bus/dead-letter.js';
export { retry, retryAfter, sleep, backoffDelay, type RetryOptions } from './retry.js';
export { ConsumerLoop, startPartitionLoop, type PartitionLoopOptions } from './bus/consumer-loop.js';
export {
  parseWindow,
  TumblingWindowAssigner,
  WatermarkTracker,
  WindowOperator,
  type WindowSpec,
  type Aggregator,
  type WindowEmission,
} from './windows/index.js';
export {
  brandAggregator,
  addCounts,
  emptyCounts,
  COUNT_TYPES,
  type BrandCounts,
} from './operators/brand-counts.js';
export {
  mergeRows,
  rowKey,
  WINDOW_TABLE,
  type Store,
  type WindowRow,
  type WindowAggregate,
  type WindowQuery,
} from './store/store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory/memory-store.js';
export { EnrichProcessor, enrichEvent, startEnrich, type EnrichOptions } from './stages/enrich.js';
export * from './sentiment/index.js';
export {
  Stage2Processor,
  LeaseLostError,
  type Stage2Input,
  type Stage2Options,
  type CheckpointSettings,
  type WindowSettings,
} from './stages/stage2.js';
export {
  PartitionOperators,
  type PartitionOperatorsOptions,
  type PartitionOutput,
  type OperatorsSnapshot,
} from './stages/partition-operators.js';
export type {
  Operator,
  OperatorContext,
  OperatorDefinition,
  OperatorOutput,
  TableWrite,
  LiveUpdate,
  KeyedFeedback,
} from './operators/operator.js';
export { OPERATORS, OPERATOR_NAMES, selectOperators, operatorTables } from './operators/registry.js';
export {
  CampaignWindows,
  campaignWindows,
  DEFAULT_CAMPAIGN_WINDOW_MS,
} from './operators/campaign-windows.js';
export { CAMPAIGN_WINDOWS_TABLE, type CampaignWindowRow } from './campaigns/windows-table.js';
export { WindowAggregates, windowAggregates, toRow } from './operators/window-aggregates.js';
export {
  BrandActivity,
  brandActivity,
  ACTIVITY_TABLE,
  type ActivityRow,
} from './operators/brand-activity.js';
export { HOURS_PER_WEEK } from '../engines/stats/index.js';
export {
  checkTableSpec,
  rowFromRecord,
  tableKey,
  type ColumnRange,
  type ColumnType,
  type TableFilter,
  type TableRow,
  type TableSpec,
} from './store/table.js';
export { MemoryCoordinator, type Coordinator } from './coordination/coordinator.js';
export {
  PartitionAssigner,
  leaseName,
  type AssignerOptions,
  type ReleaseReason,
} from './coordination/lease-assigner.js';
export {
  PartitionWorkers,
  type PartitionWorker,
  type PartitionWorkersOptions,
} from './coordination/partition-workers.js';
export { DedupIndex, HashSet64, hash64, type DedupSnapshot } from './stages/dedup.js';
export {
  SpikeWindows,
  spikeWindows,
  type SpikePartial,
  type SpikeWindowsMessage,
} from './operators/spike-windows.js';
export { AlertDetection, type AlertDetectionOptions } from './stages/alert-detection.js';
export { AlertStage, type AlertStageOptions } from './stages/alerts.js';
export { ALERTS_TABLE, alertFromRow, alertRow, type AlertRow } from './stages/alert-rows.js';
export {
  compareSubscriptions,
  cooldownDecision,
  undoMark,
  confirmMark,
  DEFAULT_CLAIM_TTL_MS,
  matchesSubscription,
  MemoryAlertStateStore,
  RedisAlertStateStore,
  severityRank,
  type AlertActions,
  type AlertStateStore,
  type CreateSubscriptionResult,
  type AlertSubscription,
  type CooldownDecision,
  type CooldownRule,
  type EmailTarget,
  type MarkKey,
  type MemoryAlertStateStoreOptions,
  type NotificationKind,
  type NotifiedMark,
  type RedisAlertStateStoreOptions,
  type SubscriptionTarget,
  type Suppression,
  type WebhookTarget,
  type WebSocketTarget,
} from './alerts/index.js';
export * from './campaigns/index.js';
export * from './analytics/tables.js';
export { AuthorSegments, type AuthorSegmentsOptions } from './analytics/author-segments.js';
export {
  DEFAULT_ANALYTICS,
  MAX_SEGMENT_AUTHORS,
  analyticsSettings,
  type AnalyticsSettings,
} from './operators/operator.js';
export { Topics, GLOBAL_SCOPE } from './operators/topics.js';
export { Trends } from './operators/trends.js';
export { Segments } from './operators/segments.js';
export * from './analytics/read.js';
