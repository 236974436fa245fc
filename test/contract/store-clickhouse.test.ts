import t from 'tap';
import { randomBytes } from 'node:crypto';
import {
  ClickHouseConnection,
  ClickHouseStore,
  ident,
  migrate,
  MIGRATIONS,
  sql,
  Tables,
  type ClickHouseStoreOptions,
} from '../../stream/store/clickhouse/index.js';
import {
  operatorTables,
  SEGMENT_WINDOWS_TABLE,
  TOPIC_WINDOWS_TABLE,
  TREND_WINDOWS_TABLE,
  VOICE_WINDOWS_TABLE,
} from '../../stream/index.js';
import { row, storeContract } from './store-contract.js';

// The machine's shared ClickHouse (`bash deploy/services.sh up`); each run uses its own database.
const url = process.env.PW_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const admin = new ClickHouseConnection({ url });
const databases: string[] = [];

t.teardown(async () => {
  for (const db of databases) await admin.command(sql`DROP DATABASE IF EXISTS ${ident(db)}`);
  await admin.close();
});

async function openStore(options: ClickHouseStoreOptions = {}): Promise<ClickHouseStore> {
  const database = `pw_test_${randomBytes(6).toString('hex')}`;
  databases.push(database);
  return ClickHouseStore.open({ url, database, tables: operatorTables(), ...options });
}

storeContract(t, 'ClickHouse store', () => openStore());

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

t.test('a new database is created with every migration recorded once, however often it opens', async (t) => {
  const first = await openStore();
  const again = await ClickHouseStore.open({ url, database: first.database });
  const versions = await admin.rows<{ version: number }>(
    sql`SELECT version FROM ${ident(first.database, Tables.migrations)} FINAL ORDER BY version`,
  );
  t.same(
    versions.map((v) => Number(v.version)),
    MIGRATIONS.map((m) => m.version),
  );
  const tables = await admin.rows<{ name: string }>(
    sql`SELECT name FROM system.tables WHERE database = ${first.database} ORDER BY name`,
  );
  t.same(
    tables.map((x) => x.name),
    [
      Tables.deadLetters,
      Tables.enriched,
      Tables.migrations,
      Tables.windows,
      ...operatorTables().map((x) => x.name),
    ].sort(),
  );
  await again.close();
  await first.close();
});

t.test('a database of migration 7 gets trend_windows.warm, its rows read as warm', async (t) => {
  const database = `pw_test_${randomBytes(6).toString('hex')}`;
  databases.push(database);
  // as an earlier release left it: the trends table without the column
  await migrate(
    admin,
    database,
    MIGRATIONS.filter((m) => m.version <= 7),
  );
  const trends = ident(database, TREND_WINDOWS_TABLE.name);
  await admin.command(sql`ALTER TABLE ${trends} DROP COLUMN warm`);
  await admin.command(
    sql`INSERT INTO ${trends} (brand, term, count, baseline, start, size_ms, partition, final, version)
      VALUES ('b', 'old', 3, 1, 0, 300000, 0, 1, 1)`,
  );
  t.same(
    await migrate(
      admin,
      database,
      MIGRATIONS.filter((m) => m.version <= 8),
    ),
    [8],
    'only the new migration runs',
  );
  const store = await ClickHouseStore.open({ url, database, tables: operatorTables() });
  t.teardown(() => store.close());
  t.match(await store.read(TREND_WINDOWS_TABLE, { brand: 'b' }), [{ term: 'old', warm: 1 }]);
  // run again (a process that died before recording it): the column is there, nothing to do
  await migrate(admin, database, [{ ...MIGRATIONS.find((m) => m.version === 8)!, version: 99 }]);
});

t.test(
  'a database of migration 8 gets the analytics windows’ scored, its rows read as all scored',
  async (t) => {
    const database = `pw_test_${randomBytes(6).toString('hex')}`;
    databases.push(database);
    await migrate(
      admin,
      database,
      MIGRATIONS.filter((m) => m.version <= 8),
    );
    // as an earlier release left them: the tables without the column, with a row each
    const voice = ident(database, VOICE_WINDOWS_TABLE.name);
    const topics = ident(database, TOPIC_WINDOWS_TABLE.name);
    const segments = ident(database, SEGMENT_WINDOWS_TABLE.name);
    for (const table of [voice, topics, segments])
      await admin.command(sql`ALTER TABLE ${table} DROP COLUMN scored`);
    await admin.command(
      sql`INSERT INTO ${voice} (brand, posts, positive, negative, sentiment_sum, reach, engagement, start, size_ms, partition, final, version)
      VALUES ('b', 4, 1, 0, 0.5, 10, 0, 0, 300000, 0, 1, 1)`,
    );
    await admin.command(
      sql`INSERT INTO ${topics} (scope, topic, docs, positive, negative, sentiment_sum, terms, emerging, start, size_ms, partition, final, version)
      VALUES ('b', 1, 5, 1, 0, 0.5, '[]', 0, 0, 300000, 0, 1, 1)`,
    );
    await admin.command(
      sql`INSERT INTO ${segments} (segment, posts, positive, negative, sentiment_sum, engagement, start, size_ms, partition, final, version)
      VALUES (2, 6, 1, 0, 0.5, 0, 0, 300000, 0, 1, 1)`,
    );
    t.same(await migrate(admin, database), [9], 'only the new migration runs');
    const store = await ClickHouseStore.open({ url, database, tables: operatorTables() });
    t.teardown(() => store.close());
    t.match(await store.read(VOICE_WINDOWS_TABLE, { brand: 'b' }), [{ posts: 4, scored: 4 }]);
    t.match(await store.read(TOPIC_WINDOWS_TABLE, { scope: 'b' }), [{ docs: 5, scored: 5 }]);
    t.match(await store.read(SEGMENT_WINDOWS_TABLE, {}), [{ posts: 6, scored: 6 }]);
    await migrate(admin, database, [{ ...MIGRATIONS.find((m) => m.version === 9)!, version: 99 }]);
  },
);

