import { EventEmitter } from 'node:events';
import type { Suppression } from '../../stream/index.js';
import type { ChannelName } from './delivery.js';

/**
 * `delivered`: an attempt went through. `failed`: an attempt did not (each one counts).
 * `retried`: another attempt follows a failed one. `dead_lettered`: the delivery was given up
 * and sent to the dead-letter subject.
 */
export type DeliveryOutcome = 'delivered' | 'failed' | 'retried' | 'dead_lettered';

/**
 * Why a matching alert update was not delivered to a subscription: `duplicate` (already claimed:
 * handled twice, or by another process), `resolved_by_hand`, or the cooldown rule's reasons.
 */
export type SkipReason = 'duplicate' | 'resolved_by_hand' | Suppression;

export interface DeliveryEvent {
  outcome: DeliveryOutcome;
  channel: ChannelName;
  subscription: string;
  alert: string;
  update: number;
  /** 1 for the first attempt. */
  attempt: number;
  /** Why an attempt failed, or why the delivery was given up. */
  error?: string;
  /** `retried`: the wait before the next attempt (the backoff, or the receiver's Retry-After). */
  delayMs?: number;
}

export interface SkipEvent {
  reason: SkipReason;
  subscription: string;
  alert: string;
  update: number;
}

interface Events {
  delivery: DeliveryEvent;
  skipped: SkipEvent;
}

const CHANNELS: readonly ChannelName[] = ['webhook', 'email'];
const OUTCOMES: readonly DeliveryOutcome[] = ['delivered', 'failed', 'retried', 'dead_lettered'];

/**
 * What the notifier reports: events to hook metrics and logs onto, and running totals.
 * E.g. `events.on('delivery', (e) => counter.inc({ channel: e.channel, outcome: e.outcome }))`.
 */
export class DeliveryEvents {
  /** Totals per channel and outcome since start. */
  readonly counts = Object.fromEntries(
    CHANNELS.map((c) => [c, Object.fromEntries(OUTCOMES.map((o) => [o, 0]))]),
  ) as Record<ChannelName, Record<DeliveryOutcome, number>>;
  /** Totals per skip reason since start. */
  readonly skipped: Partial<Record<SkipReason, number>> = {};
  private readonly emitter = new EventEmitter();

  on<K extends keyof Events>(name: K, listener: (e: Events[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  delivery(e: DeliveryEvent): void {
    this.counts[e.channel][e.outcome]++;
    this.emitter.emit('delivery', e);
  }

  skip(e: SkipEvent): void {
    this.skipped[e.reason] = (this.skipped[e.reason] ?? 0) + 1;
    this.emitter.emit('skipped', e);
  }
}
