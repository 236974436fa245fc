import type { FastifyInstance } from 'fastify';
import type pino from 'pino';
import { BrandDirectory, buildApi, LiveHub, Metrics } from '../api/index.js';
import { BrandMatcher } from '../engines/text/index.js';
import {
  scenarioBrands,
  submitGenerated,
  SyntheticGenerator,
  SyntheticSource,
} from '../ingest/synthetic/index.js';
import { EventIngestor, httpIngest, RateLimiter } from '../ingest/index.js';
import { JetstreamConnector } from '../ingest/connectors/bluesky.js';
import type { StreamConnector } from '../ingest/connectors/connector.js';
import { MastodonConnector } from '../ingest/connectors/mastodon.js';
import { IngestorSink } from '../ingest/sink.js';
import { CONNECTOR_SOURCES } from '../ingest/sources.js';
import {
  Stage2Processor,
  DeadLetters,
  DeadLetterSink,
  EnrichProcessor,
  Instrumentation,
  PartitionWorkers,
  selectOperators,
  startSentiment,
  type Stage2Input,
  type Bus,
  type Coordinator,
  type Store,
} from '../stream/index.js';
import { announceAccess, loadApiKeys } from './api-keys.js';
import { openBackends } from './backends.js';
import { createLogger } from './logger.js';
import type { Config, Role } from './config.js';
import { loadBrands, loadScenarioSetting, syntheticConfig } from './inputs.js';
import { join } from 'node:path';
import { DASHBOARD_DIR, PROJECT_ROOT, VERSION } from './paths.js';

export interface Running {
  config: Config;
  app: FastifyInstance;
  url: string;
  bus: Bus;
  store: Store;
  coordinator: Coordinator;
  instrumentation: Instrumentation;
  metrics: Metrics;
  /** Present in the roles that ingest (`ingest`, `all`). */
  ingestor: EventIngestor | undefined;
  synthetic: SyntheticSource | undefined;
  /** Partition workers by group (`aggregate`, `enrich`), in the roles that run them. */
  workers: Map<string, PartitionWorkers>;
  stop(): Promise<void>;
}

/**
 * The composition root: the only place that knows every part. It opens the backends of the mode
 * (in-process, or NATS + ClickHouse + Redis), then starts what the role asks for. The embedded
 * default runs every role in one process.
 */
