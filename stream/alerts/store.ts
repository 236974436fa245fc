import type { ManualActions, SpikeKind } from '../model/alerts.js';
import type { NotifiedMark } from './cooldown.js';
import type { AlertSubscription } from './subscriptions.js';

/**
 * What people did to an alert by hand, as GET /v1/alerts shows it: who (an API key's name, or
 * what the caller said) and when (ms). The first acknowledge and the first resolve are kept.
 */
export type AlertActions = ManualActions;

export type CreateSubscriptionResult = 'created' | 'taken' | 'full';

/** Where the cooldown mark of one subscriber, brand and kind lives. */
export interface MarkKey {
  subscription: string;
  /** The brand's id. */
  brand: string;
  kind: SpikeKind;
}

/**
 * The state of alert delivery: subscriptions, delivery claims, cooldown marks and manual actions.
 * In memory in the embedded default, in Redis in services mode (shared by every API replica), so a
 * notification is sent once whichever process handles the alert, and however often.
 */
export interface AlertStateStore {
  readonly kind: string;

  /**
   * Adds a subscription unless its id is taken or `limit` subscriptions exist already (atomic: replicas
   * creating at once do not pass the limit together); nothing changes unless `created`.
   */
  createSubscription(s: AlertSubscription, limit?: number): Promise<CreateSubscriptionResult>;
  /** Every subscription, oldest first. */
  listSubscriptions(): Promise<AlertSubscription[]>;
  getSubscription(id: string): Promise<AlertSubscription | undefined>;
  /** False when there was no such subscription. */
  deleteSubscription(id: string): Promise<boolean>;

  /**
   * True for the first caller only, per (subscription, alert, update), for the claim's time to live
   * (a few days): the one who may notify that update.
   */
  claim(subscriptionId: string, alertId: string, update: number): Promise<boolean>;
  /**
   * Gives a claim back, so that the update can be claimed (and notified) again: for a claimer that
   * failed before it could decide (the store unreachable), whose message comes back.
   */
  unclaim(subscriptionId: string, alertId: string, update: number): Promise<void>;

  getMark(key: MarkKey): Promise<NotifiedMark | undefined>;
  /**
   * Replaces the mark with `decide(current)` atomically (compare and set, retried on a conflict):
   * a mark from `decide` replaces it, `null` deletes it, `undefined` leaves it as it is. `decide`
   * may be called more than once (once per try). Returns what `decide` returned for the mark it
   * replaced (or deleted, or left).
   */
  updateMark(
    key: MarkKey,
    decide: (current: NotifiedMark | undefined) => NotifiedMark | null | undefined,
  ): Promise<NotifiedMark | null | undefined>;

  /** Records an acknowledge (the first one stays) and returns the alert's actions. */
  ack(alertId: string, by: string): Promise<AlertActions>;
  /** Records a resolve by hand (the first one stays): the alert gets no more notifications. */
  resolve(alertId: string, by: string): Promise<AlertActions>;
  /** The actions of the given alerts; alerts nobody touched are absent. */
  actions(alertIds: readonly string[]): Promise<Map<string, AlertActions>>;

  close(): Promise<void>;
}

/** Claims and cooldown marks live this long by default: longer than any replay or redelivery. */
export const DEFAULT_CLAIM_TTL_MS = 3 * 24 * 3600_000;
