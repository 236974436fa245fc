import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import pino from 'pino';
import { BrandDirectory, buildApi, LiveHub, Metrics } from '../api/index.js';
import { RulesSentiment } from '../engines/sentiment/index.js';
import { BrandMatcher, type BrandSpec } from '../engines/text/index.js';
import { DEFAULT_BRANDS, defaultCampaigns } from '../ingest/brands-default.js';
import { SyntheticGenerator, type GeneratedEvent, type SpikeSpec } from '../ingest/generator.js';
import { EventIngestor, httpIngest } from '../ingest/index.js';
import { SyntheticSource } from '../ingest/synthetic-source.js';
import {
  AggregateProcessor,
  DeadLetters,
  EnrichProcessor,
  Instrumentation,
  MemoryBus,
  MemoryStore,
  pipelineStreams,
  type Bus,
  type Store,
} from '../stream/index.js';
import { ConfigError, type Config } from './config.js';
import { DASHBOARD_DIR, VERSION } from './paths.js';

export interface Running {
  app: FastifyInstance;
  url: string;
  bus: Bus;
  store: Store;
  instrumentation: Instrumentation;
  metrics: Metrics;
  ingestor: EventIngestor;
  synthetic: SyntheticSource | undefined;
  stop(): Promise<void>;
}

const BrandFile = TypeCompiler.Compile(
  Type.Array(
    Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200 }),
        aliases: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }))),
        handles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }))),
        kind: Type.Optional(Type.Union([Type.Literal('own'), Type.Literal('competitor')])),
      },
      { additionalProperties: false },
    ),
    { minItems: 1, maxItems: 1000 },
  ),
);

export async function loadBrands(file: string | undefined): Promise<BrandSpec[]> {
  if (file === undefined) return DEFAULT_BRANDS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`brands file ${file}: ${(err as Error).message}`);
  }
  if (!BrandFile.Check(parsed)) {
    const e = BrandFile.Errors(parsed).First();
    throw new ConfigError(`brands file ${file}: ${e?.path || '/'} ${e?.message ?? 'is invalid'}`);
  }
  return parsed;
}

/** Parses `brand@start/duration*volume` items; `start` is `+Nm`/`+Ns` after `now` or an ISO time. */
export function parseSpikes(spec: string, brands: BrandDirectory, now: number): SpikeSpec[] {
  const out: SpikeSpec[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(.+)@(\+\d+[sm]|[0-9T:.+\-Z]+)\/(\d+)([sm])\*(\d+(?:\.\d+)?)$/.exec(item);
    if (!m)
      throw new ConfigError(
        `spike "${item}": expected brand@start/duration*volume, like northwind-coffee@+2m/3m*4`,
      );
    const brand = brands.find(m[1]!);
    if (!brand) throw new ConfigError(`spike "${item}": unknown brand "${m[1]}"`);
    const startText = m[2]!;
    const unit = (u: string) => (u === 's' ? 1000 : 60_000);
    const start = startText.startsWith('+')
      ? now + Number(startText.slice(1, -1)) * unit(startText.slice(-1))
      : Date.parse(startText);
    if (!Number.isFinite(start)) throw new ConfigError(`spike "${item}": invalid start "${startText}"`);
    out.push({
      brand: brand.name,
      start,
      durationMs: Number(m[3]) * unit(m[4]!),
      volumeMultiplier: Number(m[5]),
      negativeShare: 0.8,
    });
  }
  return out;
}

/**
 * The composition root of the embedded default: in-process bus, in-memory store, every stage in
 * this process, the API, and (optionally) synthetic traffic.
 */
