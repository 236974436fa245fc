import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { retry } from '../../retry.js';
import { ClickHouseError, isRetryable, toClickHouseError } from './errors.js';

export interface BatchWriterOptions<T> {
  /** Names the writer in figures and errors; the table it writes. */
  name: string;
  /** Writes one batch. Throws a ClickHouseError; retryable ones are retried with backoff. */
  sink: (rows: T[]) => Promise<void>;
  /** A batch is written once this many rows wait. Default 10,000. */
  batchRows?: number;
  /** ... or once the oldest waiting row has waited this long. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** write() waits while this many rows are buffered or in flight. Default 200,000. */
  maxBufferedRows?: number;
  /**
   * Rows with the same key replace each other while they wait (keep() picks the survivor), so a
   * window rewritten many times a second is written once per batch.
   */
  coalesce?: { key: (row: T) => string; keep: (older: T, newer: T) => T };
  /** Backoff of failed inserts. retries defaults to Infinity: rows wait for the server to return. */
  retry?: { retries?: number; initialMs?: number; maxMs?: number };
  /** How long close() keeps retrying the rows it still holds before giving them up. Default 10 s. */
  closeTimeoutMs?: number;
}

export interface BatchWriterEvents {
  /** A batch was written. `ms`: the successful insert; `totalMs`: with the retries before it. */
  batch: { writer: string; rows: number; ms: number; totalMs: number; attempts: number };
  /** An insert failed and will be tried again after `delayMs`. */
  retry: { writer: string; attempt: number; delayMs: number; error: ClickHouseError };
  /** A batch was given up (a permanent error, or close() ran out of time). */
  lost: { writer: string; rows: number; error: ClickHouseError };
}

export type BatchWriterEventName = keyof BatchWriterEvents;

export interface BatchWriterStats {
  batches: number;
  rows: number;
  retries: number;
  lostRows: number;
}

/** What metrics read from a writer: the composition root hooks these into Prometheus. */
export interface WriterFigures {
  readonly name: string;
  /** Rows waiting plus rows in flight. */
  readonly bufferedRows: number;
  readonly stats: Readonly<BatchWriterStats>;
  on<K extends BatchWriterEventName>(event: K, listener: (e: BatchWriterEvents[K]) => void): () => void;
}

/**
 * Write stamps, process-wide: each write() takes the next one, so a mark taken from writeMark() is
 * comparable across every writer of the process (a store's tables).
 */
let stampClock = 0;

/** The stamp of the latest write() so far in this process: pass it to flush() later. */
export function writeMark(): number {
  return stampClock;
}

interface FlushWaiter {
  generation: number;
  /** Losses of rows written after this mark are reported to the waiter. */
  since: number;
  resolve: () => void;
  /** Absent for settled(): it waits without reporting (or consuming) a loss. */
  reject: ((err: Error) => void) | undefined;
}

/** Rows waiting for the next batch, optionally coalesced by key. */
class RowBuffer<T> {
  private list: T[] = [];
  private byKey = new Map<string, T>();

  constructor(private readonly coalesce: BatchWriterOptions<T>['coalesce']) {}

  get size(): number {
    return this.coalesce ? this.byKey.size : this.list.length;
  }

  add(rows: readonly T[]): void {
    if (!this.coalesce) {
      for (const row of rows) this.list.push(row);
      return;
    }
    for (const row of rows) {
      const key = this.coalesce.key(row);
      const older = this.byKey.get(key);
      this.byKey.set(key, older === undefined ? row : this.coalesce.keep(older, row));
    }
  }

  take(): T[] {
    if (!this.coalesce) {
      const rows = this.list;
      this.list = [];
      return rows;
    }
    const rows = [...this.byKey.values()];
    this.byKey = new Map();
    return rows;
  }
}

