import { BrandDetector, type BrandState } from './brand-detector.js';
import { spikeOptions, type SpikeOptions } from './options.js';
import type { AlertUpdate, WindowStats } from './types.js';

const SNAPSHOT_VERSION = 1;

interface MonitorState {
  v: number;
  brands: [string, BrandState][];
}

/**
 * Spike detection for many brands: one BrandDetector per brand, made on its first window. Pure and
 * deterministic: the alerts depend only on the windows fed, in order, so a replay after a restore
 * gives the same alerts with the same ids.
 */
export class SpikeMonitor {
  readonly options: SpikeOptions;
  private readonly brands = new Map<string, BrandDetector>();

  /** Throws a RangeError naming the first bad option. */
  constructor(options: Partial<SpikeOptions> = {}) {
    this.options = spikeOptions(options);
  }

  /**
   * One brand's closed window; a brand's windows come in increasing start order (a window not after
   * the brand's last one is ignored). Missing windows count as zero posts. Returns the alert
   * updates the window caused, gap windows' first, then by kind (negative_share, negative_count,
   * volume).
   */
  observe(brand: string, w: WindowStats): AlertUpdate[] {
    let d = this.brands.get(brand);
    if (!d) {
      d = new BrandDetector(brand, this.options);
      this.brands.set(brand, d);
    }
    return d.observe(w);
  }

  /** The latest update of every open alert, by brand, then kind. */
  openAlerts(): AlertUpdate[] {
    const out: AlertUpdate[] = [];
    for (const brand of [...this.brands.keys()].sort()) out.push(...this.brands.get(brand)!.openAlerts());
    return out;
  }

  /** Brands tracked. */
  get size(): number {
    return this.brands.size;
  }

  /** JSON-safe. */
  snapshot(): unknown {
    const state: MonitorState = {
      v: SNAPSHOT_VERSION,
      brands: [...this.brands].map(([brand, d]) => [brand, d.snapshot()]),
    };
    return state;
  }

  /**
   * undefined (or null): empty. A snapshot of another version is refused with a RangeError.
   * `relearn`: the snapshot was taken with another window size (see BrandDetector.restore).
   */
  restore(state: unknown, relearn = false): void {
    this.brands.clear();
    if (state === undefined || state === null) return;
    const s = state as Partial<MonitorState>;
    if (s.v !== SNAPSHOT_VERSION || !Array.isArray(s.brands))
      throw new RangeError(`spike monitor: not a version ${SNAPSHOT_VERSION} snapshot`);
    for (const [brand, b] of s.brands) {
      const d = new BrandDetector(brand, this.options);
      d.restore(b, relearn);
      this.brands.set(brand, d);
    }
  }
}
