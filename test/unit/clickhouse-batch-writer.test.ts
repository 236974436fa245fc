import t from 'tap';
import { setImmediate as tick } from 'node:timers/promises';
import {
  BatchWriter,
  ClickHouseError,
  type BatchWriterEventName,
  type BatchWriterEvents,
  type BatchWriterOptions,
} from '../../stream/store/clickhouse/index.js';
import { writeMark } from '../../stream/store/clickhouse/writer.js';
import { isSettled } from '../helpers/async.js';

interface Row {
  key: string;
  version: number;
}

/** A sink that records batches; it can be paused (inserts wait) or made to fail. */
class FakeSink {
  batches: Row[][] = [];
  failures: ClickHouseError[] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  pause(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  resume(): void {
    this.open?.();
    this.gate = undefined;
  }

  readonly insert = async (rows: Row[]): Promise<void> => {
    await this.gate;
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.batches.push(rows);
  };
}

function writer(sink: FakeSink, over: Partial<BatchWriterOptions<Row>> = {}): BatchWriter<Row> {
  return new BatchWriter<Row>({
    name: 'test_table',
    sink: sink.insert,
    batchRows: 3,
    flushIntervalMs: 3_600_000,
    maxBufferedRows: 6,
    retry: { initialMs: 1, maxMs: 5 },
    ...over,
  });
}

function next<K extends BatchWriterEventName>(w: BatchWriter<Row>, event: K): Promise<BatchWriterEvents[K]> {
  return new Promise((resolve) => {
    const off = w.on(event, (e) => {
      off();
      resolve(e);
    });
  });
}

const rows = (n: number, from = 0): Row[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, version: 1 }));
const unavailable = () => new ClickHouseError('CLICKHOUSE_UNAVAILABLE', 'connect ECONNREFUSED');

t.test('a batch is written once batchRows rows wait; fewer wait for flush()', async (t) => {
  const sink = new FakeSink();
  const w = writer(sink);
  t.teardown(() => w.close());
  const batch = next(w, 'batch');
  for (const r of rows(3)) await w.write([r]);
  t.match(await batch, { writer: 'test_table', rows: 3, attempts: 1 });
  await w.write(rows(2, 3));
  await tick();
  t.equal(sink.batches.length, 1, 'two rows below batchRows, an hour before the interval: nothing written');
  t.equal(w.bufferedRows, 2);
  await w.flush();
  t.same(
    sink.batches.map((b) => b.map((r) => r.key)),
    [
      ['k0', 'k1', 'k2'],
      ['k3', 'k4'],
    ],
  );
  t.equal(w.bufferedRows, 0);
  t.match(w.stats, { batches: 2, rows: 5, retries: 0, lostRows: 0 });
});

t.test('rows below batchRows are written after flushIntervalMs', async (t) => {
  const sink = new FakeSink();
  const w = writer(sink, { batchRows: 1000, maxBufferedRows: 1000, flushIntervalMs: 10 });
  t.teardown(() => w.close());
  const batch = next(w, 'batch');
  await w.write(rows(2));
  t.match(await batch, { rows: 2 });
  t.equal(sink.batches.length, 1);
});

t.test('coalesced rows keep the survivor chosen by keep()', async (t) => {
  const sink = new FakeSink();
  const w = writer(sink, {
    batchRows: 10,
    maxBufferedRows: 10,
    coalesce: { key: (r) => r.key, keep: (a, b) => (b.version >= a.version ? b : a) },
  });
  t.teardown(() => w.close());
  await w.write([
    { key: 'a', version: 1 },
    { key: 'b', version: 1 },
  ]);
  await w.write([{ key: 'a', version: 3 }]);
  await w.write([{ key: 'a', version: 2 }]);
  t.equal(w.bufferedRows, 2);
  await w.flush();
  t.same(sink.batches, [
    [
      { key: 'a', version: 3 },
      { key: 'b', version: 1 },
    ],
  ]);
});

t.test('flush() waits for the batch in flight', async (t) => {
  const sink = new FakeSink();
  const w = writer(sink);
  t.teardown(() => w.close());
  sink.pause();
  await w.write(rows(3));
  const flushed = w.flush();
  t.equal(await isSettled(flushed), false, 'not while the insert waits');
  sink.resume();
  await flushed;
  t.equal(sink.batches.length, 1);
});

t.test(
  'write() waits while maxBufferedRows rows are buffered, and goes on when they are written',
  async (t) => {
    const sink = new FakeSink();
    const w = writer(sink);
    t.teardown(() => w.close());
    sink.pause();
    await w.write(rows(3)); // in flight
    await w.write(rows(3, 3)); // waiting: 6 buffered, the maximum
    t.equal(w.bufferedRows, 6);
    const blocked = w.write(rows(1, 6));
    t.equal(await isSettled(blocked), false, 'a seventh row waits');
    t.equal(w.bufferedRows, 6, 'and is not buffered yet');
    sink.resume();
    await blocked;
    await w.flush();
    t.same(
      sink.batches.flat().map((r) => r.key),
      ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6'],
    );
  },
);