/**
 * Buffers rows and writes them in batches: at `batchRows` rows, or `flushIntervalMs` after the
 * first row entered an empty buffer, whichever comes first. One insert is in flight at a time, so
 * batches land in the order they were formed. write() returns at once unless more than
 * `maxBufferedRows` rows wait; then it waits, so memory stays bounded while the server is down.
 *
 * Rows are grouped in generations (one per batch). flush() waits for the generation that holds
 * the last row written so far; it rejects with CLICKHOUSE_ROWS_LOST if rows written after its
 * mark (see writeMark) were given up. A loss is reported to every flush whose mark is older than
 * the lost rows, not only to the first: the writer is shared by every partition of a process, and
 * each one whose rows may have been in the lost batch must not checkpoint past them.
 */
export class BatchWriter<T> implements WriterFigures {
  readonly name: string;
  readonly stats: BatchWriterStats = { batches: 0, rows: 0, retries: 0, lostRows: 0 };
  private readonly sink: (rows: T[]) => Promise<void>;
  private readonly batchRows: number;
  private readonly flushIntervalMs: number;
  private readonly maxBufferedRows: number;
  private readonly retryOptions: { retries: number; initialMs: number; maxMs: number };
  private readonly closeTimeoutMs: number;
  private readonly buffer: RowBuffer<T>;
  private readonly events = new EventEmitter();
  private readonly abort = new AbortController();
  /** Generation of the rows in the buffer; the batch taken from it keeps the number. */
  private generation = 1;
  private inflight: { generation: number; rows: number; stamp: number } | undefined;
  /** The stamp of the newest row in the buffer. */
  private bufferStamp = 0;
  private due = false;
  private timer: NodeJS.Timeout | undefined;
  private flushWaiters: FlushWaiter[] = [];
  private spaceWaiters: (() => void)[] = [];
  /** The newest stamp of any batch given up so far (0: none), and that batch's error. */
  private lostThrough = 0;
  private lossError: ClickHouseError | undefined;
  /** The losses through this stamp were reported to some flush (close() reports only newer ones). */
  private reportedThrough = 0;
  private closing: Promise<void> | undefined;

  constructor(options: BatchWriterOptions<T>) {
    this.name = options.name;
    this.sink = options.sink;
    this.batchRows = options.batchRows ?? 10_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.maxBufferedRows = options.maxBufferedRows ?? 200_000;
    this.retryOptions = {
      retries: options.retry?.retries ?? Infinity,
      initialMs: options.retry?.initialMs ?? 100,
      maxMs: options.retry?.maxMs ?? 5_000,
    };
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    if (!(this.batchRows >= 1)) throw new RangeError('batchRows must be at least 1');
    if (!(this.flushIntervalMs >= 0)) throw new RangeError('flushIntervalMs must not be negative');
    if (!(this.maxBufferedRows >= this.batchRows))
      throw new RangeError('maxBufferedRows must be at least batchRows');
    this.buffer = new RowBuffer(options.coalesce);
  }

  get bufferedRows(): number {
    return this.buffer.size + (this.inflight?.rows ?? 0);
  }

