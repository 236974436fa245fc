/** Spike alerts: per-brand detection of negative-share, negative-count and volume spikes. */
export { SpikeMonitor } from './monitor.js';
export { DEFAULT_SPIKE_OPTIONS, spikeOptions, type SpikeOptions } from './options.js';
export {
  SEVERITIES,
  SPIKE_KINDS,
  type AlertUpdate,
  type Severity,
  type SpikeKind,
  type WindowStats,
} from './types.js';
