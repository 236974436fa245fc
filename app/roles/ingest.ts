import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { StreamConnector } from '../../ingest/connectors/connector.js';
import { JetstreamConnector } from '../../ingest/connectors/bluesky.js';
import { MastodonConnector } from '../../ingest/connectors/mastodon.js';
import { EventIngestor, httpIngest, RateLimiter } from '../../ingest/index.js';
import { IngestorSink } from '../../ingest/sink.js';
import {
  ClosedLoopCampaigns,
  submitGenerated,
  SyntheticGenerator,
  SyntheticSource,
  type GeneratorConfig,
} from '../../ingest/synthetic/index.js';
import { syntheticConfig } from '../inputs.js';
import type { RoleContext, RolePart } from './context.js';

type Connector = Pick<StreamConnector<unknown, unknown>, 'run' | 'stop'>;

export interface IngestRole extends RolePart {
  start(): Promise<void>;
  ingestor: EventIngestor;
  synthetic: SyntheticSource | undefined;
}

/**
 * The `ingest` role: the ingestor every way in submits to, HTTP ingest on the API server, the
 * synthetic traffic and the streaming connectors configured to run in this process.
 */
export async function ingestRole(ctx: RoleContext, app: FastifyInstance): Promise<IngestRole> {
  const { config, bus, deadLetters, instrumentation, metrics, logger } = ctx;
  const ingestor = new EventIngestor({
    bus,
    partitions: config.partitions,
    maxEventsPerMessage: config.busEventsPerMessage,
    maxFutureSkewMs: config.ingestMaxFutureSkewS * 1000,
    deadLetters,
    instrumentation,
  });
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
  const sink = new IngestorSink(ingestor);
  const generated = config.synthetic
    ? syntheticConfig(config, ctx.scenario, ctx.specs, ctx.brands, Date.now())
    : undefined;
  const closedLoop = generated && closedLoopOf(ctx, generated, sink);
  // The loop's campaigns have no backfilled history: a restart (services mode keeps the arm
  // statistics) would otherwise count rotated impressions over the time the last run decided.
  const generator =
    generated && new SyntheticGenerator(closedLoop ? { ...generated, closedLoop: true } : generated);
  const synthetic = generator
    ? new SyntheticSource({
        generator,
        backfillMs: config.syntheticBackfillMinutes * 60_000,
        sink: (batch) => submitGenerated(sink, batch),
        onError: (err) => logger.warn({ err }, 'synthetic batch failed; it is retried'),
        // The decisions start once the backfill and the catch-up after it are sent: a decision's
        // impression before the backfill's feedback (of other campaigns) would move the feedback
        // watermark past the backfilled windows, and all of their feedback would be late.
        ...(closedLoop && { onLive: (position: number) => closedLoop.start(position) }),
      })
    : undefined;
  const connectors = inProcessConnectors(ctx, sink);
  let syntheticStarted: Promise<void> | undefined;
  return {
    ingestor,
    synthetic,
    async start() {
      // Backfill runs in the background: the page is up at once and fills in as history arrives.
      syntheticStarted = synthetic?.start().catch((err) => logger.error({ err }, 'synthetic source failed'));
      for (const [name, c] of connectors)
        void c.run().catch((err: unknown) => logger.error({ err, connector: name }, 'connector stopped'));
    },
    async stop() {
      // Stop first: a backfill still running ends after its current chunk, not at its end.
      await closedLoop?.stop();
      await synthetic?.stop();
      await syntheticStarted;
      await Promise.all(connectors.map(([, c]) => c.stop()));
    },
  };
}

/**
 * The synthetic campaigns with `decide` asking this process's campaign service for their arms, when
 * it decides (runs the API with the campaigns operator); elsewhere the generator rotates their arms.
 */
function closedLoopOf(
  ctx: RoleContext,
  generated: GeneratorConfig,
  sink: IngestorSink,
): ClosedLoopCampaigns | undefined {
  const { campaigns: service, logger } = ctx;
  if (!service || !ctx.runs('api')) return undefined;
  const log = logger.child({ component: 'closed-loop' });
  let warned = 0;
  const loop = new ClosedLoopCampaigns({
    seed: generated.seed,
    campaigns: generated.campaigns ?? [],
    decide: (campaign) => service.decide(campaign),
    sink: async (events) => {
      await sink.submit(events, 'feedback');
    },
    // a campaign deleted or a store down fails every impression: one line a minute, not hundreds
    onError: (err) => {
      if (Date.now() - warned < 60_000) return;
      warned = Date.now();
      log.warn({ err }, 'synthetic campaign traffic: a decision or its feedback failed; going on');
    },
  });
  if (!loop.active) return undefined;
  log.info({ campaigns: loop.ids }, 'synthetic campaign traffic asks for decisions');
  return loop;
}

/**
 * The streaming connectors configured to run in this process (`--mastodon-instance`,
 * `--bluesky-jetstream`), handing events to the ingestor as HTTP ingest does.
 */
function inProcessConnectors(ctx: RoleContext, sink: IngestorSink): [string, Connector][] {
  const { config, logger } = ctx;
  const statePath = (name: string) =>
    config.connectorStateDir === '' ? undefined : join(config.connectorStateDir, `${name}.json`);
  const log = (name: string) => (line: string) => logger.info({ connector: name }, line);
  const out: [string, Connector][] = [];
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