  on<K extends BatchWriterEventName>(event: K, listener: (e: BatchWriterEvents[K]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  /** Enqueues rows; waits only while the buffer is over maxBufferedRows. */
  async write(rows: readonly T[]): Promise<void> {
    this.assertOpen();
    if (rows.length === 0) return;
    while (this.bufferedRows > 0 && this.bufferedRows + rows.length > this.maxBufferedRows) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      this.assertOpen();
    }
    const wasEmpty = this.buffer.size === 0;
    this.buffer.add(rows);
    this.bufferStamp = ++stampClock;
    if (this.buffer.size >= this.batchRows) this.due = true;
    else if (wasEmpty && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.due = true;
        this.pump();
      }, this.flushIntervalMs);
    }
    this.pump();
  }

  /**
   * Resolves once every row written so far is inserted; rejects with CLICKHOUSE_ROWS_LOST if a
   * batch holding rows written after `since` (a writeMark(); default: any time) was given up.
   */
  flush(since = 0): Promise<void> {
    return this.waitFor(since);
  }

  /** Waits until every row written so far is inserted or given up. Never rejects. */
  settled(): Promise<void> {
    return this.waitFor(undefined);
  }

  /** `since` undefined: wait without reporting losses. */
  private async waitFor(since: number | undefined): Promise<void> {
    let generation: number;
    if (this.buffer.size > 0) {
      generation = this.generation;
      this.due = true;
      this.pump();
    } else if (this.inflight) {
      generation = this.inflight.generation;
    } else {
      if (since !== undefined) this.reportLoss(since);
      return;
    }
    await new Promise<void>((resolve, reject) =>
      this.flushWaiters.push({
        generation,
        since: since ?? Number.POSITIVE_INFINITY,
        resolve,
        reject: since === undefined ? undefined : reject,
      }),
    );
  }

  /**
   * Writes what is left and stops. Retries go on for at most closeTimeoutMs; rows still not
   * written then are given up and close() rejects with CLICKHOUSE_ROWS_LOST.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const deadline = setTimeout(() => this.abort.abort(), this.closeTimeoutMs);
      try {
        // a loss a checkpoint's flush has reported was dealt with (the rows are replayed)
        await this.flush(this.reportedThrough);
      } finally {
        clearTimeout(deadline);
        clearTimeout(this.timer);
        this.timer = undefined;
        this.wakeSpaceWaiters();
      }
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new ClickHouseError('CLICKHOUSE_CLOSED', `${this.name}: the writer is closed`);
  }

  private pump(): void {
    if (this.inflight || this.buffer.size === 0 || !this.due) return;
    const rows = this.buffer.take();
    const generation = this.generation++;
    const stamp = this.bufferStamp;
    this.due = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inflight = { generation, rows: rows.length, stamp };
    void this.insert(rows).then((error) => this.settle(generation, stamp, error));
  }

  /** Inserts one batch with retries; resolves with the error if the batch was given up. */
  private async insert(rows: T[]): Promise<ClickHouseError | undefined> {
    const started = performance.now();
    let attempts = 0;
    let attemptMs = 0;
    try {
      await retry(
        async () => {
          attempts++;
          const t0 = performance.now();
          await this.sink(rows);
          attemptMs = performance.now() - t0;
        },
        {
          ...this.retryOptions,
          retryable: (err) => isRetryable(toClickHouseError(err, this.name)),
          signal: this.abort.signal,
          onRetry: (err, attempt, delayMs) => {
            this.stats.retries++;
            const error = toClickHouseError(err, this.name);
            this.events.emit('retry', { writer: this.name, attempt, delayMs, error });
          },
        },
      );
    } catch (err) {
      const cause = toClickHouseError(err, this.name);
      const error = new ClickHouseError(
        'CLICKHOUSE_ROWS_LOST',
        `${this.name}: ${rows.length} rows not written after ${attempts} attempts: ${cause.message}`,
        { serverCode: cause.serverCode, retryable: false, cause },
      );
      this.stats.lostRows += rows.length;
      this.events.emit('lost', { writer: this.name, rows: rows.length, error });
      return error;
    }
    this.stats.batches++;
    this.stats.rows += rows.length;
    const totalMs = performance.now() - started;
    this.events.emit('batch', { writer: this.name, rows: rows.length, ms: attemptMs, totalMs, attempts });
    return undefined;
  }

  private settle(generation: number, stamp: number, error: ClickHouseError | undefined): void {
    this.inflight = undefined;
    if (error && stamp > this.lostThrough) {
      this.lostThrough = stamp;
      this.lossError = error;
    }
    const done = this.flushWaiters.filter((w) => w.generation <= generation);
    this.flushWaiters = this.flushWaiters.filter((w) => w.generation > generation);
    for (const w of done) {
      if (w.reject && this.lostThrough > w.since) w.reject(this.reported());
      else w.resolve();
    }
    this.wakeSpaceWaiters();
    if (this.buffer.size >= this.batchRows) this.due = true;
    this.pump();
  }

  /** Throws the latest loss if rows written after `since` were given up. */
  private reportLoss(since: number): void {
    if (this.lostThrough > since) throw this.reported();
  }

  private reported(): ClickHouseError {
    this.reportedThrough = this.lostThrough;
    return this.lossError!;
  }

  private wakeSpaceWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const wake of waiters) wake();
  }
}
