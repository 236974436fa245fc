/**
 * Spike alerts: the kinds, the per-window input and the alert updates the engine emits. The
 * stream runtime and the API take these types from stream/model.
 */

/** negative_share: the share of negative posts; negative_count: how many; volume: all posts. */
export type SpikeKind = 'negative_share' | 'negative_count' | 'volume';

export const SPIKE_KINDS: readonly SpikeKind[] = ['negative_share', 'negative_count', 'volume'];

/** How bad: from a modest but confirmed rise to an extreme one. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** One brand's counts in one closed window (event time). */
export interface WindowStats {
  /** Window start, ms since the epoch; windows are fed in increasing start order. */
  start: number;
  posts: number;
  negative: number;
}

/**
 * An alert as it is after an update. One alert per (brand, kind) is open at a time; its id is
 * deterministic (brand, kind, start of the window that opened it), so a replay gives the same ids.
 */
export interface AlertUpdate {
  id: string;
  brand: string;
  kind: SpikeKind;
  state: 'open' | 'resolved';
  /** 0 when opened, +1 on every later change (severity, new peak, resolve): (id, update) is unique. */
  update: number;
  severity: Severity;
  /** Start of the first spiking window. */
  opened_at: number;
  /** End of the window that caused this update. */
  updated_at: number;
  /** End of the window the spike was over in; null while open. */
  resolved_at: number | null;
  window_ms: number;
  /** The value of this kind over `window_ms` (a share 0..1, or a count). */
  observed: number;
  /** What the baseline expected for that window. */
  baseline: number;
  /** Highest observed value since the alert opened. */
  peak: number;
  /** How far above the baseline, in robust standard deviations. */
  score: number;
  /**
   * Posts and negative posts over `window_ms`, the span the alert was found on: the latest window
   * for most alerts, the last 15 minutes or hour for slow or sparse ones (as `observed` and `baseline`).
   */
  posts: number;
  negative: number;
}
