export { buildApi, type ApiOptions, type QueryOptions } from './app.js';
export { BrandDirectory, brandId, type BrandInfo } from './brands.js';
export { LiveHub, type LiveHubOptions, type LiveListener } from './live-hub.js';
export { Metrics } from './plugins/metrics.js';
export { type RouteAccess } from './plugins/auth.js';
export {
  ApiKeys,
  MIN_KEY_LENGTH,
  parsePlainKeys,
  parseScopes,
  plainKeyRecords,
  presentedKey,
  SCOPES,
  type KeyRecord,
  type Scope,
} from './keys.js';
export { addKey, KeyFileError, readKeyFile, removeKey } from './key-file.js';
export { sendError, codeOf } from './errors.js';
export { AlertHub, type AlertListener } from './alert-hub.js';
export { alertRoutes, AlertSchema, type AlertActions, type AlertRoutesOptions } from './routes/alerts.js';
export {
  alertSubscriptionRoutes,
  MIN_SECRET_LENGTH,
  type AlertSubscriptionRoutesOptions,
} from './routes/alert-subscriptions.js';
export {
  EmailChannel,
  Notifier,
  WebhookChannel,
  verifySignature,
  signPayload,
  WebhookHeaders,
} from './alerts/index.js';
