export { EventIngestor, type IngestorOptions, type SubmitResult } from './publisher.js';
export { httpIngest, type HttpIngestOptions } from './http.js';
export { parseNdjson, type NdjsonLine } from './ndjson.js';