t.test('strings survive the escaping on the real server, injection attempts included', async (t) => {
  const store = await openStore();
  t.teardown(() => store.close());
  const nasty = [
    "'; DROP TABLE window_aggregates; --",
    "\\'; DROP TABLE window_aggregates; --",
    "\\' OR 1=1 --",
    'tab\there, newline\nthere, NUL\u0000, bell\u0007, del\u007f',
    'Café 😀 日本語 ñ',
    '\\',
    "'",
    '`backtick`',
  ];
  for (const [i, brand] of nasty.entries()) {
    await store.upsert([row({ brand, start: T0 + i * MIN, posts: i + 1 })]);
  }
  for (const [i, brand] of nasty.entries()) {
    const out = await store.query({ brand, window: '1m', from: T0, to: T0 + 100 * MIN });
    t.same(
      out.map((w) => [w.brand, w.posts]),
      [[brand, i + 1]],
      JSON.stringify(brand),
    );
  }
  const lone = 'half a pair \uD83D here';
  await store.upsert([row({ brand: lone, start: T0, posts: 1 })]);
  const [found] = await store.query({ brand: lone, window: '1m', from: T0, to: T0 + MIN });
  t.equal(found?.brand, lone, 'a lone surrogate is stored and found (as U+FFFD on both ways)');
  t.equal(found?.posts, 1);
  const echoed = await admin.rows<{ s: string }>(sql`SELECT ${nasty} AS s`);
  t.same(echoed[0]?.s, nasty, 'an array literal of them reads back as it was');
});

t.test('a window read after several rewrites in one batch holds the newest version only', async (t) => {
  const store = await openStore({ flushIntervalMs: 60_000 });
  t.teardown(() => store.close());
  await store.upsert([row({ brand: 'b', start: T0, version: 1, posts: 1 })]);
  await store.upsert([row({ brand: 'b', start: T0, version: 3, posts: 3 })]);
  await store.upsert([row({ brand: 'b', start: T0, version: 2, posts: 2 })]);
  await store.flush();
  const [w] = await store.query({ brand: 'b', window: '1m', from: T0, to: T0 + MIN });
  t.equal(w?.posts, 3);
  const stored = await admin.rows<{ n: string }>(
    sql`SELECT count() AS n FROM ${ident(store.database, Tables.windows)}`,
  );
  t.equal(Number(stored[0]?.n), 1, 'the rewrites were coalesced before the insert');
});

t.test('versions written in separate inserts are resolved at read time (FINAL)', async (t) => {
  const store = await openStore();
  t.teardown(() => store.close());
  for (const [version, posts] of [
    [5, 5],
    [7, 7],
    [6, 6],
  ] as const) {
    await store.upsert([row({ brand: 'b', start: T0, version, posts })]);
    await store.flush();
  }
  await store.upsert([row({ brand: 'b', start: T0, partition: 1, version: 3, posts: 1 })]);
  await store.flush();
  await store.upsert([row({ brand: 'b', start: T0, partition: 1, version: 3, posts: 2, final: true })]);
  await store.flush();
  // Five inserts, five parts (unless a background merge already replaced rows): FINAL decides.
  const [w] = await store.query({ brand: 'b', window: '1m', from: T0, to: T0 + MIN });
  t.equal(
    w?.posts,
    7 + 2,
    'the highest version of partition 0, the last write of equal versions of partition 1',
  );
  t.equal(w?.final, false);
});

t.test('query bounds outside the DateTime range still select by ms', async (t) => {
  const store = await openStore();
  t.teardown(() => store.close());
  await store.upsert([row({ brand: 'b', start: T0, posts: 5 })]);
  const out = await store.query({ brand: 'b', window: '1m', from: -Infinity, to: Infinity });
  t.same(
    out.map((w) => w.posts),
    [5],
  );
  await t.rejects(store.query({ brand: 'b', window: '1m', from: NaN, to: T0 }), RangeError);
});

t.test('dead letters are stored with every field', async (t) => {
  const store = await openStore();
  t.teardown(() => store.close());
  await store.insertDeadLetters([
    {
      stage: 'ingest',
      reason: 'schema',
      detail: "/ts: Expected integer; it's bad",
      source: 'my-crm',
      payload: '{"id":"p2","ts":"yesterday"}\n',
      truncated: false,
      ts: T0 + 123,
    },
  ]);
  await store.flush();
  const rows = await admin.rows<Record<string, unknown>>(
    sql`SELECT stage, reason, source, detail, payload, truncated, ts_ms, toUInt32(ts) AS ts_s
        FROM ${ident(store.database, Tables.deadLetters)}`,
  );
  t.same(rows, [
    {
      stage: 'ingest',
      reason: 'schema',
      source: 'my-crm',
      detail: "/ts: Expected integer; it's bad",
      payload: '{"id":"p2","ts":"yesterday"}\n',
      truncated: 0,
      ts_ms: String(T0 + 123),
      ts_s: Math.floor(T0 / 1000),
    },
  ]);
});
