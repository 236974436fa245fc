/**
 * The shared model: event schemas, the brand spec, sentiment labels and the error catalogue. Every
 * part of the product (ingest, stream, api, app) takes them from here.
 */
export * from './events.js';
export * from './errors.js';
export * from './brands.js';
export { joinLines, splitLines, chunkLines } from './event-batch.js';
export * from './alerts.js';
