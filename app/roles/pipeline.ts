import { join } from 'node:path';
import { DEFAULT_SPIKE_OPTIONS } from '../../engines/spikes/index.js';
import {
  AlertDetection,
  AlertStage,
  type AlertDetectionOptions,
  type CheckpointSettings,
  DeadLetterSink,
  EnrichProcessor,
  selectOperators,
  Stage2Processor,
  startSentiment,
  type PartitionWorkers,
  type Stage2Input,
} from '../../stream/index.js';
import { ConfigError } from '../config.js';
import { PROJECT_ROOT } from '../paths.js';
import { workerGroup, type RoleContext, type RolePart } from './context.js';

type Sentiment = Awaited<ReturnType<typeof startSentiment>>;

/** The pipeline roles' workers by group (`enrich`, `aggregate`), and what they share. */
export interface PipelineRoles extends RolePart {
  start(): Promise<void>;
  workers: Map<string, PartitionWorkers>;
}

/**
 * The `enrich` role (stage 1) and the `aggregate` role (stage 2, its operators and the dead-letter
 * archive), as far as this process runs them, with the sentiment models they need.
 */
export async function pipelineRoles(ctx: RoleContext): Promise<PipelineRoles> {
  const { config, runs } = ctx;
  // The transformer tier re-scores in stage 1, which the fused stage 2 (`--aggregate-input events`) skips.
  const aggregateInput = config.sentimentModel === 'transformer' ? 'enriched' : config.aggregateInput;
  const enriching = runs('enrich') && aggregateInput === 'enriched';
  const fused = runs('aggregate') && aggregateInput === 'events';
  // Only the roles that score posts load the sentiment models.
  const sentiment = enriching || fused ? await startScoring(ctx) : undefined;
  const workers = new Map<string, PartitionWorkers>();
  if (sentiment && enriching) workers.set('enrich', enrichWorkers(ctx, sentiment));
  let deadLetterSink: DeadLetterSink | undefined;
  if (runs('aggregate')) {
    const input: Stage2Input =
      sentiment && fused
        ? { kind: 'events', matcher: ctx.matcher, scorer: sentiment.tiers }
        : { kind: 'enriched' };
    workers.set('aggregate', stage2Workers(ctx, input));
    if (config.operators.includes('spikes')) workers.set('alerts', alertWorker(ctx));
    deadLetterSink = deadLetterArchive(ctx);
  }
  ctx.metrics.observeLag(async () => (await Promise.all([...workers.values()].map((w) => w.lag()))).flat());
  return {
    workers,
    async start() {
      for (const w of workers.values()) await w.start();
      await deadLetterSink?.start();
    },
    async stop() {
      for (const w of workers.values()) await w.stop();
      await deadLetterSink?.stop();
      await sentiment?.close();
    },
  };
}

function startScoring(ctx: RoleContext): Promise<Sentiment> {
  const { config, instrumentation, logger } = ctx;
  return startSentiment({
    model: config.sentimentModel,
    linearWeights:
      config.sentimentLinearWeights ||
      join(PROJECT_ROOT, 'engines', 'sentiment', 'models', 'sentiment-linear-v1.bin'),
    languageCheck: config.sentimentLanguageCheck,
    transformer: {
      dir: config.sentimentTransformerDir,
      quantized: config.sentimentTransformerQuantized,
      select: config.sentimentTransformerSelect,
      budget: config.sentimentTransformerBudget,
      workers: config.sentimentTransformerWorkers,
      threads: config.sentimentTransformerThreads,
      batchSize: config.sentimentTransformerBatch,
      waitMs: config.sentimentTransformerWaitMs,
      labels: config.sentimentTransformerLabels,
    },
    instrumentation,
    log: (level, fields, message) => logger[level]({ ...fields, component: 'sentiment' }, message),
  });
}

/** Stage 1: enriches each partition's events onto `social.enriched`. */
function enrichWorkers(ctx: RoleContext, sentiment: Sentiment): PartitionWorkers {
  const { bus, matcher, deadLetters, instrumentation } = ctx;
  const scorer = sentiment.tiers;
  return workerGroup(
    ctx,
    'enrich',
    (partition) => new EnrichProcessor({ bus, partition, matcher, scorer, deadLetters, instrumentation }),
  );
}

