import {
  brandId,
  confirmMark,
  cooldownDecision,
  matchesSubscription,
  retry,
  sleep,
  undoMark,
  type AlertRecord,
  type AlertStateStore,
  type AlertSubscription,
  type CooldownDecision,
  type DeadLetters,
  type MarkKey,
  type NotifiedMark,
} from '../../stream/index.js';
import {
  deliveryId,
  DeliveryError,
  type ChannelName,
  type Delivery,
  type DeliveryChannel,
} from './delivery.js';
import { DeliveryEvents, type SkipReason } from './delivery-events.js';
import { DeliveryQueue } from './delivery-queue.js';

/** The dead-letter stage of given-up deliveries: subject `dlq.alert-delivery`. */
export const DELIVERY_DEAD_LETTER_STAGE = 'alert-delivery';

/** A delivery as queued: with the cooldown mark its update wrote, to undo if it is given up. */
interface QueuedDelivery extends Delivery {
  mark: { key: MarkKey; written: NotifiedMark };
}

/** A pino logger fits. */
export interface NotifierLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NotifierOptions {
  store: AlertStateStore;
  /** The channels that can send; a subscription whose channel is absent is dead-lettered. */
  channels: Partial<Record<ChannelName, DeliveryChannel>>;
  deadLetters: Pick<DeadLetters, 'send'>;
  events?: DeliveryEvents;
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  /** Backoff before the second attempt; it doubles (with jitter) up to `retryMaxMs`. */
  retryInitialMs: number;
  /** Longest wait between attempts, a receiver's Retry-After included. */
  retryMaxMs: number;
  /** Deliveries in flight at once (one per subscription at a time). */
  concurrency: number;
  /** Deliveries waiting; when full, `handle` waits for room. */
  maxQueued: number;
  /** See cooldownDecision in stream/alerts/cooldown.ts. */
  cooldownMs: number;
  log?: NotifierLog;
  now?: () => number;
  random?: () => number;
}

/**
 * Turns alert updates into notifications. For each subscription whose filters match, it claims
 * (subscription, alert id, update) in the store, so an update handled twice, by a replay or by
 * two processes, is notified at most once; applies the cooldown rule; and queues the delivery,
 * which runs in the background, retried with backoff and dead-lettered when it cannot go through.
 * An alert resolved by hand gets no more notifications.
 */
export class Notifier {
  readonly events: DeliveryEvents;
  private readonly queue: DeliveryQueue<QueuedDelivery>;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private stopped = false;
  /**
   * Claims this process took but could neither decide on nor give back (the store failed for
   * both): given back before the update is claimed again, or it would be taken for a duplicate.
   */
  private readonly unreleased = new Set<string>();

  constructor(private readonly o: NotifierOptions) {
    this.events = o.events ?? new DeliveryEvents();
    this.now = o.now ?? Date.now;
    this.queue = new DeliveryQueue<QueuedDelivery>((d) => this.deliver(d), {
      concurrency: o.concurrency,
      maxQueued: o.maxQueued,
    });
  }

  /** Deliveries waiting and running, for gauges. */
  get backlog(): { queued: number; running: number } {
    return { queued: this.queue.queued, running: this.queue.running };
  }

  /**
   * Queues the notifications of one alert update; resolves once they are queued (not sent).
   * Throws when the store cannot be reached; what was queued before stays queued.
   */
  async handle(alert: AlertRecord): Promise<void> {
    if (this.stopped) throw new Error('the notifier is stopped');
    const subs = (await this.o.store.listSubscriptions()).filter(
      (s) => s.target.type !== 'websocket' && matchesSubscription(s, alert),
    );
    if (subs.length === 0) return;
    const actions = (await this.o.store.actions([alert.id])).get(alert.id);
    for (const s of subs) {
      if (actions?.resolved_at !== undefined) this.skip('resolved_by_hand', s, alert);
      else await this.offer(s, alert);
    }
  }

  /** Resolves once every queued delivery is done (delivered or dead-lettered). */
  idle(): Promise<void> {
    return this.queue.drain();
  }

