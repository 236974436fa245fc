import type { FastifyInstance } from 'fastify';
import type pino from 'pino';
import { BrandDirectory, Metrics } from '../api/index.js';
import { BrandMatcher } from '../engines/text/index.js';
import type { EventIngestor } from '../ingest/index.js';
import { CONNECTOR_SOURCES } from '../ingest/sources.js';
import { scenarioBrands, type SyntheticSource } from '../ingest/synthetic/index.js';
import {
  DeadLetters,
  Instrumentation,
  type Bus,
  type Coordinator,
  type PartitionWorkers,
  type Store,
} from '../stream/index.js';
import { announceAccess, loadApiKeys } from './api-keys.js';
import { openBackends } from './backends.js';
import type { Config, Role } from './config.js';
import { loadBrands, loadScenarioSetting } from './inputs.js';
import { createLogger } from './logger.js';
import { apiRole } from './roles/api.js';
import { campaignService } from './roles/campaigns.js';
import type { RoleContext } from './roles/context.js';
import { ingestRole } from './roles/ingest.js';
import { pipelineRoles } from './roles/pipeline.js';

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
 * (in-process, or NATS + ClickHouse + Redis), then builds what the role asks for from the role
 * builders in roles/. The embedded default runs every role in one process.
 */
export async function startApp(config: Config, options: { dashboardDir?: string } = {}): Promise<Running> {
  const logger = await createLogger(config.logLevel, config.logFormat);
  const runs = (r: Role) => config.mode === 'embedded' || config.role === 'all' || config.role === r;
  // before any backend opens: services mode without a key (and without --insecure) stops here
  const apiKeys = await loadApiKeys(config);
  announceAccess(logger, config, apiKeys);
  const scenario = await loadScenarioSetting(config.scenarioFile);
  const specs = await loadBrands(config.brandsFile, scenario && scenarioBrands(scenario));
  const instrumentation = new Instrumentation();
  const metrics = new Metrics({ sources: [...CONNECTOR_SOURCES, ...config.metricSources] });
  metrics.sources.allow(apiKeys.names);
  const stopMetrics = metrics.observe(instrumentation);
  logPipelineEvents(instrumentation, logger);

  const backends = await openBackends(config, logger);
  const { bus, store, coordinator } = backends;
  backends.instrument(metrics);
  const deadLetters = new DeadLetters(bus, instrumentation);
  bus.onDeliveryExhausted((consumer, msg) => {
    void deadLetters
      .send(consumer, 'delivery_exhausted', `gave up after ${msg.deliveryCount} deliveries`, msg.data)
      .catch((err) => logger.error({ err }, 'dead letter lost'));
  });
  const ctx: RoleContext = {
    config,
    logger,
    bus,
    store,
    coordinator,
    instrumentation,
    metrics,
    deadLetters,
    specs,
    brands: new BrandDirectory(specs),
    matcher: new BrandMatcher(specs),
    scenario,
    runs,
  };

  const campaigns = campaignService(ctx);
  if (campaigns) ctx.campaigns = campaigns;
  const pipeline = await pipelineRoles(ctx);
  const api = await apiRole(ctx, apiKeys, options);
  const ingest = runs('ingest') ? await ingestRole(ctx, api.app) : undefined;
  await pipeline.start();
  const address = await api.app.listen({ host: config.host, port: config.port });
  await api.start();
  await ingest?.start();
  api.setReady(true);

  return {
    config,
    app: api.app,
    url: address.replace('127.0.0.1', 'localhost'),
    bus,
    store,
    coordinator,
    instrumentation,
    metrics,
    ingestor: ingest?.ingestor,
    synthetic: ingest?.synthetic,
    workers: pipeline.workers,
    async stop() {
      api.setReady(false);
      await ingest?.stop();
      await api.stop();
      await pipeline.stop();
      await campaigns?.stop();
      await campaigns?.store.close();
      stopMetrics();
      await backends.close();
    },
  };
}

function logPipelineEvents(instrumentation: Instrumentation, logger: pino.Logger): void {
  instrumentation.on('processor.error', (e) =>
    logger.error({ err: e.error, stage: e.stage, partition: e.partition }, 'batch failed; retrying'),
  );
  instrumentation.on('partition.assigned', (e) => logger.info(e, 'partition assigned'));
  instrumentation.on('partition.released', (e) => logger.info(e, 'partition released'));
  instrumentation.on('windows.dropped', (e) =>
    logger.warn(e, 'windows of another size than configured left out (the window setting changed)'),
  );
}
