import { emptyCounts } from '../../operators/brand-counts.js';
import type { DeadLetter } from '../../bus/dead-letter.js';
import type { EnrichedEvent } from '../../model/events.js';
import { retry } from '../../retry.js';
import {
  WINDOW_TABLE,
  type Store,
  type WindowAggregate,
  type WindowQuery,
  type WindowRow,
} from '../store.js';
import { rowFromRecord, storableRow, tableKey, type TableFilter, type TableSpec } from '../table.js';
import { ClickHouseConnection, type ClickHouseConnectionOptions } from './connection.js';
import { ClickHouseError, isRetryable } from './errors.js';
import { ident, joinSql, quoteIdentifier, sql } from './escape.js';
import { migrate } from './migrations.js';
import {
  COUNT_NAMES,
  deadLetterRecord,
  enrichedRecord,
  newerWindowRecord,
  Tables,
  toDateTimeSeconds,
  windowRecord,
  windowRecordKey,
  type WindowRecord,
} from './schema.js';
import { BatchWriter, writeMark, type BatchWriterOptions, type WriterFigures } from './writer.js';

export interface ClickHouseStoreOptions extends ClickHouseConnectionOptions {
  /** Created if missing. Default `pulsewatch`. */
  database?: string;
  /** Rows per insert batch. Default 10,000. */
  batchRows?: number;
  /** Longest a row waits before its batch is inserted. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** Rows buffered per table before writers wait (backpressure). Default 200,000. */
  maxBufferedRows?: number;
  /** Backoff of failed inserts; they are retried until they succeed unless `retries` is set. */
  retry?: BatchWriterOptions<unknown>['retry'];
  /** How long close() keeps trying to write what is buffered. Default 10 s. */
  closeTimeoutMs?: number;
  /** Days of enriched events kept; 0 (the default) stores none. */
  enrichedRetentionDays?: number;
  /** How often a process that writes enriched events drops expired days. Default 1 h. */
  retentionCheckMs?: number;
  /** Attempts to reach the server and migrate at open (the server may still be starting). Default 10. */
  startupRetries?: number;
  /** The operator tables written through write(); each needs a migration that creates it. */
  tables?: readonly TableSpec<never>[];
  /** Background failures (retention); insert failures surface through flush() and writer events. */
  onError?: (err: unknown) => void;
}

interface AggregateRecord {
  start_ms: string | number;
  end_ms: string | number;
  final: string | number;
  [count: string]: string | number;
}

/**
 * The services-mode Store: window rows in a ReplacingMergeTree(version), read with FINAL so a
 * replaced row never adds up; partitions summed in SQL. Writes are batched by a BatchWriter per
 * table; upsert() enqueues and waits only when the buffer is full.
 */
export class ClickHouseStore implements Store {
  readonly kind = 'clickhouse';
  readonly database: string;
  readonly connection: ClickHouseConnection;
  private readonly options: ClickHouseStoreOptions;
  private readonly windows: BatchWriter<WindowRecord>;
  private readonly deadLetters: BatchWriter<ReturnType<typeof deadLetterRecord>>;
  private readonly enriched: BatchWriter<ReturnType<typeof enrichedRecord>> | undefined;
  private readonly tableWriters = new Map<string, BatchWriter<Record<string, unknown>>>();
  /** Present when enrichedRetentionDays > 0: stores enriched events, a rewrite of an event replaces it. */
  readonly insertEnriched: ((events: readonly EnrichedEvent[]) => Promise<void>) | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retention: Promise<string[]> = Promise.resolve([]);
  private closing: Promise<void> | undefined;

  private constructor(connection: ClickHouseConnection, database: string, options: ClickHouseStoreOptions) {
    this.connection = connection;
    this.database = database;
    this.options = options;
    this.windows = this.writer(Tables.windows, {
      coalesce: { key: windowRecordKey, keep: newerWindowRecord },
    });
    this.deadLetters = this.writer(Tables.deadLetters, {});
    // Made up front, so their figures are in `writers` from the start (metrics hook in once).
    for (const table of options.tables ?? [])
      this.tableWriters.set(
        table.name,
        this.writer(table.name, {
          coalesce: {
            key: (row) => tableKey(table, row),
            keep: (older, newer) => (Number(newer.version) >= Number(older.version) ? newer : older),
          },
        }),
      );
    if ((options.enrichedRetentionDays ?? 0) > 0) {
      const enriched = this.writer<ReturnType<typeof enrichedRecord>>(Tables.enriched, {});
      this.enriched = enriched;
      this.insertEnriched = async (events) => {
        if (!this.retentionTimer) this.scheduleRetention();
        await enriched.write(events.map(enrichedRecord));
      };
    }
  }

