import type { ClickHouseConnection } from './connection.js';
import { ClickHouseError } from './errors.js';
import { ident, sql, type SqlFragment } from './escape.js';
import { ACTIVITY_TABLE } from '../../operators/brand-activity.js';
import { CAMPAIGN_WINDOWS_TABLE } from '../../campaigns/windows-table.js';
import { ALERTS_TABLE } from '../../stages/alert-rows.js';
import {
  ANALYTICS_TABLES,
  SEGMENT_WINDOWS_TABLE,
  TOPIC_WINDOWS_TABLE,
  TREND_WINDOWS_TABLE,
  VOICE_WINDOWS_TABLE,
} from '../../analytics/tables.js';
import {
  deadLettersTableSql,
  enrichedTableSql,
  operatorTableSql,
  Tables,
  windowsTableSql,
} from './schema.js';

export interface Migration {
  version: number;
  name: string;
  /**
   * Statements in order. Each must be safe to run again (IF NOT EXISTS and the like): a process
   * that dies between a statement and the record of its migration runs it once more, and several
   * workers starting at once may run it side by side.
   */
  statements: (database: string) => SqlFragment[];
}

/** Append only: a released migration never changes; a change of schema is a new version. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'window aggregates', statements: (db) => [windowsTableSql(db)] },
  { version: 2, name: 'dead letters', statements: (db) => [deadLettersTableSql(db)] },
  { version: 3, name: 'enriched events', statements: (db) => [enrichedTableSql(db)] },
  { version: 4, name: 'brand activity', statements: (db) => [operatorTableSql(db, ACTIVITY_TABLE)] },
  { version: 5, name: 'alerts', statements: (db) => [operatorTableSql(db, ALERTS_TABLE)] },
  {
    version: 6,
    name: 'campaign windows',
    statements: (db) => [operatorTableSql(db, CAMPAIGN_WINDOWS_TABLE)],
  },
  {
    version: 7,
    name: 'analytics: topics, trends, share of voice, influencers, segments, best times',
    statements: (db) => ANALYTICS_TABLES.map((table) => operatorTableSql(db, table)),
  },
  {
    version: 8,
    name: 'trend windows: whether the detector was past its warm-up',
    // rows written before it were (almost all) past it; a database made since version 7 has the
    // column already (7 creates the table from its current columns): code 44, nothing to do
    statements: (db) => [
      sql`ALTER TABLE ${ident(db, TREND_WINDOWS_TABLE.name)} ADD COLUMN warm UInt8 DEFAULT 1`,
    ],
  },
  {
    version: 9,
    name: 'analytics windows: posts with a sentiment score, the denominator of the mean sentiment',
    // rows written before it count every post as scored (as their mean did); a database made since
    // version 7 has the column already: code 44, nothing to do
    statements: (db) => [
      sql`ALTER TABLE ${ident(db, VOICE_WINDOWS_TABLE.name)} ADD COLUMN scored UInt64 DEFAULT posts`,
      sql`ALTER TABLE ${ident(db, TOPIC_WINDOWS_TABLE.name)} ADD COLUMN scored UInt64 DEFAULT docs`,
      sql`ALTER TABLE ${ident(db, SEGMENT_WINDOWS_TABLE.name)} ADD COLUMN scored UInt64 DEFAULT posts`,
    ],
  },
];

// Lost races of two workers creating the same thing at once (a code 18.16 can still return), and a
// column added before (18.16 has no ADD COLUMN IF NOT EXISTS).
const ALREADY_EXISTS = new Set([44, 57, 82]); // ILLEGAL_COLUMN (exists), TABLE_ALREADY_EXISTS, DATABASE_ALREADY_EXISTS

async function run(conn: ClickHouseConnection, statement: SqlFragment): Promise<void> {
  try {
    await conn.command(statement);
  } catch (err) {
    if (err instanceof ClickHouseError && err.serverCode !== undefined && ALREADY_EXISTS.has(err.serverCode))
      return;
    throw err;
  }
}

/**
 * Creates the database if it is missing and applies the migrations it has not recorded in
 * `schema_migrations`, in version order. Returns the versions applied by this call.
 */
export async function migrate(
  conn: ClickHouseConnection,
  database: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const table = ident(database, Tables.migrations);
  await run(conn, sql`CREATE DATABASE IF NOT EXISTS ${ident(database)}`);
  await run(
    conn,
    sql`CREATE TABLE IF NOT EXISTS ${table} (version UInt32, name String, applied_at DateTime)
      ENGINE = ReplacingMergeTree() ORDER BY version`,
  );
  const rows = await conn.rows<{ version: number | string }>(sql`SELECT DISTINCT version FROM ${table}`);
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements(database)) await run(conn, statement);
    await conn.insert(table, [
      { version: m.version, name: m.name, applied_at: Math.floor(Date.now() / 1000) },
    ]);
    applied.push(m.version);
  }
  return applied;
}