  /**
   * Takes no more alerts and lets queued deliveries finish for up to `graceMs`; then stops
   * retrying and dead-letters what has not started, so nothing is dropped silently.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    const timer = new AbortController();
    const drained = await Promise.race([
      this.queue.drain().then(() => true),
      sleep(graceMs, timer.signal).then(() => false),
    ]);
    timer.abort();
    if (drained) return;
    this.abort.abort();
    for (const d of this.queue.takePending()) await this.deadLetter(d, 0, 'stopped before delivery');
    await this.queue.drain();
  }

  private async offer(s: AlertSubscription, alert: AlertRecord): Promise<void> {
    const id = deliveryId(s.id, alert.id, alert.update);
    if (this.unreleased.has(id)) {
      await this.o.store.unclaim(s.id, alert.id, alert.update); // still down: the update comes again
      this.unreleased.delete(id);
    }
    if (!(await this.o.store.claim(s.id, alert.id, alert.update))) return this.skip('duplicate', s, alert);
    const decided: { decision?: CooldownDecision } = {};
    const rule = { cooldownMs: this.o.cooldownMs, notifyResolved: s.notify_resolved };
    const at = this.now();
    const key: MarkKey = { subscription: s.id, brand: brandId(alert.brand), kind: alert.kind };
    try {
      await this.o.store.updateMark(key, (current) => {
        const decision = cooldownDecision(current, alert, at, rule);
        decided.decision = decision;
        return 'mark' in decision ? decision.mark : undefined;
      });
    } catch (err) {
      // Undecided: give the claim back, or the update, handled again, would be taken as notified.
      await this.o.store.unclaim(s.id, alert.id, alert.update).catch(() => this.unreleased.add(id));
      throw err;
    }
    const decision = decided.decision ?? { suppressed: 'no_change' };
    if ('suppressed' in decision) return this.skip(decision.suppressed, s, alert);
    await this.queue.push(s.id, {
      id,
      subscription: s,
      alert,
      notification: decision.kind,
      mark: { key, written: decision.mark },
    });
  }

  private skip(reason: SkipReason, s: AlertSubscription, alert: AlertRecord): void {
    this.events.skip({ reason, subscription: s.id, alert: alert.id, update: alert.update });
  }

  private async deliver(d: QueuedDelivery): Promise<void> {
    const channel = this.o.channels[d.subscription.target.type as ChannelName];
    if (!channel) {
      const why = d.subscription.target.type === 'email' ? 'e-mail is off (no --smtp-url)' : 'no channel';
      return this.deadLetter(d, 0, why);
    }
    const fields = { subscription: d.subscription.id, alert: d.alert.id, update: d.alert.update };
    let attempt = 0;
    try {
      await retry(
        async () => {
          attempt++;
          try {
            await channel.send(d, attempt);
          } catch (err) {
            this.events.delivery({
              outcome: 'failed',
              channel: channel.name,
              ...fields,
              attempt,
              error: message(err),
            });
            throw err;
          }
        },
        {
          retries: this.o.maxAttempts - 1,
          initialMs: this.o.retryInitialMs,
          maxMs: this.o.retryMaxMs,
          retryable: (err) => err instanceof DeliveryError && err.retryable,
          delayFor: (err) =>
            err instanceof DeliveryError && err.retryAfterMs !== undefined
              ? Math.min(err.retryAfterMs, this.o.retryMaxMs)
              : undefined,
          onRetry: (_err, _attempt, delayMs) =>
            this.events.delivery({ outcome: 'retried', channel: channel.name, ...fields, attempt, delayMs }),
          signal: this.abort.signal,
          ...(this.o.random && { random: this.o.random }),
        },
      );
      this.events.delivery({ outcome: 'delivered', channel: channel.name, ...fields, attempt });
    } catch (err) {
      await this.deadLetter(d, attempt, message(err));
      return;
    }
    await this.confirmMark(d);
  }

  /**
   * A delivery done: the marks below its own are dropped from the chain of the cooldown mark (see
   * confirmMark in stream/alerts/cooldown.ts); the mark never goes back past one that was told.
   * Only tidies: when the store fails, the chain is cut by the next delivery instead.
   */
  private async confirmMark(d: QueuedDelivery): Promise<void> {
    const { key, written } = d.mark;
    try {
      await this.o.store.updateMark(key, (current) => confirmMark(current, written));
    } catch (err) {
      this.o.log?.warn(
        { subscription: d.subscription.id, alert: d.alert.id, update: d.alert.update, err },
        'alert delivered, and the cooldown marks below its own could not be dropped',
      );
    }
  }

  /**
   * A delivery given up: dead-lettered, and its cooldown mark undone (the subscriber was told
   * nothing). Its claim stays: the update is not sent again, the next one decides afresh.
   */
  private async deadLetter(d: QueuedDelivery, attempts: number, error: string): Promise<void> {
    await this.undoMark(d);
    await this.sendDeadLetter(d, attempts, error);
  }

  /**
   * Puts the cooldown mark back to what it was before this update's decision (deleted when there
   * was none), if it is still the one this update wrote (see undoMark in stream/alerts/cooldown.ts):
   * otherwise its next update would be skipped as no change, its resolve told of an alert never
   * told, and a new alert held back by the cooldown of one that reached nobody.
   */
  private async undoMark(d: QueuedDelivery): Promise<void> {
    const { key, written } = d.mark;
    try {
      await this.o.store.updateMark(key, (current) => undoMark(current, written));
    } catch (err) {
      this.o.log?.error(
        { subscription: d.subscription.id, alert: d.alert.id, update: d.alert.update, err },
        'alert delivery given up, and its cooldown mark could not be put back',
      );
    }
  }

  private async sendDeadLetter(d: Delivery, attempts: number, error: string): Promise<void> {
    const channel = d.subscription.target.type as ChannelName;
    const record = {
      delivery_id: d.id,
      subscription_id: d.subscription.id,
      channel,
      target: describeTarget(d.subscription),
      alert_id: d.alert.id,
      update: d.alert.update,
      notification: d.notification,
      attempts,
      error,
    };
    const fields = { subscription: d.subscription.id, alert: d.alert.id, update: d.alert.update };
    try {
      await this.o.deadLetters.send(
        DELIVERY_DEAD_LETTER_STAGE,
        'delivery_failed',
        `${channel} delivery failed after ${attempts} attempt(s): ${error}`,
        JSON.stringify(record),
        channel,
        `delivery:${d.id}`,
      );
      this.events.delivery({ outcome: 'dead_lettered', channel, ...fields, attempt: attempts, error });
      this.o.log?.warn(record, 'alert delivery failed; dead-lettered');
    } catch (err) {
      this.o.log?.error({ ...record, err }, 'alert delivery failed, and so did its dead letter');
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Where a delivery went, without secrets: a webhook URL's path may be one (Slack's are). */
function describeTarget(s: AlertSubscription): string {
  const t = s.target;
  if (t.type === 'webhook') {
    try {
      return new URL(t.url).origin;
    } catch {
      return 'webhook';
    }
  }
  return t.type === 'email' ? t.to.join(', ') : t.type;
}