  /** Connects, creates the database if missing and applies pending migrations. */
  static async open(options: ClickHouseStoreOptions = {}): Promise<ClickHouseStore> {
    const database = options.database ?? 'pulsewatch';
    quoteIdentifier(database);
    const retention = options.enrichedRetentionDays ?? 0;
    if (!(Number.isInteger(retention) && retention >= 0))
      throw new RangeError('enrichedRetentionDays must be a whole number of days, 0 or more');
    const connection = new ClickHouseConnection(options);
    try {
      // Constructed first: bad writer options fail before anything touches the server.
      const store = new ClickHouseStore(connection, database, options);
      await retry(() => migrate(connection, database), {
        retries: options.startupRetries ?? 10,
        initialMs: 200,
        maxMs: 3_000,
        retryable: isRetryable,
      });
      return store;
    } catch (err) {
      await connection.close();
      throw err;
    }
  }

  /** The writers' figures (batch sizes, latency, retries, buffered rows) for metrics. */
  get writers(): WriterFigures[] {
    return this.batchWriters();
  }

  async upsert(rows: WindowRow[]): Promise<void> {
    await this.windows.write(rows.map((r) => windowRecord(storableRow(WINDOW_TABLE, r))));
  }

  /** Stores dead letters (at least once: a retried insert may store one twice). */
  async insertDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    await this.deadLetters.write(letters.map(deadLetterRecord));
  }

  async write<R extends { version: number }>(table: TableSpec<R>, rows: readonly R[]): Promise<void> {
    if (table.name === WINDOW_TABLE.name) return this.upsert(rows as unknown as WindowRow[]);
    await this.tableWriter(table).write(
      rows.map((r) => storableRow(table, r)) as unknown as Record<string, unknown>[],
    );
  }

  /** The latest version of each matching row (FINAL); rows this process still buffers are written first. */
  async read<R extends { version: number }>(table: TableSpec<R>, where: TableFilter): Promise<R[]> {
    const writer = this.tableWriter(table);
    if (writer.bufferedRows > 0) await writer.settled();
    const columns = joinSql(Object.keys(table.columns).map((name) => ident(name)));
    const filters = Object.entries(where).map(([column, value]) => {
      if (!(column in table.columns)) throw new RangeError(`table ${table.name} has no column ${column}`);
      if (typeof value !== 'object') return sql`${ident(column)} = ${value}`;
      const bounds = [];
      if (value.gte !== undefined) bounds.push(sql`${ident(column)} >= ${value.gte}`);
      if (value.lt !== undefined) bounds.push(sql`${ident(column)} < ${value.lt}`);
      return bounds.length > 0 ? joinSql(bounds, ' AND ') : sql`1`;
    });
    const condition = filters.length > 0 ? sql` WHERE ${joinSql(filters, ' AND ')}` : sql``;
    const records = await this.connection.rows<Record<string, unknown>>(
      sql`SELECT ${columns} FROM ${ident(this.database, table.name)} FINAL${condition}`,
    );
    return records.map((r) => rowFromRecord(table, r));
  }

  private tableWriter(table: TableSpec<never>): BatchWriter<Record<string, unknown>> {
    const writer = this.tableWriters.get(table.name);
    if (!writer)
      throw new RangeError(
        `table ${table.name} was not opened with this store (ClickHouseStoreOptions.tables)`,
      );
    return writer;
  }

  async flush(since?: number): Promise<void> {
    await settleAll(this.batchWriters().map((w) => w.flush(since)));
  }

  writeMark(): number {
    return writeMark();
  }

  /**
   * Window aggregates of [from, to). Rows this process still buffers are written first, so a
   * process reads its own writes.
   */
  async query(q: WindowQuery): Promise<WindowAggregate[]> {
    if (Number.isNaN(q.from) || Number.isNaN(q.to)) throw new RangeError('from and to must be numbers');
    // settled(), not flush(): a loss is for the checkpoint's flush() to report, not for a reader.
    if (this.windows.bufferedRows > 0) await this.windows.settled();
    const from = clampMs(q.from);
    const to = clampMs(q.to);
    const sums = joinSql(COUNT_NAMES.map((name) => sql`sum(${ident(name)}) AS ${ident(name)}`));
    const columns = joinSql(COUNT_NAMES.map((name) => ident(name)));
    const rows = await this.connection.rows<AggregateRecord>(sql`
      SELECT start_ms, any(end_ms) AS end_ms, min(final) AS final, ${sums}
      FROM (
        SELECT start_ms, end_ms, final, ${columns}
        FROM ${ident(this.database, Tables.windows)} FINAL
        WHERE brand = ${q.brand} AND \`window\` = ${q.window}
          AND start >= toDateTime(${toDateTimeSeconds(from)})
          AND start <= toDateTime(${toDateTimeSeconds(to)})
          AND start_ms >= ${from} AND start_ms < ${to}
      )
      GROUP BY start_ms
      ORDER BY start_ms`);
    return rows.map((r) => {
      const agg: WindowAggregate = {
        brand: q.brand,
        window: q.window,
        start: Number(r.start_ms),
        end: Number(r.end_ms),
        ...emptyCounts(),
        sentiment_mean: null,
        final: Number(r.final) === 1,
      };
      for (const name of COUNT_NAMES) agg[name] = Number(r[name]);
      const scored = agg.posts - agg.unsupported;
      agg.sentiment_mean = scored > 0 ? agg.sentiment_sum / scored : null;
      return agg;
    });
  }

  /**
   * Drops the days of enriched events older than enrichedRetentionDays (days are the server's
   * calendar days). Returns the partitions dropped, e.g. ['20260101']. Runs one at a time: a call
   * waits for the one before it, the periodic one included.
   */
  dropExpiredEnriched(): Promise<string[]> {
    const run = this.retention.catch(() => []).then(() => this.dropExpiredOnce());
    this.retention = run;
    return run;
  }

  private async dropExpiredOnce(): Promise<string[]> {
    const days = this.options.enrichedRetentionDays ?? 0;
    if (days === 0) return [];
    const table = ident(this.database, Tables.enriched);
    const parts = await this.connection.rows<{ partition_id: string }>(sql`
      SELECT DISTINCT partition_id FROM system.parts
      WHERE database = ${this.database} AND table = ${Tables.enriched} AND active
        AND toUInt32(partition_id) < toYYYYMMDD(now() - ${days * 86_400})
      ORDER BY partition_id`);
    for (const { partition_id } of parts)
      await this.connection.command(sql`ALTER TABLE ${table} DROP PARTITION ID ${partition_id}`);
    return parts.map((p) => p.partition_id);
  }

  /** Writes what is buffered (for at most closeTimeoutMs) and closes the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.retentionTimer);
      await this.retention.catch(() => []);
      try {
        await settleAll(this.batchWriters().map((w) => w.close()));
      } finally {
        await this.connection.close();
      }
    })();
    return this.closing;
  }

  private batchWriters(): (WriterFigures & {
    flush(since?: number): Promise<void>;
    close(): Promise<void>;
  })[] {
    return [
      this.windows,
      this.deadLetters,
      ...(this.enriched ? [this.enriched] : []),
      ...this.tableWriters.values(),
    ];
  }

  private writer<T extends object>(
    table: string,
    extra: Pick<BatchWriterOptions<T>, 'coalesce'>,
  ): BatchWriter<T> {
    const o = this.options;
    const target = ident(this.database, table);
    return new BatchWriter<T>({
      name: table,
      sink: (rows) => this.connection.insert(target, rows),
      batchRows: o.batchRows,
      flushIntervalMs: o.flushIntervalMs,
      maxBufferedRows: o.maxBufferedRows,
      retry: o.retry,
      closeTimeoutMs: o.closeTimeoutMs,
      ...extra,
    });
  }

  private scheduleRetention(): void {
    const run = () =>
      this.dropExpiredEnriched().catch((err: unknown) =>
        this.options.onError?.(
          err instanceof ClickHouseError ? err : new Error('enriched retention failed', { cause: err }),
        ),
      );
    void run();
    this.retentionTimer = setInterval(run, this.options.retentionCheckMs ?? 3_600_000);
    this.retentionTimer.unref();
  }
}

/** Waits for all; rejects with the first failure. */
async function settleAll(promises: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Int64 columns hold any safe integer; Infinity and the like mean "no bound". */
function clampMs(ms: number): number {
  return Math.min(Math.max(ms, Number.MIN_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
}
