import {
  mergeRows,
  WINDOW_TABLE,
  type Store,
  type WindowAggregate,
  type WindowQuery,
  type WindowRow,
} from '../store.js';
import {
  matchesFilter,
  storableRow,
  tableKey,
  type TableFilter,
  type TableRow,
  type TableSpec,
} from '../table.js';

export interface MemoryStoreOptions {
  /** Windows kept per (brand, window size); the oldest go first. Default 10,080 (a week of minutes). */
  maxWindowsPerSeries?: number;
}

/** An operator table's rows by key (insertion order: the oldest written first) and, if windowed, the keys by window start. */
interface HeldTable {
  rows: Map<string, TableRow>;
  byStart?: Map<number, Set<string>>;
}

/** The embedded default's store: bounded, in memory, the same contract as ClickHouse. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  /** series (brand + window) → window start → partition → row */
  private readonly series = new Map<string, Map<number, Map<number, WindowRow>>>();
  private readonly maxWindows: number;
  /** operator table → its rows (and, for a windowed table, their keys by window start). */
  private readonly tables = new Map<string, HeldTable>();

  constructor(options: MemoryStoreOptions = {}) {
    this.maxWindows = options.maxWindowsPerSeries ?? 10_080;
    if (!(this.maxWindows >= 1)) throw new RangeError('maxWindowsPerSeries must be at least 1');
  }

  async upsert(rows: WindowRow[]): Promise<void> {
    for (const given of rows) {
      const row = storableRow(WINDOW_TABLE, given);
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

  /**
   * Keeps the latest version of each key, at most `maxMemoryRows` rows. A windowed table (one with
   * a `start` column) drops its oldest window whole, so a window read back is never missing some of
   * its partitions' or terms' rows; any other table drops the rows written longest ago.
   */
  async write<R extends { version: number }>(table: TableSpec<R>, rows: readonly R[]): Promise<void> {
    if (table.name === WINDOW_TABLE.name) return this.upsert(rows as unknown as WindowRow[]);
    let held = this.tables.get(table.name);
    if (!held) {
      const windowed = 'start' in table.columns && (table.key as readonly string[]).includes('start');
      held = { rows: new Map(), ...(windowed && { byStart: new Map() }) };
      this.tables.set(table.name, held);
    }
    const max = table.maxMemoryRows ?? 100_000;
    for (const given of rows) {
      const row = storableRow(table, given);
      const key = tableKey(table, row);
      const existing = held.rows.get(key);
      if (existing && existing.version > row.version) continue;
      held.rows.delete(key); // re-inserted at the end: the latest written goes last
      held.rows.set(key, { ...(row as unknown as TableRow) });
      if (held.byStart) {
        const start = Number((row as unknown as TableRow).start);
        let keys = held.byStart.get(start);
        if (!keys) held.byStart.set(start, (keys = new Set()));
        keys.add(key);
      }
      while (held.rows.size > max && this.evict(held, key)) {
        /* evicted the oldest */
      }
    }
  }

  /**
   * Drops the oldest window of a windowed table other than the one being written (`keep`'s, which
   * would be left with part of its rows), or else the row written longest ago; false when only
   * `keep` is left.
   */
  private evict(held: HeldTable, keep: string): boolean {
    if (held.byStart && held.byStart.size > 1) {
      const writing = Number(held.rows.get(keep)?.start);
      let oldest = Infinity;
      for (const start of held.byStart.keys()) if (start < oldest && start !== writing) oldest = start;
      for (const key of held.byStart.get(oldest)!) held.rows.delete(key);
      held.byStart.delete(oldest);
      return true;
    }
    // One window over the cap by itself (or no windows): its rows written longest ago go.
    const first = held.rows.keys().next().value!;
    if (first === keep) return false;
    const row = held.rows.get(first)!;
    held.rows.delete(first);
    held.byStart?.get(Number(row.start))?.delete(first);
    return true;
  }

  async read<R extends { version: number }>(table: TableSpec<R>, where: TableFilter): Promise<R[]> {
    const held = this.tables.get(table.name);
    if (!held) return [];
    const filters = Object.entries(where);
    const out: R[] = [];
    for (const row of held.rows.values())
      if (filters.every(([column, value]) => matchesFilter(row[column], value))) out.push({ ...row } as R);
    return out;
  }

  async flush(): Promise<void> {}

  /** Nothing is ever lost here: flush() has no loss to report. */
  writeMark(): number {
    return 0;
  }

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
