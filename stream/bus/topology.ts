import type { StreamConfig } from './bus.js';

/** Subject names of the pipeline (DESIGN.md, data flow). */
export const Subjects = {
  events: (p: number) => `social.events.${p}`,
  enriched: (p: number) => `social.enriched.${p}`,
  feedback: (p: number) => `feedback.${p}`,
  deadLetter: (stage: string) => `dlq.${stage}`,
  liveWindows: (p: number) => `live.windows.${p}`,
  liveWindowsAll: 'live.windows.*',
  /** Each partition's closed spike windows (partial counts per brand), for the alerts stage. */
  spikeWindows: (p: number) => `spikes.windows.${p}`,
  /** A brand's alert updates (`alerts.<brand id>`), durable, for subscribers and the notifier. */
  alerts: (brandId: string) => `alerts.${brandId}`,
  alertsAll: 'alerts.*',
  liveAlerts: 'live.alerts',
  /** What people did to an alert by hand (acknowledge, resolve), for every API process's live page. */
  liveAlertActions: 'live.alert-actions',
} as const;

export interface TopologyOptions {
  /** `interest` suits the in-process bus (memory is freed once consumed); `limits` suits JetStream. */
  retention: 'limits' | 'interest';
  maxAgeMs?: number;
  maxBytes?: number;
  duplicateWindowMs?: number;
}

const SMALL_STREAM_BYTES = 256 * 1024 * 1024;

function small(maxBytes: number | undefined): number {
  return Math.min(maxBytes ?? SMALL_STREAM_BYTES, SMALL_STREAM_BYTES);
}

export function pipelineStreams(o: TopologyOptions): StreamConfig[] {
  const common = {
    retention: o.retention,
    discard: 'old' as const,
    ...(o.maxAgeMs !== undefined && { maxAgeMs: o.maxAgeMs }),
    ...(o.maxBytes !== undefined && { maxBytes: o.maxBytes }),
    ...(o.duplicateWindowMs !== undefined && { duplicateWindowMs: o.duplicateWindowMs }),
  };
  return [
    { name: 'SOCIAL_EVENTS', subjects: ['social.events.*'], ...common },
    { name: 'SOCIAL_ENRICHED', subjects: ['social.enriched.*'], ...common },
    { name: 'FEEDBACK', subjects: ['feedback.*'], ...common },
    // A message per partition and spike window, and one per alert update: small streams, so they
    // reserve little of the server's storage whatever the event streams may use.
    { name: 'SPIKE_WINDOWS', subjects: ['spikes.windows.*'], ...common, maxBytes: small(o.maxBytes) },
    { name: 'ALERTS', subjects: ['alerts.*'], ...common, maxBytes: small(o.maxBytes) },
    // Dead letters are kept for people to inspect, whatever the others do.
    { name: 'DEAD_LETTERS', subjects: ['dlq.*'], retention: 'limits', maxMsgs: 100_000, discard: 'old' },
  ];
}