export async function startEmbedded(
  config: Config,
  options: { dashboardDir?: string } = {},
): Promise<Running> {
  const logger = pino({ level: config.logLevel });
  const specs = await loadBrands(config.brandsFile);
  const brands = new BrandDirectory(specs);
  const instrumentation = new Instrumentation();
  const metrics = new Metrics();
  const stopMetrics = metrics.observe(instrumentation);
  instrumentation.on('processor.error', (e) =>
    logger.error({ err: e.error, stage: e.stage, partition: e.partition }, 'batch failed; retrying'),
  );

  const bus = new MemoryBus();
  for (const s of pipelineStreams({ retention: 'interest', maxBytes: 256 * 1024 * 1024 }))
    await bus.ensureStream(s);
  const store = new MemoryStore({ maxWindowsPerSeries: config.storeMaxWindows });
  const deadLetters = new DeadLetters(bus, instrumentation);
  bus.onDeliveryExhausted((consumer, msg) => {
    void deadLetters.send(
      consumer,
      'delivery_exhausted',
      `gave up after ${msg.deliveryCount} deliveries`,
      msg.data,
    );
  });

  const matcher = new BrandMatcher(specs);
  const scorer = new RulesSentiment();
  const settings = {
    windows: config.windows,
    outOfOrdernessMs: config.outOfOrdernessMs,
    allowedLatenessMs: config.allowedLatenessMs,
  };
  const processors: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  for (let p = 0; p < config.partitions; p++) {
    processors.push(
      new EnrichProcessor({ bus, partition: p, matcher, scorer, deadLetters, instrumentation }),
    );
    processors.push(
      new AggregateProcessor({ bus, store, partition: p, settings, deadLetters, instrumentation }),
    );
  }
  const ingestor = new EventIngestor({ bus, partitions: config.partitions, deadLetters, instrumentation });

  const hub = new LiveHub({ bus, brands });
  hub.start();
  let ready = false;
  const app = await buildApi({
    version: VERSION,
    brands,
    store,
    hub,
    metrics,
    windows: config.windows,
    notReady: () => (ready ? null : 'starting'),
    dashboardDir: options.dashboardDir ?? DASHBOARD_DIR,
    wsFlushIntervalMs: config.wsFlushIntervalMs,
    wsMaxBufferedBytes: config.wsMaxBufferedBytes,
    logger: logger.child({ component: 'api' }),
  });
  await app.register(httpIngest, {
    ingestor,
    bodyLimit: config.ingestBodyLimit,
    maxLineBytes: config.ingestMaxLineBytes,
  });
  for (const p of processors) await p.start();

  let synthetic: SyntheticSource | undefined;
  if (config.synthetic) {
    const now = Date.now();
    const generator = new SyntheticGenerator({
      seed: config.syntheticSeed,
      brands: specs,
      ratePerSec: config.syntheticRate,
      spikes: parseSpikes(config.syntheticSpikes, brands, now),
      campaigns: defaultCampaigns(specs),
    });
    synthetic = new SyntheticSource({
      generator,
      backfillMs: config.syntheticBackfillMinutes * 60_000,
      sink: (batch) => publishGenerated(ingestor, batch),
      onError: (err) => logger.warn({ err }, 'synthetic batch failed; it is retried'),
    });
  }

  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('127.0.0.1', 'localhost');
  // Backfill runs in the background: the page is up at once and fills in as history arrives.
  const syntheticStarted = synthetic
    ?.start()
    .catch((err) => logger.error({ err }, 'synthetic source failed'));
  ready = true;

  return {
    app,
    url,
    bus,
    store,
    instrumentation,
    metrics,
    ingestor,
    synthetic,
    async stop() {
      ready = false;
      await syntheticStarted;
      await synthetic?.stop();
      await app.close();
      for (const p of processors) await p.stop();
      hub.stop();
      stopMetrics();
      await bus.close();
      await store.close();
    },
  };
}

async function publishGenerated(ingestor: EventIngestor, batch: GeneratedEvent[]): Promise<void> {
  await Promise.all(
    batch.map((g) =>
      g.kind === 'social' ? ingestor.submitSocial(g.event) : ingestor.submitFeedback(g.event),
    ),
  );
}
