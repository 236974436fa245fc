/**
 * Batched writes against a private clickhouse-server that the tests stop, kill and restart
 * (the machine's shared instance is never touched).
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import {
  ClickHouseConnection,
  ClickHouseStore,
  ident,
  sql,
  Tables,
  type BatchWriterEventName,
  type BatchWriterEvents,
  type ClickHouseStoreOptions,
  type WriterFigures,
} from '../../stream/store/clickhouse/index.js';
import type { EnrichedEvent } from '../../stream/index.js';
import { row } from '../contract/store-contract.js';
import { isSettled } from '../helpers/async.js';
import { startClickHouseServer } from '../helpers/clickhouse-server.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

const server = await startClickHouseServer();
const admin = new ClickHouseConnection({ url: server.url });
t.teardown(async () => {
  await admin.close();
  await server.dispose();
});

async function openStore(options: ClickHouseStoreOptions = {}): Promise<ClickHouseStore> {
  return ClickHouseStore.open({
    url: server.url,
    database: `pw_test_${randomBytes(6).toString('hex')}`,
    retry: { initialMs: 20, maxMs: 200 },
    ...options,
  });
}

function windowsWriter(store: ClickHouseStore): WriterFigures {
  const w = store.writers.find((x) => x.name === Tables.windows);
  if (!w) throw new Error('no window writer');
  return w;
}

function next<K extends BatchWriterEventName>(
  w: WriterFigures,
  event: K,
  count = 1,
): Promise<BatchWriterEvents[K]> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = w.on(event, (e) => {
      if (++seen < count) return;
      off();
      resolve(e);
    });
  });
}

async function storedRows(store: ClickHouseStore): Promise<number> {
  const [r] = await admin.rows<{ n: string }>(
    sql`SELECT count() AS n FROM ${ident(store.database, Tables.windows)}`,
  );
  return Number(r?.n);
}

t.test('the helper stops, kills and restarts its server; data survives', async (t) => {
  const store = await openStore();
  t.teardown(() => store.close());
  await store.upsert([row({ brand: 'b', start: T0, posts: 4 })]);
  await store.flush();
  await server.stop();
  t.equal(server.running, false);
  await t.rejects(admin.ping(), { code: 'CLICKHOUSE_UNAVAILABLE', retryable: true });
  await server.restart();
  await server.kill();
  await t.rejects(admin.ping(), { code: 'CLICKHOUSE_UNAVAILABLE' });
  await server.restart();
  t.equal(server.running, true);
  const [w] = await store.query({ brand: 'b', window: '1m', from: T0, to: T0 + MIN });
  t.equal(w?.posts, 4);
});

t.test('rows are inserted at batchRows without a flush', async (t) => {
  const store = await openStore({ batchRows: 5, maxBufferedRows: 50, flushIntervalMs: 3_600_000 });
  t.teardown(() => store.close());
  const writer = windowsWriter(store);
  const batch = next(writer, 'batch');
  for (let i = 0; i < 5; i++) await store.upsert([row({ brand: 'b', start: T0 + i * MIN, posts: 1 })]);
  t.match(await batch, { writer: Tables.windows, rows: 5 });
  t.equal(await storedRows(store), 5, 'in ClickHouse before any flush');
  await store.upsert([row({ brand: 'b', start: T0 + 5 * MIN, posts: 1 })]);
  t.equal(writer.bufferedRows, 1, 'one row waits: below batchRows and an hour before the interval');
  await store.flush();
  t.equal(await storedRows(store), 6);
  t.match(writer.stats, { batches: 2, rows: 6, lostRows: 0 });
});

t.test('rows below batchRows are inserted after flushIntervalMs', async (t) => {
  const store = await openStore({ batchRows: 10_000, flushIntervalMs: 50 });
  t.teardown(() => store.close());
  const batch = next(windowsWriter(store), 'batch');
  await store.upsert([
    row({ brand: 'b', start: T0, posts: 1 }),
    row({ brand: 'b', start: T0 + MIN, posts: 2 }),
  ]);
  t.match(await batch, { rows: 2 });
  t.equal(await storedRows(store), 2);
});

t.test(
  'while the server is down, inserts are retried and upsert() waits once the buffer is full',
  async (t) => {
    const store = await openStore({ batchRows: 5, maxBufferedRows: 10, flushIntervalMs: 3_600_000 });
    t.teardown(() => store.close());
    const writer = windowsWriter(store);
    await server.kill();

    const retried = next(writer, 'retry', 2);
    const rows = Array.from({ length: 11 }, (_, i) =>
      row({ brand: 'b', start: T0 + i * MIN, partition: i % 2, posts: i + 1, version: 1 }),
    );
    await store.upsert(rows.slice(0, 5)); // a batch, failing
    t.match(await retried, { writer: Tables.windows, error: { code: 'CLICKHOUSE_UNAVAILABLE' } });
    await store.upsert(rows.slice(5, 10)); // buffered: 10, the maximum
    t.equal(writer.bufferedRows, 10);
    const blocked = store.upsert(rows.slice(10));
    await next(writer, 'retry');
    t.equal(await isSettled(blocked), false, 'the eleventh row waits for room');
    t.equal(writer.bufferedRows, 10, 'memory stays bounded');

    const flushed = store.flush();
    await server.restart();
    await blocked;
    await flushed;
    await store.flush();
    t.ok(writer.stats.retries >= 3, `retries counted (${writer.stats.retries})`);
    t.equal(writer.stats.lostRows, 0);
    t.equal(writer.bufferedRows, 0);
    const out = await store.query({ brand: 'b', window: '1m', from: T0, to: T0 + 11 * MIN });
    t.same(
      out.map((w) => w.posts),
      rows.map((r) => r.posts),
      'every row arrived once',
    );
  },
);

t.test('a flush interrupted by a crash completes after the restart, without duplicates', async (t) => {
  const store = await openStore({ batchRows: 100, flushIntervalMs: 3_600_000 });
  t.teardown(() => store.close());
  await store.upsert([row({ brand: 'b', start: T0, posts: 3, version: 1 })]);
  await store.flush();
  await store.upsert([row({ brand: 'b', start: T0, posts: 5, version: 2, final: true })]);
  await server.kill();
  const flushed = store.flush();
  await next(windowsWriter(store), 'retry');
  await server.restart();
  await flushed;
  const out = await store.query({ brand: 'b', window: '1m', from: T0, to: T0 + MIN });
  t.same(
    out.map((w) => [w.posts, w.final]),
    [[5, true]],
  );
});

t.test('open() waits for a server that is still starting', async (t) => {
  await server.kill();
  const opening = openStore({ startupRetries: 50 });
  await tick();
  await server.restart();
  const store = await opening;
  t.teardown(() => store.close());
  await store.upsert([row({ brand: 'b', start: T0, posts: 1 })]);
  t.equal((await store.query({ brand: 'b', window: '1m', from: T0, to: T0 + MIN })).length, 1);
});

t.test('open() fails with the cause when the server stays away', async (t) => {
  await t.rejects(
    ClickHouseStore.open({ url: 'http://127.0.0.1:1', database: 'pw_never', startupRetries: 1 }),
    { code: 'CLICKHOUSE_UNAVAILABLE' },
  );
  await t.rejects(ClickHouseStore.open({ url: server.url, database: 'bad-name; DROP' }), RangeError);
  await t.rejects(
    ClickHouseStore.open({ url: 'http://127.0.0.1:1', batchRows: 0 }),
    RangeError,
    'before I/O',
  );
});

function enriched(id: string, ts: number): EnrichedEvent {
  return {
    id,
    source: 'test',
    ts,
    received_ts: ts + 5,
    author: { id: 'u1', followers: 10 },
    text: "it's great \\o/",
    tags: { hashtags: ['coffee'], mentions: [], urls: [] },
    engagement: { likes: 1, shares: 0, replies: 2 },
    brands: ['Northwind Coffee'],
    sentiment: { label: 'positive', score: 0.8, model: 'rules-v1' },
  };
}

t.test('enriched events: stored when a retention is set, a redelivery replaces itself', async (t) => {
  const off = await openStore();
  t.equal(off.insertEnriched, undefined, 'retention 0: the store has no enriched-events capability');
  await off.close();

  const store = await openStore({ enrichedRetentionDays: 3, retentionCheckMs: 3_600_000 });
  t.teardown(() => store.close());
  t.equal(store.writers.length, 3, 'the enriched writer reports figures from the start, before any insert');
  const now = Date.now();
  await store.insertEnriched!([enriched('old', now - 10 * 86_400_000), enriched('new', now)]);
  await store.insertEnriched!([enriched('new', now)]); // a redelivery
  await store.flush();
  // The periodic run started with the first insert; this one waits for it, and together they
  // leave only the days inside the retention.
  await store.dropExpiredEnriched();
  const rows = await admin.rows<{ id: string; text: string; brands: string[]; geo_lat: number | null }>(
    sql`SELECT id, text, brands, geo_lat FROM ${ident(store.database, Tables.enriched)} FINAL`,
  );
  t.same(rows, [{ id: 'new', text: "it's great \\o/", brands: ['Northwind Coffee'], geo_lat: null }]);
});

t.test('enriched events: the days before the retention are dropped, by partition', async (t) => {
  const store = await openStore({ enrichedRetentionDays: 3 });
  t.teardown(() => store.close());
  const table = ident(store.database, Tables.enriched);
  const day = 86_400_000;
  const now = Date.now();
  // Written around the store, so no periodic run is started: this test sees every drop.
  await admin.insert(
    table,
    [10, 9, 9, 0].map((daysAgo, i) => ({
      id: `e${i}`,
      source: 'test',
      ts: Math.floor((now - daysAgo * day) / 1000),
      ts_ms: now - daysAgo * day,
    })),
  );
  const dropped = await store.dropExpiredEnriched();
  t.equal(dropped.length, 2, `two expired days dropped (${dropped.join(', ')})`);
  t.ok(
    dropped.every((d) => /^\d{8}$/.test(d)),
    'partitions are days',
  );
  const left = await admin.rows<{ id: string }>(sql`SELECT id FROM ${table} ORDER BY id`);
  t.same(
    left.map((r) => r.id),
    ['e3'],
  );
  t.same(await store.dropExpiredEnriched(), [], 'nothing left to drop');
});
