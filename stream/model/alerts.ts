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

/** Open alerts first, then the most recently updated: how every list of alerts is ordered. */
export function alertOrder(a: AlertRecord, b: AlertRecord): number {
  return a.state === b.state ? b.updated_at - a.updated_at : a.state === 'open' ? -1 : 1;
}

/** What people did to an alert by hand, as lists of alerts show it. */
export interface ManualActions {
  acked_at?: number;
  acked_by?: string;
  resolved_at?: number;
  resolved_by?: string;
}

/** The alert with what people did to it by hand (`acked_*`, `resolved_by_hand_at`, `resolved_by`). */
export function withActions<A extends AlertRecord>(alert: A, actions: ManualActions | undefined): A {
  if (!actions) return alert;
  return {
    ...alert,
    ...(actions.acked_at !== undefined && { acked_at: actions.acked_at, acked_by: actions.acked_by ?? '' }),
    ...(actions.resolved_at !== undefined && {
      resolved_by_hand_at: actions.resolved_at,
      resolved_by: actions.resolved_by ?? '',
    }),
  };
}
