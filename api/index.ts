export { buildApi, type ApiOptions, type QueryOptions } from './app.js';
export { BrandDirectory, brandId, type BrandInfo } from './brands.js';
export { LiveHub, type LiveHubOptions, type LiveListener } from './live-hub.js';
export { Metrics } from './plugins/metrics.js';
export { sendError, codeOf } from './errors.js';
