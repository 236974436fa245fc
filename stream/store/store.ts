import type { DeadLetter } from '../bus/dead-letter.js';
import type { EnrichedEvent } from '../model/events.js';
import { addCounts, COUNT_TYPES, emptyCounts, type BrandCounts } from '../operators/brand-counts.js';
import type { TableFilter, TableSpec } from './table.js';

/** One partition's partial aggregate of one brand in one window, as the aggregate stage writes it. */
export interface WindowRow extends BrandCounts {
  brand: string;
  window: string;
  start: number;
  end: number;
  partition: number;
  /** Grows with every rewrite of the same key; a store keeps the row with the highest version. */
  version: number;
  final: boolean;
}

/** A brand's aggregate over all partitions for one window: what the API returns. */
export interface WindowAggregate extends BrandCounts {
  brand: string;
  window: string;
  start: number;
  end: number;
  /** sentiment_sum / (posts - unsupported); null for a window without scored posts. */
  sentiment_mean: number | null;
  /** True when every partition that saw this window has closed it. */
  final: boolean;
}

export interface WindowQuery {
  brand: string;
  window: string;
  /** Windows whose start is in [from, to), ms since the epoch. */
  from: number;
  to: number;
}

/**
 * The window aggregates table. Stores keep it in a layout of its own (partitions summed on read),
 * but operators write to it like to any other table.
 */
export const WINDOW_TABLE: TableSpec<WindowRow> = {
  name: 'window_aggregates',
  columns: {
    brand: 'String',
    window: 'String',
    start: 'Int64',
    end: 'Int64',
    partition: 'UInt32',
    version: 'UInt64',
    final: 'UInt8',
    ...COUNT_TYPES,
  },
  key: ['brand', 'window', 'start', 'partition'],
};

export interface Store {
  readonly kind: string;
  /** Writes window rows; a row replaces an earlier one with the same key and a lower or equal version. */
  upsert(rows: WindowRow[]): Promise<void>;
  /**
   * Writes rows of a table (WINDOW_TABLE or an operator table the store was opened with); a row
   * replaces an earlier one with the same key and a lower or equal version.
   */
  write<R extends { version: number }>(table: TableSpec<R>, rows: readonly R[]): Promise<void>;
  /** The latest version of each row of an operator table that matches every filter. */
  read<R extends { version: number }>(table: TableSpec<R>, where: TableFilter): Promise<R[]>;
  /**
   * Resolves once every row passed to upsert so far is durable. Checkpoints call it before they
   * save input positions, so a restored processor never skips rows that were not written. Rejects
   * if rows written after `since` (a writeMark(); default: any time) were given up: every caller
   * whose rows may have been lost hears it, not only the first.
   */
  flush(since?: number): Promise<void>;
  /** A mark of the writes so far, for flush(): a caller takes one when it starts and after each flush it saw succeed. */
  writeMark(): number;
  /** Merged aggregates in start order. */
  query(q: WindowQuery): Promise<WindowAggregate[]>;
  close(): Promise<void>;
  /** Optional: keeps dead letters where people query them (ClickHouse); absent in memory. */
  insertDeadLetters?(letters: readonly DeadLetter[]): Promise<void>;
  /** Optional: keeps every enriched event for drill-down; present only when configured to. */
  insertEnriched?(events: readonly EnrichedEvent[]): Promise<void>;
}

export function rowKey(r: Pick<WindowRow, 'brand' | 'window' | 'start' | 'partition'>): string {
  return `${r.brand}\u0000${r.window}\u0000${r.start}\u0000${r.partition}`;
}

/** Sums the partitions' rows of each (brand, window, start). */
export function mergeRows(rows: Iterable<WindowRow>): WindowAggregate[] {
  const merged = new Map<string, WindowAggregate>();
  for (const r of rows) {
    const id = `${r.brand}\u0000${r.window}\u0000${r.start}`;
    let m = merged.get(id);
    if (!m) {
      m = {
        brand: r.brand,
        window: r.window,
        start: r.start,
        end: r.end,
        ...emptyCounts(),
        sentiment_mean: null,
        final: true,
      };
      merged.set(id, m);
    }
    addCounts(m, r);
    m.final = m.final && r.final;
  }
  const out = [...merged.values()];
  for (const m of out) {
    const scored = m.posts - m.unsupported;
    m.sentiment_mean = scored > 0 ? m.sentiment_sum / scored : null;
  }
  return out.sort((a, b) => a.start - b.start || (a.brand < b.brand ? -1 : a.brand > b.brand ? 1 : 0));
}
