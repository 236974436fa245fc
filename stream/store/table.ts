/**
 * Operator tables: the rows an analysis in stage 2 writes, beside the window aggregates. Every
 * table is versioned like the windows: a row replaces an earlier one with the same key and a lower
 * or equal version (ClickHouse `ReplacingMergeTree(version)` read with `FINAL`; the in-memory store
 * keeps the latest), so a replay after a crash rewrites rows instead of adding to them.
 */

/** Column types that exist on ClickHouse 18.16 and on current releases. */
export type ColumnType = 'String' | 'UInt8' | 'UInt32' | 'UInt64' | 'Int64' | 'Float64';

/** A row of an operator table: flat columns, and the input sequence it was written at. */
export type TableRow = Record<string, string | number> & { version: number };

export interface TableSpec<R extends { version: number } = TableRow> {
  /** The table's name in every store (ClickHouse table, in-memory map). */
  readonly name: string;
  /** Columns in order with their types; must include `version UInt64` and every key column. */
  readonly columns: Readonly<Record<keyof R & string, ColumnType>>;
  /** The columns that identify a row: equal keys replace each other, the higher version wins. */
  readonly key: readonly (keyof R & string)[];
  /**
   * Columns that describe the operator's state when the row was written (a topic's label terms, its
   * decayed size) rather than the input up to the row: they may differ with when the emits came. No
   * other column may (the operator contract checks it: test/unit/operators.test.ts).
   */
  readonly asOfEmit?: readonly (keyof R & string)[];
  /** Rows the in-memory store keeps at most; the oldest written go first. Default 100,000. */
  readonly maxMemoryRows?: number;
}

/**
 * The largest value each integer column keeps exactly in every store: the type's own bound, or
 * 2^53 - 1 for the 64-bit ones (a JS number above it is not an integer any more, and JSON would
 * write a large one as `1e+21`, which ClickHouse refuses, losing the whole batch).
 */
const INTEGER_BOUNDS: Partial<Record<ColumnType, { min: number; max: number }>> = {
  UInt8: { min: 0, max: 255 },
  UInt32: { min: 0, max: 4_294_967_295 },
  UInt64: { min: 0, max: Number.MAX_SAFE_INTEGER },
  Int64: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
};

/**
 * A row as every store keeps it: integer columns saturate at their bounds (sums of engagement,
 * say, that outgrow a column stop at its largest value instead of wrapping around in ClickHouse
 * and disagreeing with the in-memory store), and a Float64 that is not finite is kept as the
 * nearest finite value (NaN as 0). The row itself when nothing needs changing.
 */
export function storableRow<R extends { version: number }>(spec: TableSpec<R>, row: R): R {
  let out: Record<string, unknown> | undefined;
  const record = row as unknown as Record<string, unknown>;
  for (const column in spec.columns) {
    const v = record[column];
    if (typeof v !== 'number') continue;
    const type: ColumnType = spec.columns[column as keyof typeof spec.columns];
    let kept = v;
    const bounds = INTEGER_BOUNDS[type];
    if (bounds) kept = v > bounds.max ? bounds.max : v < bounds.min ? bounds.min : Number.isNaN(v) ? 0 : v;
    else if (!Number.isFinite(v)) kept = Number.isNaN(v) ? 0 : v > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
    if (kept !== v) (out ??= { ...record })[column] = kept;
  }
  return (out ?? row) as R;
}

/** The replace key of a row. */
export function tableKey(spec: TableSpec<never>, row: Record<string, unknown>): string {
  let out = '';
  for (const column of spec.key) out += `${String(row[column])}\u0000`;
  return out;
}

/**
 * A record read back from a store as a typed row: numbers for the numeric columns (ClickHouse
 * 18.16 returns 64-bit integers as strings), strings for the others.
 */
export function rowFromRecord<R extends { version: number }>(
  spec: TableSpec<R>,
  record: Record<string, unknown>,
): R {
  const row: Record<string, string | number> = {};
  for (const [column, type] of Object.entries<ColumnType>(spec.columns))
    row[column] = type === 'String' ? String(record[column] ?? '') : Number(record[column] ?? 0);
  return row as R;
}

/** A range on a numeric column: `gte` inclusive, `lt` exclusive; either may be left out. */
export interface ColumnRange {
  gte?: number;
  lt?: number;
}

/** Filters on columns, for reading an operator table: a value (equal) or a range (numeric columns). */
export type TableFilter = Readonly<Record<string, string | number | ColumnRange>>;

/** True when a row's value passes one filter (the in-memory store's reading of a filter). */
export function matchesFilter(value: unknown, filter: string | number | ColumnRange): boolean {
  if (typeof filter !== 'object') return value === filter;
  if (typeof value !== 'number') return false;
  return (filter.gte === undefined || value >= filter.gte) && (filter.lt === undefined || value < filter.lt);
}

/** Checks a table spec once, where it is registered: a mistake fails at start, not at the first write. */
export function checkTableSpec(spec: TableSpec<never>): void {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(spec.name))
    throw new RangeError(`table "${spec.name}": use lower-case letters, digits and _`);
  if (spec.columns.version !== 'UInt64')
    throw new RangeError(`table ${spec.name}: needs a version UInt64 column`);
  for (const column of spec.key)
    if (!(column in spec.columns))
      throw new RangeError(`table ${spec.name}: key column ${column} is not a column`);
  if (spec.key.length === 0) throw new RangeError(`table ${spec.name}: needs at least one key column`);
}
