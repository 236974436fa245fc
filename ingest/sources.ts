import { BLUESKY_SOURCE } from './connectors/bluesky.js';
import { MASTODON_SOURCE } from './connectors/mastodon.js';

/**
 * The `source` of the events the built-in connectors make (the synthetic generator, file replay
 * with no `--source`, the Mastodon and Bluesky connectors), and `unknown`, which ingest uses for a
 * refused input that names no source. Metrics keep these as labels; see `--metric-sources`.
 */
export const CONNECTOR_SOURCES: readonly string[] = [
  'synthetic',
  'replay',
  MASTODON_SOURCE,
  BLUESKY_SOURCE,
  'unknown',
];
