export * from './bus.js';
export { MemoryBus } from './memory-bus.js';
export { NatsBus, NATS_BUS_DEFAULTS, type NatsBusOptions, type NatsBusStats } from './nats-bus.js';
export * from './errors.js';
export * from './events.js';
export { Instrumentation, type PipelineEvents, type PipelineEventName } from './instrumentation.js';
export { partitionOf, fnv1a } from './partition.js';
export { Subjects, pipelineStreams, type TopologyOptions } from './topology.js';
export {
  DeadLetters,
  DeadLetterSink,
  type DeadLetterSinkOptions,
  type DeadLetter,
  DEAD_LETTER_PAYLOAD_BYTES,
} from './dead-letter.js';
export { retry, sleep, backoffDelay, type RetryOptions } from './retry.js';
export { ConsumerLoop, startPartitionLoop, type PartitionLoopOptions } from './processor.js';
export {
  parseWindow,
  TumblingWindowAssigner,
  WatermarkTracker,
  WindowOperator,
  type WindowSpec,
  type Aggregator,
  type WindowEmission,
} from './windows.js';
export { brandAggregator, addCounts, emptyCounts, type BrandCounts } from './brand-aggregate.js';
export {
  mergeRows,
  rowKey,
  type Store,
  type WindowRow,
  type WindowAggregate,
  type WindowQuery,
} from './store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { EnrichProcessor, enrichEvent, startEnrich, type EnrichOptions } from './enrich.js';
export * from './sentiment/index.js';
export {
  AggregateProcessor,
  LeaseLostError,
  PartitionWindows,
  toRow,
  type AggregateInput,
  type AggregateOptions,
  type CheckpointSettings,
  type WindowSettings,
} from './aggregate.js';
export { MemoryCoordinator, type Coordinator } from './coordination.js';
export { PartitionAssigner, leaseName, type AssignerOptions, type ReleaseReason } from './assigner.js';
export { PartitionWorkers, type PartitionWorker, type PartitionWorkersOptions } from './partition-workers.js';
export { joinLines, splitLines, chunkLines } from './event-batch.js';
export { DedupIndex, HashSet64, hash64, type DedupSnapshot } from './dedup.js';