export async function startApp(config: Config, options: { dashboardDir?: string } = {}): Promise<Running> {
  const logger = await createLogger(config.logLevel, config.logFormat);
  const runs = (r: Role) => config.mode === 'embedded' || config.role === 'all' || config.role === r;
  // before any backend opens: services mode without a key (and without --insecure) stops here
  const apiKeys = await loadApiKeys(config);
  announceAccess(logger, config, apiKeys);
  const scenario = await loadScenarioSetting(config.scenarioFile);
  const specs = await loadBrands(config.brandsFile, scenario && scenarioBrands(scenario));
  const brands = new BrandDirectory(specs);
  const instrumentation = new Instrumentation();
  const metrics = new Metrics({ sources: [...CONNECTOR_SOURCES, ...config.metricSources] });
  metrics.sources.allow(apiKeys.names);
  const stopMetrics = metrics.observe(instrumentation);
  instrumentation.on('processor.error', (e) =>
    logger.error({ err: e.error, stage: e.stage, partition: e.partition }, 'batch failed; retrying'),
  );
  instrumentation.on('partition.assigned', (e) => logger.info(e, 'partition assigned'));
  instrumentation.on('partition.released', (e) => logger.info(e, 'partition released'));

  const backends = await openBackends(config, logger);
  const { bus, store, coordinator, close: closeBackends } = backends;
  backends.instrument(metrics);
  const deadLetters = new DeadLetters(bus, instrumentation);
  bus.onDeliveryExhausted((consumer, msg) => {
    void deadLetters
      .send(consumer, 'delivery_exhausted', `gave up after ${msg.deliveryCount} deliveries`, msg.data)
      .catch((err) => logger.error({ err }, 'dead letter lost'));
  });

  const matcher = new BrandMatcher(specs);
  // The transformer tier re-scores in stage 1, which the fused stage 2 (`--aggregate-input events`) skips.
  const aggregateInput = config.sentimentModel === 'transformer' ? 'enriched' : config.aggregateInput;
  // Only the roles that score posts load the sentiment models.
  const scoring =
    (runs('enrich') && aggregateInput === 'enriched') || (runs('aggregate') && aggregateInput === 'events');
  const sentiment = !scoring
    ? undefined
    : await startSentiment({
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
  const settings = {
    windows: config.windows,
    outOfOrdernessMs: config.outOfOrdernessMs,
    allowedLatenessMs: config.allowedLatenessMs,
  };
  const workerGroup = (group: string, create: ConstructorParameters<typeof PartitionWorkers>[0]['create']) =>
    new PartitionWorkers({
      coordinator,
      group,
      owner: config.workerId,
      partitions: config.partitions,
      leaseTtlMs: config.leaseTtlMs,
      instrumentation,
      create,
      onError: (err) => logger.error({ err, group }, 'partition assignment failed; retrying'),
    });
  const workers = new Map<string, PartitionWorkers>();
  if (sentiment && runs('enrich') && aggregateInput === 'enriched') {
    const scorer = sentiment.tiers;
    workers.set(
      'enrich',
      workerGroup(
        'enrich',
        (partition) => new EnrichProcessor({ bus, partition, matcher, scorer, deadLetters, instrumentation }),
      ),
    );
  }
  if (runs('aggregate')) {
    const operators = selectOperators(config.operators);
    const input: Stage2Input =
      sentiment && aggregateInput === 'events'
        ? { kind: 'events', matcher, scorer: sentiment.tiers }
        : { kind: 'enriched' };
    workers.set(
      'aggregate',
      workerGroup(
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
            ...(store.insertEnriched && { keepEnriched: store.insertEnriched }),
            dedupWindowMs: config.dedupWindowSeconds * 1000,
            checkpoints: {
              coordinator,
              lease,
              owner: config.workerId,
              everyEvents: config.checkpointEveryEvents,
              everyMs: config.checkpointEveryMs,
            },
          }),
      ),
    );
  }

  const ingestor = runs('ingest')
    ? new EventIngestor({
        bus,
        partitions: config.partitions,
        maxEventsPerMessage: config.busEventsPerMessage,
        deadLetters,
        instrumentation,
      })
    : undefined;
  const hub = runs('api') ? new LiveHub({ bus, brands }) : undefined;
  hub?.start();
  let ready = false;
  const app = await buildApi({
    version: VERSION,
    metrics,
    notReady: () => (ready ? null : 'starting'),
    apiKeys,
    metricsPublic: config.metricsPublic,
    ...(hub && { query: { brands, store, hub, windows: config.windows, operators: config.operators } }),
    dashboardDir: options.dashboardDir ?? DASHBOARD_DIR,
    wsFlushIntervalMs: config.wsFlushIntervalMs,
    wsMaxBufferedBytes: config.wsMaxBufferedBytes,
    logger: logger.child({ component: 'api' }),
  });
  if (ingestor) {
    await app.register(httpIngest, {
      ingestor,
      bodyLimit: config.ingestBodyLimit,
      maxLineBytes: config.ingestMaxLineBytes,
      maxBatchEvents: config.ingestMaxBatchEvents,
      rateLimiter:
        config.ingestRateLimit > 0
          ? new RateLimiter({
              ratePerSec: config.ingestRateLimit,
              burst: config.ingestRateBurst || config.ingestMaxBatchEvents,
            })
          : undefined,
      onReply: (r) => metrics.ingestRequests.inc({ route: r.route, key: r.key, status: String(r.status) }),
    });
  }
  for (const w of workers.values()) await w.start();
  // Dead letters go to ClickHouse too, where people query them; the in-memory store has no table.
  const insertDeadLetters = store.insertDeadLetters?.bind(store);
  const deadLetterSink =
    runs('aggregate') && insertDeadLetters
      ? new DeadLetterSink({
          bus,
          instrumentation,
          write: async (letters) => {
            await insertDeadLetters(letters);
            await store.flush();
          },
        })
      : undefined;
  await deadLetterSink?.start();
  metrics.observeLag(async () => (await Promise.all([...workers.values()].map((w) => w.lag()))).flat());

  let synthetic: SyntheticSource | undefined;
  if (ingestor && config.synthetic) {
    const generator = new SyntheticGenerator(syntheticConfig(config, scenario, specs, brands, Date.now()));
    synthetic = new SyntheticSource({
      generator,
      backfillMs: config.syntheticBackfillMinutes * 60_000,
      sink: (batch) => submitGenerated(new IngestorSink(ingestor), batch),
      onError: (err) => logger.warn({ err }, 'synthetic batch failed; it is retried'),
    });
  }

  const connectors = ingestor ? inProcessConnectors(config, ingestor, logger) : [];

  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('127.0.0.1', 'localhost');
  // Backfill runs in the background: the page is up at once and fills in as history arrives.
  const syntheticStarted = synthetic
    ?.start()
    .catch((err) => logger.error({ err }, 'synthetic source failed'));
  for (const [name, c] of connectors)
    void c.run().catch((err: unknown) => logger.error({ err, connector: name }, 'connector stopped'));
  ready = true;

  return {
    config,
    app,
    url,
    bus,
    store,
    coordinator,
    instrumentation,
    metrics,
    ingestor,
    synthetic,
    workers,
    async stop() {
      ready = false;
      await syntheticStarted;
      await synthetic?.stop();
      await Promise.all(connectors.map(([, c]) => c.stop()));
      await app.close();
      for (const w of workers.values()) await w.stop();
      await deadLetterSink?.stop();
      await sentiment?.close();
      hub?.stop();
      stopMetrics();
      await closeBackends();
    },
  };
}

/**
 * The streaming connectors configured to run in this process (`--mastodon-instance`,
 * `--bluesky-jetstream`), handing events to the ingestor as HTTP ingest does.
 */
function inProcessConnectors(
  config: Config,
  ingestor: EventIngestor,
  logger: pino.Logger,
): [string, Pick<StreamConnector<unknown, unknown>, 'run' | 'stop'>][] {
  const sink = new IngestorSink(ingestor);
  const statePath = (name: string) =>
    config.connectorStateDir === '' ? undefined : join(config.connectorStateDir, `${name}.json`);
  const log = (name: string) => (line: string) => logger.info({ connector: name }, line);
  const out: [string, Pick<StreamConnector<unknown, unknown>, 'run' | 'stop'>][] = [];
  if (config.mastodonInstance !== '')
    out.push([
      'mastodon',
      new MastodonConnector({
        instance: config.mastodonInstance,
        ...(config.mastodonToken !== '' && { token: config.mastodonToken }),
        timelines: config.mastodonTimelines,
        sink,
        statePath: statePath('mastodon'),
        log: log('mastodon'),
      }),
    ]);
  if (config.blueskyJetstream !== '')
    out.push([
      'bluesky',
      new JetstreamConnector({
        url: config.blueskyJetstream,
        sink,
        statePath: statePath('bluesky'),
        log: log('bluesky'),
      }),
    ]);
  return out;
}
