import { createHash } from 'node:crypto';
import type { AlertRecord, AlertSubscription, NotificationKind } from '../../stream/index.js';

/** One notification of one alert update to one subscription. */
export interface Delivery {
  /** The same for every attempt and every process: receivers de-duplicate by it. */
  id: string;
  subscription: AlertSubscription;
  alert: AlertRecord;
  notification: NotificationKind;
}

/** The channels that send something; the `websocket` target has none (the live page shows alerts). */
export type ChannelName = 'webhook' | 'email';

/** Sends a delivery once; the notifier retries. */
export interface DeliveryChannel {
  readonly name: ChannelName;
  /** One attempt (1 for the first); throws a DeliveryError when it did not go through. */
  send(d: Delivery, attempt: number): Promise<void>;
}

/** A failed attempt: whether another could succeed, and how long the receiver asked us to wait. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, o: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: o.cause });
    this.retryable = o.retryable;
    this.retryAfterMs = o.retryAfterMs;
  }
}

/** `dlv_` and 32 hex digits of SHA-256 over (subscription, alert, update). */
export function deliveryId(subscriptionId: string, alertId: string, update: number): string {
  const h = createHash('sha256').update(`${subscriptionId}\u0000${alertId}\u0000${update}`).digest('hex');
  return `dlv_${h.slice(0, 32)}`;
}
