import { SpikeMonitor, type SpikeOptions } from '../../engines/spikes/index.js';
import type { AlertRecord, AlertSample } from '../model/alerts.js';
import { mostFrequent, type SpikePartial, type SpikeWindowsMessage } from '../operators/spike-windows.js';

/** Windows of context (terms, samples) kept per brand for the alerts they explain. */
const CONTEXT_WINDOWS = 15;
const TOP_TERMS = 10;
const SAMPLES = 5;

export interface AlertDetectionOptions {
  /** Stage 2's partitions: a window is complete when every one of them has closed it. */
  partitions: number;
  /** The configured brands (names): each is judged every window, zero posts included. */
  brands: readonly string[];
  spikes?: Partial<SpikeOptions>;
}

interface BrandContext {
  start: number;
  terms: [string, number][];
  samples: AlertSample[];
}

/**
 * The alerts stage's state, without I/O: the partitions' spike windows added up per brand once every
 * partition has closed them, fed in window order to the spike monitor (engines/spikes), and its
 * alert updates given the context of the spiking windows (top negative terms, sample posts).
 * Deterministic in the order of the messages; repeats of a partition's window change nothing.
 */
export class AlertDetection {
  readonly monitor: SpikeMonitor;
  /** Per partition: every window up to this start is closed there. */
  private readonly closed: number[];
  /** Window start → brand → partition → partial. */
  private readonly pending = new Map<number, Map<string, Map<number, SpikePartial>>>();
  /** The last window start fed to the monitor. */
  private fedThrough = Number.NEGATIVE_INFINITY;
  private readonly context = new Map<string, BrandContext[]>();
  /**
   * Messages ignored for their window size (`window_ms` other than the monitor's `windowMs`), and
   * the partition windows they held: see `add`. Counted since this instance was made.
   */
  ignoredMessages = 0;
  ignoredWindows = 0;

  constructor(readonly options: AlertDetectionOptions) {
    if (!(Number.isInteger(options.partitions) && options.partitions >= 1))
      throw new RangeError('partitions must be a whole number, at least 1');
    this.monitor = new SpikeMonitor(options.spikes);
    this.closed = Array.from({ length: options.partitions }, () => Number.NEGATIVE_INFINITY);
  }

  /** The spike window this stage judges (`--alert-window`, ms). */
  get windowMs(): number {
    return this.monitor.options.windowMs;
  }

  /**
   * Takes one partition's message; returns the alert updates of the windows it completed. A message
   * whose `window_ms` is not this stage's window is ignored (counted in `ignoredMessages` and
   * `ignoredWindows`): after a change of `--alert-window`, the stream still holds windows of the
   * old size (published before stage 2 restarted, or by a partition not restarted yet), and a
   * 5-minute window judged as a 1-minute one would look like a jump in volume. Nor does it move the
   * partition's closed time: a partition is complete again once it publishes windows of this size.
   */
  add(message: SpikeWindowsMessage): AlertRecord[] {
    const p = message.partition;
    if (!(p >= 0 && p < this.closed.length)) return []; // from a layout with more partitions
    if (message.window_ms !== this.windowMs) {
      this.ignoredMessages++;
      this.ignoredWindows += message.windows.length;
      return [];
    }
    for (const w of message.windows) {
      if (w.start <= this.fedThrough) continue; // a repeat of what was judged
      let brands = this.pending.get(w.start);
      if (!brands) {
        brands = new Map();
        this.pending.set(w.start, brands);
      }
      for (const [brand, partial] of Object.entries(w.brands)) {
        let parts = brands.get(brand);
        if (!parts) {
          parts = new Map();
          brands.set(brand, parts);
        }
        parts.set(p, partial);
      }
    }
    if (message.closed_through > this.closed[p]!) this.closed[p] = message.closed_through;
    return this.advance();
  }

  private advance(): AlertRecord[] {
    const complete = Math.min(...this.closed);
    if (!(complete > this.fedThrough)) return [];
    const out: AlertRecord[] = [];
    const starts = [...this.pending.keys()].filter((s) => s <= complete).sort((a, b) => a - b);
    for (const start of starts) {
      out.push(...this.judge(start, this.pending.get(start)!));
      this.pending.delete(start);
    }
    // Every window up to `complete` is now judged; the monitor counts the ones without posts as zero.
    if (starts[starts.length - 1] !== complete) out.push(...this.judge(complete, new Map()));
    this.fedThrough = complete;
    return out;
  }

