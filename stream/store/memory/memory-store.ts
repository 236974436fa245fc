import { mergeRows, type Store, type WindowAggregate, type WindowQuery, type WindowRow } from '../store.js';

export interface MemoryStoreOptions {
  /** Windows kept per (brand, window size); the oldest go first. Default 10,080 (a week of minutes). */
  maxWindowsPerSeries?: number;
}

/** The embedded default's store: bounded, in memory, the same contract as ClickHouse. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  /** series (brand + window) → window start → partition → row */
  private readonly series = new Map<string, Map<number, Map<number, WindowRow>>>();
  private readonly maxWindows: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxWindows = options.maxWindowsPerSeries ?? 10_080;
    if (!(this.maxWindows >= 1)) throw new RangeError('maxWindowsPerSeries must be at least 1');
  }

  async upsert(rows: WindowRow[]): Promise<void> {
    for (const row of rows) {
      const id = `${row.brand}\u0000${row.window}`;
      let windows = this.series.get(id);
      if (!windows) {
        windows = new Map();
        this.series.set(id, windows);
      }
      let parts = windows.get(row.start);
      if (!parts) {
        parts = new Map();
        windows.set(row.start, parts);
        if (windows.size > this.maxWindows) this.evictOldest(windows);
      }
      const existing = parts.get(row.partition);
      if (!existing || existing.version <= row.version) parts.set(row.partition, { ...row });
    }
  }

  async flush(): Promise<void> {}

  private evictOldest(windows: Map<number, Map<number, WindowRow>>): void {
    let oldest = Infinity;
    for (const start of windows.keys()) if (start < oldest) oldest = start;
    windows.delete(oldest);
  }

  async query(q: WindowQuery): Promise<WindowAggregate[]> {
    const windows = this.series.get(`${q.brand}\u0000${q.window}`);
    if (!windows) return [];
    const rows: WindowRow[] = [];
    for (const [start, parts] of windows) {
      if (start >= q.from && start < q.to) rows.push(...parts.values());
    }
    return mergeRows(rows);
  }

  /** Number of rows held, for tests and metrics. */
  get size(): number {
    let n = 0;
    for (const w of this.series.values()) for (const p of w.values()) n += p.size;
    return n;
  }

  async close(): Promise<void> {}
}
