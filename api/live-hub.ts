import {
  decodeJson,
  mergeRows,
  rowKey,
  Subjects,
  type Bus,
  type Subscription,
  type WindowAggregate,
  type WindowRow,
} from '../stream/index.js';
import type { BrandDirectory } from './brands.js';

export type LiveListener = (channel: string, value: WindowAggregate) => void;

export interface LiveHubOptions {
  bus: Bus;
  brands: BrandDirectory;
  /** Most recent windows kept per (brand, window size) for snapshots. */
  recentWindows?: number;
}

/**
 * Turns the aggregate stage's per-partition rows into per-brand live values and fans them out to
 * channels: `brand:<id>` for one brand, `brands` for all. Holds only the latest few windows.
 */
export class LiveHub {
  private readonly partials = new Map<string, Map<string, WindowRow>>();
  private readonly listeners = new Set<LiveListener>();
  private subscription: Subscription | undefined;
  private readonly recent: number;
  private latestEnd: number | undefined;

  constructor(private readonly o: LiveHubOptions) {
    this.recent = o.recentWindows ?? 3;
  }

  start(): void {
    this.subscription = this.o.bus.subscribe(Subjects.liveWindowsAll);
    const sub = this.subscription;
    void (async () => {
      for await (const m of sub) {
        try {
          this.apply(decodeJson<WindowRow[]>(m.data));
        } catch {
          // A malformed live message only loses one update; the store keeps the truth.
        }
      }
    })();
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  isChannel(channel: string): boolean {
    if (channel === 'brands') return true;
    return channel.startsWith('brand:') && this.o.brands.hasId(channel.slice('brand:'.length));
  }

  onUpdate(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * How far the pipeline's event time has got: the latest window end seen in the live rows, or
   * undefined before the first. Behind the wall clock while a backlog or an import of old posts runs.
   */
  get eventTime(): number | undefined {
    return this.latestEnd;
  }

  /** Applies rows (from any partition) and notifies listeners with the merged values. */
  apply(rows: WindowRow[]): void {
    const touched = new Set<string>();
    for (const r of rows) {
      const seriesId = `${r.brand}\u0000${r.window}`;
      let series = this.partials.get(seriesId);
      if (!series) {
        series = new Map();
        this.partials.set(seriesId, series);
      }
      const key = rowKey(r);
      const existing = series.get(key);
      if (existing && existing.version > r.version) continue;
      series.set(key, r);
      if (Number.isFinite(r.end) && (this.latestEnd === undefined || r.end > this.latestEnd))
        this.latestEnd = r.end;
      touched.add(`${seriesId}\u0000${r.start}`);
      this.trim(series);
    }
    for (const id of touched) {
      const [brand, window, start] = id.split('\u0000') as [string, string, string];
      const rowsOfWindow = [...(this.partials.get(`${brand}\u0000${window}`)?.values() ?? [])].filter(
        (r) => r.start === Number(start),
      );
      const merged = mergeRows(rowsOfWindow)[0];
      const info = this.o.brands.byName(brand);
      if (!merged || !info) continue;
      for (const l of this.listeners) {
        l(`brand:${info.id}`, merged);
        l('brands', merged);
      }
    }
  }

  private trim(series: Map<string, WindowRow>): void {
    const starts = [...new Set([...series.values()].map((r) => r.start))].sort((a, b) => b - a);
    if (starts.length <= this.recent) return;
    const keep = starts[this.recent - 1]!;
    for (const [k, r] of series) if (r.start < keep) series.delete(k);
  }

  /** The latest windows of a channel, newest last. */
  snapshot(channel: string): WindowAggregate[] {
    const all: WindowAggregate[] = [];
    for (const series of this.partials.values()) all.push(...mergeRows(series.values()));
    if (channel === 'brands') return all;
    const b = this.o.brands.find(channel.slice(6));
    return b ? all.filter((a) => a.brand === b.name) : [];
  }
}