  private judge(start: number, brands: Map<string, Map<number, SpikePartial>>): AlertRecord[] {
    const out: AlertRecord[] = [];
    for (const brand of this.options.brands) {
      const parts = brands.get(brand);
      let posts = 0;
      let negative = 0;
      if (parts) {
        const terms = new Map<string, number>();
        const samples: AlertSample[] = [];
        for (const [, partial] of [...parts].sort(([a], [b]) => a - b)) {
          posts += partial.posts;
          negative += partial.negative;
          for (const [term, n] of partial.terms) terms.set(term, (terms.get(term) ?? 0) + n);
          samples.push(...partial.samples);
        }
        this.remember(brand, { start, terms: [...terms], samples: samples.sort((a, b) => a.ts - b.ts) });
      }
      for (const update of this.monitor.observe(brand, { start, posts, negative }))
        out.push({ ...update, ...this.explain(brand, update.opened_at) });
    }
    return out;
  }

  private remember(brand: string, c: BrandContext): void {
    let list = this.context.get(brand);
    if (!list) {
      list = [];
      this.context.set(brand, list);
    }
    list.push(c);
    if (list.length > CONTEXT_WINDOWS) list.shift();
  }

  /** Top negative terms and sample posts of the brand's windows since the alert opened. */
  private explain(brand: string, since: number): Pick<AlertRecord, 'top_terms' | 'samples'> {
    const terms = new Map<string, number>();
    const samples: AlertSample[] = [];
    for (const c of this.context.get(brand) ?? []) {
      if (c.start < since) continue;
      for (const [term, n] of c.terms) terms.set(term, (terms.get(term) ?? 0) + n);
      samples.push(...c.samples);
    }
    return {
      top_terms: mostFrequent(terms, TOP_TERMS).map(([t]) => t),
      samples: samples.slice(0, SAMPLES),
    };
  }

  snapshot(): unknown {
    return {
      windowMs: this.windowMs,
      monitor: this.monitor.snapshot(),
      closed: this.closed.map((c) => (Number.isFinite(c) ? c : null)),
      fedThrough: Number.isFinite(this.fedThrough) ? this.fedThrough : null,
      pending: [...this.pending].map(([start, brands]) => [
        start,
        [...brands].map(([brand, parts]) => [brand, [...parts]]),
      ]),
      context: [...this.context],
    };
  }

  restore(state: unknown): void {
    this.pending.clear();
    this.context.clear();
    this.closed.fill(Number.NEGATIVE_INFINITY);
    this.fedThrough = Number.NEGATIVE_INFINITY;
    this.monitor.restore(undefined);
    if (state === undefined || state === null) return;
    const s = state as {
      /** Missing in checkpoints before it: taken to be this stage's window. */
      windowMs?: number;
      monitor: unknown;
      closed: (number | null)[];
      fedThrough: number | null;
      pending: [number, [string, [number, SpikePartial][]][]][];
      context: [string, BrandContext[]][];
    };
    // another --alert-window: the detectors learn the traffic again (their open alerts go on)
    const resized = s.windowMs !== undefined && s.windowMs !== this.windowMs;
    this.monitor.restore(s.monitor, resized);
    s.closed.forEach((c, i) => {
      if (i < this.closed.length) this.closed[i] = c ?? Number.NEGATIVE_INFINITY;
    });
    this.fedThrough = s.fedThrough ?? Number.NEGATIVE_INFINITY;
    // Partitions' windows of another size (a restart with another --alert-window) waiting for the
    // other partitions are dropped, like the messages of that size `add` ignores.
    if (resized) this.ignoredWindows += s.pending.length;
    else
      for (const [start, brands] of s.pending)
        this.pending.set(start, new Map(brands.map(([brand, parts]) => [brand, new Map(parts)])));
    for (const [brand, list] of s.context) this.context.set(brand, list);
  }
}