t.test('a retryable failure is retried until the insert succeeds', async (t) => {
  const sink = new FakeSink();
  const w = writer(sink);
  t.teardown(() => w.close());
  sink.failures.push(unavailable(), unavailable());
  const retries: number[] = [];
  w.on('retry', (e) => retries.push(e.attempt));
  const batch = next(w, 'batch');
  await w.write(rows(2));
  await w.flush();
  t.same(retries, [1, 2]);
  t.match(await batch, { rows: 2, attempts: 3 });
  t.match(w.stats, { retries: 2, batches: 1, rows: 2, lostRows: 0 });
});

t.test('a permanent failure loses the batch; every flush() from before the loss says so', async (t) => {
  const sink = new FakeSink();
  const w = writer(sink);
  t.teardown(() => w.close());
  sink.failures.push(
    new ClickHouseError('CLICKHOUSE_SERVER_ERROR', 'Code: 60, unknown table', { serverCode: 60 }),
  );
  const lost = next(w, 'lost');
  // two partitions of one process share the writer; both write rows into the batch that is lost
  const markA = writeMark();
  const markB = writeMark();
  await w.write(rows(1));
  await w.write(rows(1, 1));
  await t.resolves(w.settled(), 'settled() only waits (a reader does not take the report)');
  await t.rejects(w.flush(markA), { code: 'CLICKHOUSE_ROWS_LOST', serverCode: 60, retryable: false });
  t.match(await lost, { writer: 'test_table', rows: 2 });
  t.equal(w.stats.lostRows, 2);
  await t.rejects(
    w.flush(markB),
    { code: 'CLICKHOUSE_ROWS_LOST' },
    "the second partition's checkpoint fails too: its rows were in the lost batch",
  );
  // each restarts from its checkpoint with a new mark and writes its rows again
  const restarted = writeMark();
  await w.write(rows(2));
  await t.resolves(w.flush(restarted), 'a mark taken after the loss does not see it');
  t.same(sink.batches, [rows(2)], 'the writer goes on');
  await t.rejects(w.flush(), 'a flush without a mark hears of any loss');
});

t.test('close() writes what is buffered, then refuses rows', async (t) => {
  const sink = new FakeSink();
  const w = writer(sink);
  await w.write(rows(2));
  await w.close();
  t.equal(sink.batches.flat().length, 2);
  await t.rejects(w.write(rows(1)), { code: 'CLICKHOUSE_CLOSED' });
});

t.test('close() gives up after closeTimeoutMs while the server stays down', async (t) => {
  const sink = new FakeSink();
  const w = writer(sink, { closeTimeoutMs: 20 });
  const down = new ClickHouseError('CLICKHOUSE_UNAVAILABLE', 'down');
  sink.failures = Array.from({ length: 1000 }, () => down);
  await w.write(rows(2));
  await t.rejects(w.close(), { code: 'CLICKHOUSE_ROWS_LOST' });
  t.equal(sink.batches.length, 0);
  t.equal(w.stats.lostRows, 2);
});

t.test('bad options are refused', async (t) => {
  const sink = new FakeSink();
  t.throws(() => writer(sink, { batchRows: 0 }), RangeError);
  t.throws(() => writer(sink, { batchRows: 10, maxBufferedRows: 5 }), RangeError);
  t.throws(() => writer(sink, { flushIntervalMs: -1 }), RangeError);
});

t.test('the metrics plugin shows batch sizes, latency, retries, lost and buffered rows', async (t) => {
  const { Metrics } = await import('../../api/plugins/metrics.js');
  const metrics = new Metrics({ defaultMetrics: false });
  const sink = new FakeSink();
  const w = writer(sink);
  const off = metrics.observeWriters([w]);
  t.teardown(off);
  sink.failures.push(unavailable());
  await w.write(rows(2));
  await w.flush();
  sink.failures.push(new ClickHouseError('CLICKHOUSE_SERVER_ERROR', 'bad data', { serverCode: 27 }));
  await w.write(rows(1));
  await t.rejects(w.flush());
  sink.pause();
  await w.write(rows(3)); // in flight, held
  const text = await metrics.registry.metrics();
  t.match(text, /pulsewatch_clickhouse_batch_rows_sum\{table="test_table"\} 2/);
  t.match(text, /pulsewatch_clickhouse_insert_seconds_count\{table="test_table"\} 1/);
  t.match(text, /pulsewatch_clickhouse_insert_retries_total\{table="test_table"\} 1/);
  t.match(text, /pulsewatch_clickhouse_rows_lost_total\{table="test_table"\} 1/);
  t.match(text, /pulsewatch_clickhouse_buffered_rows\{table="test_table"\} 3/);
  sink.resume();
  await w.close();
});
