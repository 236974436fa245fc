export { EventIngestor, type IngestorOptions, type SubmitResult } from './publisher.js';
export { httpIngest, type HttpIngestOptions } from './http.js';
export { RateLimiter, type RateLimiterOptions } from './rate-limit.js';
export { parseNdjson, type NdjsonLine } from './ndjson.js';
