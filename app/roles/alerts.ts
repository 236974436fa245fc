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
  retry,
  startPartitionLoop,
  Subjects,
  type AlertRecord,
  type AlertStateStore,
  type BusMessage,
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
  const log = logger.child({ component: 'alerts' });
  const notifier = new Notifier({
    store,
    channels: {
      webhook: new WebhookChannel({ timeoutMs: config.alertDeliveryTimeoutMs }),
      ...(email && { email }),
    },
    deadLetters,
    log,
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
  const workers = workerGroup(ctx, 'notifier', () => new AlertFeed({ ...ctx, notifier, log }), 1);
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

/**
 * Reads the durable alert updates and hands each to the notifier, in order; acked once queued. An
 * update the notifier cannot take (the alert state store unreachable) is handled again after a
 * backoff, until it goes through or the feed stops, the batch kept from its ack wait meanwhile:
 * left to the ack wait, it came back 30 s later, after the updates behind it (a resolve before
 * its open), and after `maxDeliver` failures it was dead-lettered, never notified.
 */
export class AlertFeed implements PartitionWorker {
  private loop: ConsumerLoop | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly o: Pick<RoleContext, 'bus' | 'instrumentation'> & {
      notifier: Pick<Notifier, 'handle'>;
      log?: { warn(obj: object, msg: string): void };
      /** Longest wait between two tries of an update. */
      retryMaxMs?: number;
    },
  ) {}

  async start(): Promise<void> {
    this.loop = await startPartitionLoop({
      bus: this.o.bus,
      stream: 'ALERTS',
      filterSubject: Subjects.alertsAll,
      stage: 'notifier',
      partition: 0,
      batchSize: 100,
      instrumentation: this.o.instrumentation,
      handle: (batch) => this.handle(batch),
    });
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    for (const [i, m] of batch.entries()) {
      // A broken message is not tried again here (it would hold every alert behind it): thrown,
      // it comes back after the ack wait, and is dead-lettered after the last delivery.
      const alert = decodeJson<AlertRecord>(m.data);
      if (!wellFormed(alert)) throw new Error(`not an alert update: ${m.subject} #${m.seq}`);
      await retry(() => this.o.notifier.handle(alert), {
        retries: Infinity,
        initialMs: 100,
        maxMs: this.o.retryMaxMs ?? 5000,
        signal: this.stopping.signal,
        onRetry: (err, attempt, delayMs) => {
          for (const waiting of batch.slice(i)) waiting.working();
          this.o.log?.warn(
            { err, alert: alert.id, update: alert.update, attempt, delayMs },
            'could not queue the notifications of an alert update; trying again',
          );
        },
      });
      m.ack();
    }
  }

  async pending(): Promise<number> {
    return this.loop ? (await this.loop.info()).numPending : 0;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop?.stop();
  }
}

function wellFormed(a: AlertRecord | null): boolean {
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof a.id === 'string' &&
    typeof a.brand === 'string' &&
    typeof a.kind === 'string' &&
    typeof a.state === 'string' &&
    typeof a.severity === 'string' &&
    Number.isInteger(a.update)
  );
}
