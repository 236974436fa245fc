import type { FastifyInstance } from 'fastify';
import {
  alertSubscriptionRoutes,
  EmailChannel,
  Notifier,
  WebhookChannel,
  type AlertHub,
} from '../../api/index.js';
import {
  ALERTS_TABLE,
  decodeJson,
  MemoryAlertStateStore,
  RedisAlertStateStore,
  startPartitionLoop,
  Subjects,
  type AlertRecord,
  type AlertStateStore,
  type ConsumerLoop,
  type PartitionWorker,
  type PartitionWorkers,
} from '../../stream/index.js';
import { workerGroup, type RoleContext, type RolePart } from './context.js';

/** Subscriptions, claims and manual actions: in memory in the embedded default, in Redis in services mode. */
export function alertStateStore(ctx: RoleContext): AlertStateStore {
  const { config } = ctx;
  const claimTtlMs = config.alertClaimTtlHours * 3_600_000;
  return config.mode === 'embedded'
    ? new MemoryAlertStateStore({ claimTtlMs })
    : new RedisAlertStateStore({ url: config.redisUrl, prefix: config.redisPrefix, claimTtlMs });
}

export interface AlertDelivery extends RolePart {
  start(): Promise<void>;
  notifier: Notifier;
  workers: PartitionWorkers;
}

/**
 * Alert delivery in the `api` role: the subscription and ack/resolve routes on the API server, and
 * one notifier in the deployment (lease `notifier-0`) reading the durable `alerts.*` stream and
 * delivering each update to the subscriptions it matches (webhooks, e-mail), at most once per
 * subscription, alert and update.
 */
export async function alertDelivery(
  ctx: RoleContext,
  app: FastifyInstance,
  store: AlertStateStore,
  hub: AlertHub | undefined,
): Promise<AlertDelivery> {
  const { config, metrics, deadLetters, logger } = ctx;
  await app.register(alertSubscriptionRoutes, {
    store,
    brands: ctx.brands,
    emailEnabled: config.smtpUrl !== '',
    maxSubscriptions: config.alertMaxSubscriptions,
    alertExists: async (id) => (await ctx.store.read(ALERTS_TABLE, { id })).length > 0,
    ...(hub && { onAction: (id, actions) => hub.act(id, actions) }),
  });
  const email =
    config.smtpUrl !== ''
      ? new EmailChannel({
          url: config.smtpUrl,
          from: config.smtpFrom,
          timeoutMs: config.alertDeliveryTimeoutMs,
        })
      : undefined;
  const notifier = new Notifier({
    store,
    channels: {
      webhook: new WebhookChannel({ timeoutMs: config.alertDeliveryTimeoutMs }),
      ...(email && { email }),
    },
    deadLetters,
    log: logger.child({ component: 'alerts' }),
    maxAttempts: config.alertDeliveryAttempts,
    retryInitialMs: config.alertRetryInitialMs,
    retryMaxMs: config.alertRetryMaxMs,
    concurrency: config.alertDeliveryConcurrency,
    maxQueued: config.alertDeliveryQueue,
    cooldownMs: config.alertNotifyCooldownMinutes * 60_000,
  });
  notifier.events.on('delivery', (e) =>
    metrics.alertDeliveries.inc({ channel: e.channel, outcome: e.outcome }),
  );
  notifier.events.on('skipped', (e) => metrics.alertSkipped.inc({ reason: e.reason }));
  const workers = workerGroup(ctx, 'notifier', () => new AlertFeed(ctx, notifier), 1);
  // actions other API processes told while this one could not hear them (NATS down) show within this
  let refresh: ReturnType<typeof setInterval> | undefined;
  return {
    notifier,
    workers,
    start: async () => {
      if (hub)
        refresh = setInterval(() => {
          hub
            .refreshActions(store)
            .catch((err) => logger.debug({ err }, 'could not read the alerts’ manual actions'));
        }, ACTIONS_REFRESH_MS).unref();
      await workers.start();
    },
    async stop() {
      clearInterval(refresh);
      await workers.stop();
      await notifier.stop();
      email?.close();
    },
  };
}

/** How often each API process reads the alerts' manual actions again (see AlertHub.refreshActions). */
export const ACTIONS_REFRESH_MS = 30_000;

/** Reads the durable alert updates and hands each to the notifier; acked once queued. */
class AlertFeed implements PartitionWorker {
  private loop: ConsumerLoop | undefined;

  constructor(
    private readonly ctx: RoleContext,
    private readonly notifier: Notifier,
  ) {}

  async start(): Promise<void> {
    this.loop = await startPartitionLoop({
      bus: this.ctx.bus,
      stream: 'ALERTS',
      filterSubject: Subjects.alertsAll,
      stage: 'notifier',
      partition: 0,
      batchSize: 100,
      instrumentation: this.ctx.instrumentation,
      handle: async (batch) => {
        for (const m of batch) {
          await this.notifier.handle(decodeJson<AlertRecord>(m.data));
          m.ack();
        }
      },
    });
  }

  async pending(): Promise<number> {
    return this.loop ? (await this.loop.info()).numPending : 0;
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
