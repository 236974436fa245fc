import {
  mergeRows,
  WINDOW_TABLE,
  type Store,
  type WindowAggregate,
  type WindowQuery,
  type WindowRow,
} from '../store.js';
import { matchesFilter, tableKey, type TableFilter, type TableRow, type TableSpec } from '../table.js';

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
  /** operator table → row key → latest row; a Map keeps insertion order, so the oldest go first. */
  private readonly tables = new Map<string, Map<string, TableRow>>();

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

  async write<R extends { version: number }>(table: TableSpec<R>, rows: readonly R[]): Promise<void> {
    if (table.name === WINDOW_TABLE.name) return this.upsert(rows as unknown as WindowRow[]);
    let held = this.tables.get(table.name);
    if (!held) {
      held = new Map();
      this.tables.set(table.name, held);
    }
    const max = table.maxMemoryRows ?? 100_000;
    for (const row of rows) {
      const key = tableKey(table, row);
      const existing = held.get(key);
      if (existing && existing.version > row.version) continue;
      held.delete(key); // re-inserted at the end: the latest written goes last
      held.set(key, { ...(row as unknown as TableRow) });
      if (held.size > max) held.delete(held.keys().next().value!);
    }
  }

  async read<R extends { version: number }>(table: TableSpec<R>, where: TableFilter): Promise<R[]> {
    const held = this.tables.get(table.name);
    if (!held) return [];
    const filters = Object.entries(where);
    const out: R[] = [];
    for (const row of held.values())
      if (filters.every(([column, value]) => matchesFilter(row[column], value))) out.push({ ...row } as R);
    return out;
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
