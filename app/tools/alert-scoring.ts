/**
 * Scores alerts against known spikes: an alert matches a spike of its brand when its time span
 * (opened_at to resolved_at, or its last update while open) overlaps the spike's, widened by a grace
 * of two windows on each side.
 */
import type { AlertUpdate, SpikeKind } from '../../engines/spikes/index.js';

export interface TrueSpike {
  brand: string;
  start: number;
  end: number;
}

/** An alert as scored: its first and latest updates. */
export interface ScoredAlert {
  id: string;
  brand: string;
  kind: SpikeKind;
  severity: string;
  opened_at: number;
  /** The end of the window whose close opened it. */
  detected_at: number;
  /** The end of its span: resolved_at, or its latest update. */
  until: number;
}

export interface AlertFigures {
  spikes: number;
  detected: number;
  alerts: number;
  matched_alerts: number;
  precision: number | null;
  recall: number | null;
  /**
   * From a spike's start to the end of the window that opened its first alert (seconds); an alert
   * that opened before the labelled start (the rise began earlier) counts as 0.
   */
  median_delay_s: number | null;
  median_delay_windows: number | null;
  /** Spikes whose first alert opened before their labelled start. */
  early: number;
  /** Alerts per detected spike (every kind counts: a spike shows in up to three). */
  alerts_per_spike: number | null;
  by_kind: Record<string, { alerts: number; matched: number; spikes_detected: number }>;
}

export const GRACE_WINDOWS = 2;

/** The alerts behind a list of updates, one per id, in the order they opened. */
export function alertsOf(updates: readonly AlertUpdate[]): ScoredAlert[] {
  const byId = new Map<string, ScoredAlert>();
  for (const u of updates) {
    const a = byId.get(u.id);
    if (!a) {
      byId.set(u.id, {
        id: u.id,
        brand: u.brand,
        kind: u.kind,
        severity: u.severity,
        opened_at: u.opened_at,
        detected_at: u.updated_at,
        until: u.resolved_at ?? u.updated_at,
      });
      continue;
    }
    a.severity = u.severity;
    a.until = u.resolved_at ?? u.updated_at;
  }
  return [...byId.values()];
}

export function matches(a: ScoredAlert, s: TrueSpike, windowMs: number): boolean {
  const grace = GRACE_WINDOWS * windowMs;
  return a.brand === s.brand && a.opened_at < s.end + grace && a.until > s.start - grace;
}

export function score(
  alerts: readonly ScoredAlert[],
  spikes: readonly TrueSpike[],
  windowMs: number,
): AlertFigures {
  const matched = alerts.filter((a) => spikes.some((s) => matches(a, s, windowMs)));
  const delays: number[] = [];
  let perSpike = 0;
  let early = 0;
  for (const s of spikes) {
    const own = alerts.filter((a) => matches(a, s, windowMs));
    if (own.length === 0) continue;
    perSpike += own.length;
    delays.push(Math.min(...own.map((a) => a.detected_at)) - s.start);
    if (delays[delays.length - 1]! < 0) early++;
  }
  const by_kind: AlertFigures['by_kind'] = {};
  for (const kind of new Set(alerts.map((a) => a.kind))) {
    const own = alerts.filter((a) => a.kind === kind);
    by_kind[kind] = {
      alerts: own.length,
      matched: own.filter((a) => matched.includes(a)).length,
      spikes_detected: spikes.filter((s) => own.some((a) => matches(a, s, windowMs))).length,
    };
  }
  const delay = median(delays.map((d) => Math.max(0, d)));
  return {
    spikes: spikes.length,
    detected: delays.length,
    alerts: alerts.length,
    matched_alerts: matched.length,
    precision: alerts.length ? matched.length / alerts.length : null,
    recall: spikes.length ? delays.length / spikes.length : null,
    median_delay_s: delay === null ? null : delay / 1000,
    median_delay_windows: delay === null ? null : delay / windowMs,
    early,
    alerts_per_spike: delays.length ? perSpike / delays.length : null,
    by_kind,
  };
}

/** Figures of several runs together (the spikes and alerts of all of them). */
export function pooled(
  runs: readonly { alerts: ScoredAlert[]; spikes: TrueSpike[]; windowMs: number }[],
): AlertFigures {
  // Runs may share brand names and times: keep them apart by tagging the brand with the run.
  const alerts = runs.flatMap((r, i) => r.alerts.map((a) => ({ ...a, brand: `${i}\u0000${a.brand}` })));
  const spikes = runs.flatMap((r, i) => r.spikes.map((s) => ({ ...s, brand: `${i}\u0000${s.brand}` })));
  return score(alerts, spikes, runs[0]?.windowMs ?? 60_000);
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
