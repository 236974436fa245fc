export {
  compareSubscriptions,
  matchesSubscription,
  severityRank,
  type EmailTarget,
  type AlertSubscription,
  type SubscriptionTarget,
  type WebhookTarget,
  type WebSocketTarget,
} from './subscriptions.js';
export {
  cooldownDecision,
  undoMark,
  confirmMark,
  type CooldownDecision,
  type CooldownRule,
  type NotificationKind,
  type NotifiedMark,
  type Suppression,
} from './cooldown.js';
export {
  DEFAULT_CLAIM_TTL_MS,
  type AlertActions,
  type AlertStateStore,
  type CreateSubscriptionResult,
  type MarkKey,
} from './store.js';
export { MemoryAlertStateStore, type MemoryAlertStateStoreOptions } from './memory-store.js';
export { RedisAlertStateStore, type RedisAlertStateStoreOptions } from './redis-store.js';