/** Stage 2: the operators `--operators` selects, per partition, exactly once. */
function stage2Workers(ctx: RoleContext, input: Stage2Input): PartitionWorkers {
  const { config, bus, store, deadLetters, instrumentation } = ctx;
  const operators = selectOperators(config.operators);
  // Stream feedback updates the campaigns' arm statistics (idempotent per feedback key).
  const campaigns = ctx.campaigns;
  const settings = {
    windows: config.windows,
    outOfOrdernessMs: config.outOfOrdernessMs,
    allowedLatenessMs: config.allowedLatenessMs,
  };
  return workerGroup(
    ctx,
    'aggregate',
    (partition, lease) =>
      new Stage2Processor({
        bus,
        store,
        partition,
        settings,
        input,
        deadLetters,
        instrumentation,
        operators,
        operatorContext: {
          spikeWindowMs: config.alertWindow.sizeMs,
          brands: ctx.specs,
          campaignWindowMs: config.campaignWindow.sizeMs,
          analytics: {
            windowMs: config.analyticsWindow.sizeMs,
            topicScope: config.topicScope,
            segments: config.segments,
            segmentAuthors: config.segmentAuthors,
            topicMaxRate: config.topicMaxRate,
            trendWarmupWindows: config.trendWarmupWindows,
          },
        },
        ...(campaigns && { onFeedback: (items) => campaigns.applyFeedback(items) }),
        ...(store.insertEnriched && { keepEnriched: store.insertEnriched }),
        dedupWindowMs: config.dedupWindowSeconds * 1000,
        checkpoints: checkpointSettings(ctx, lease),
      }),
  );
}

/**
 * The alerts stage: one worker in the whole deployment (a lease group of one partition) adds up
 * every partition's spike windows and detects spikes.
 */
function alertWorker(ctx: RoleContext): PartitionWorkers {
  const { config, bus, store, instrumentation } = ctx;
  const detection: AlertDetectionOptions = {
    partitions: config.partitions,
    brands: ctx.specs.map((s) => s.name),
    spikes: {
      windowMs: config.alertWindow.sizeMs,
      threshold: config.alertThreshold,
      highThreshold: config.alertHighThreshold,
      // an alert resolves below this score, which a threshold under the default is not above
      resolveScore: Math.min(DEFAULT_SPIKE_OPTIONS.resolveScore, config.alertThreshold),
      confirmWindows: config.alertConfirmWindows,
      warmupMs: config.alertWarmupMinutes * 60_000,
    },
  };
  try {
    new AlertDetection(detection); // settings that do not fit together stop the start, not a worker later
  } catch (err) {
    throw new ConfigError(`spike alert settings: ${(err as Error).message}`, { cause: err });
  }
  return workerGroup(
    ctx,
    'alerts',
    (_partition, lease) =>
      new AlertStage({
        bus,
        store,
        instrumentation,
        detection,
        checkpoints: checkpointSettings(ctx, lease),
      }),
    1,
  );
}

/** Where a stage's checkpoints go and how often, fenced by the lease of its partition. */
function checkpointSettings(ctx: RoleContext, lease: string): CheckpointSettings {
  const { config, coordinator } = ctx;
  return {
    coordinator,
    lease,
    owner: config.workerId,
    everyEvents: config.checkpointEveryEvents,
    everyMs: config.checkpointEveryMs,
  };
}

/** Dead letters go to the store too where it can keep them (ClickHouse), for people to query. */
function deadLetterArchive(ctx: RoleContext): DeadLetterSink | undefined {
  const { bus, store, instrumentation } = ctx;
  const insert = store.insertDeadLetters?.bind(store);
  if (!insert) return undefined;
  return new DeadLetterSink({
    bus,
    instrumentation,
    write: async (letters) => {
      const mark = store.writeMark();
      await insert(letters);
      await store.flush(mark);
    },
  });
}
