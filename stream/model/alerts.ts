import type { AlertUpdate } from '../../engines/spikes/types.js';

export type { AlertUpdate, Severity, SpikeKind, WindowStats } from '../../engines/spikes/types.js';
export { SEVERITIES, SPIKE_KINDS } from '../../engines/spikes/types.js';

/** A post shown with an alert, as context. */
export interface AlertSample {
  id: string;
  source: string;
  ts: number;
  text: string;
}

/**
 * An alert as stage 2 stores and publishes it: the detector's update plus the context a
 * subscriber needs to act. Published on the durable subject `alerts.<brand id>` (JSON), stored in
 * the `alerts` table (latest update per id), and pushed on the WebSocket channel `alerts`.
 */
export interface AlertRecord extends AlertUpdate {
  /** Most frequent terms of the negative posts in the spiking windows, most frequent first. */
  top_terms: string[];
  /** A few negative posts from the spiking windows, earliest first. */
  samples: AlertSample[];
}

/** The NATS subject of a brand's alerts (`alerts.<brand id>`); brand ids are URL-safe. */
export function alertSubject(brandId: string): string {
  return `alerts.${brandId}`;
}
