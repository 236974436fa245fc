export { buildApi, type ApiOptions, type QueryOptions } from './app.js';
export { BrandDirectory, brandId, type BrandInfo } from './brands.js';
export { LiveHub, type LiveHubOptions, type LiveListener } from './live-hub.js';
export { Metrics } from './plugins/metrics.js';
export { authPlugin, redactUrl, type AuthOptions, type RouteAccess } from './plugins/auth.js';
export {
  ApiKeys,
  generateKey,
  grants,
  keyDigest,
  MIN_KEY_LENGTH,
  parsePlainKeys,
  parseScopes,
  plainKeyRecords,
  presentedKey,
  SCOPES,
  type ApiKeyIdentity,
  type KeyRecord,
  type PlainKeyEntry,
  type Scope,
} from './keys.js';
export {
  addKey,
  KeyFileError,
  parseKeyFile,
  readKeyFile,
  removeKey,
  type KeyFile,
  type KeyFileEntry,
} from './key-file.js';
export { sendError, codeOf } from './errors.js';
