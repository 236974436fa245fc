import { COUNT_TYPES, type BrandCounts } from '../../operators/brand-counts.js';
import type { DeadLetter } from '../../bus/dead-letter.js';
import type { EnrichedEvent } from '../../model/events.js';
import type { WindowRow } from '../store.js';
import { checkTableSpec, type ColumnType, type TableSpec } from '../table.js';
import { ident, joinSql, sql, type SqlFragment } from './escape.js';

/**
 * Tables and the records written to them. Every column type exists on ClickHouse 18.16 and on
 * current releases: String, (U)Int, Float64, Array, Nullable and DateTime in seconds. Times in
 * ms are kept exactly in Int64 columns next to the DateTime ones, which partition and index.
 */
export const Tables = {
  migrations: 'schema_migrations',
  windows: 'window_aggregates',
  deadLetters: 'dead_letters',
  enriched: 'enriched_events',
} as const;

/** The counters of a window row and their column types; one entry per BrandCounts field. */
export const COUNT_COLUMNS = COUNT_TYPES;

export const COUNT_NAMES = Object.keys(COUNT_COLUMNS) as (keyof BrandCounts)[];

/** DateTime holds seconds from 1970 to 2106; clamp so a stray value cannot wrap around. */
export function toDateTimeSeconds(ms: number): number {
  return Math.min(Math.max(Math.floor(ms / 1000), 0), 4_294_967_295);
}

export function windowsTableSql(database: string): SqlFragment {
  const counts = joinSql(COUNT_NAMES.map((name) => sql`${ident(name)} ${sqlType(COUNT_COLUMNS[name])}`));
  return sql`CREATE TABLE IF NOT EXISTS ${ident(database, Tables.windows)} (
    brand String,
    \`window\` String,
    start DateTime,
    \`partition\` UInt32,
    start_ms Int64,
    end_ms Int64,
    version UInt64,
    final UInt8,
    ${counts}
  ) ENGINE = ReplacingMergeTree(version)
  PARTITION BY toYYYYMM(start)
  ORDER BY (brand, \`window\`, start, \`partition\`, start_ms)`;
}

export function deadLettersTableSql(database: string): SqlFragment {
  return sql`CREATE TABLE IF NOT EXISTS ${ident(database, Tables.deadLetters)} (
    ts DateTime,
    ts_ms Int64,
    stage String,
    reason String,
    source String,
    detail String,
    payload String,
    truncated UInt8
  ) ENGINE = MergeTree()
  PARTITION BY toYYYYMM(ts)
  ORDER BY (stage, reason, ts_ms)`;
}

/** One partition per day, so retention drops whole days (18.16 has no TTL). */
export function enrichedTableSql(database: string): SqlFragment {
  return sql`CREATE TABLE IF NOT EXISTS ${ident(database, Tables.enriched)} (
    ts DateTime,
    ts_ms Int64,
    received_ts_ms Int64,
    source String,
    id String,
    author_id String,
    author_followers UInt64,
    author_verified UInt8,
    text String,
    lang String,
    hashtags Array(String),
    mentions Array(String),
    urls Array(String),
    brands Array(String),
    sentiment_label String,
    sentiment_score Float64,
    sentiment_model String,
    likes UInt64,
    shares UInt64,
    replies UInt64,
    campaign_id String,
    campaign_arm String,
    geo_country String,
    geo_lat Nullable(Float64),
    geo_lon Nullable(Float64)
  ) ENGINE = ReplacingMergeTree()
  PARTITION BY toYYYYMMDD(ts)
  ORDER BY (source, id)`;
}

export type WindowRecord = ReturnType<typeof windowRecord>;

export function windowRecord(r: WindowRow) {
  const counts = {} as Record<keyof BrandCounts, number>;
  for (const name of COUNT_NAMES) counts[name] = r[name];
  return {
    brand: r.brand,
    window: r.window,
    start: toDateTimeSeconds(r.start),
    partition: r.partition,
    start_ms: r.start,
    end_ms: r.end,
    version: r.version,
    final: r.final ? 1 : 0,
    ...counts,
  };
}

export function windowRecordKey(r: WindowRecord): string {
  return `${r.brand}\u0000${r.window}\u0000${r.start_ms}\u0000${r.partition}`;
}

/** Of two records with one key, the one a ReplacingMergeTree(version) read would keep. */
export function newerWindowRecord(older: WindowRecord, newer: WindowRecord): WindowRecord {
  return newer.version >= older.version ? newer : older;
}

export function deadLetterRecord(l: DeadLetter) {
  return {
    ts: toDateTimeSeconds(l.ts),
    ts_ms: l.ts,
    stage: l.stage,
    reason: l.reason,
    source: l.source,
    detail: l.detail,
    payload: l.payload,
    truncated: l.truncated ? 1 : 0,
  };
}

export function enrichedRecord(e: EnrichedEvent) {
  return {
    ts: toDateTimeSeconds(e.ts),
    ts_ms: e.ts,
    received_ts_ms: e.received_ts,
    source: e.source,
    id: e.id,
    author_id: e.author.id,
    author_followers: e.author.followers,
    author_verified: e.author.verified ? 1 : 0,
    text: e.text,
    lang: e.lang ?? '',
    hashtags: e.tags.hashtags,
    mentions: e.tags.mentions,
    urls: e.tags.urls,
    brands: e.brands,
    sentiment_label: e.sentiment.label,
    sentiment_score: e.sentiment.score,
    sentiment_model: e.sentiment.model,
    likes: e.engagement.likes,
    shares: e.engagement.shares,
    replies: e.engagement.replies,
    campaign_id: e.campaign?.id ?? '',
    campaign_arm: e.campaign?.arm ?? '',
    geo_country: e.geo?.country ?? '',
    geo_lat: e.geo?.lat ?? null,
    geo_lon: e.geo?.lon ?? null,
  };
}

/**
 * The table of an operator: its columns, `ReplacingMergeTree(version)` ordered by the key, so a
 * read with FINAL sees the latest version of each row.
 */
export function operatorTableSql(database: string, table: TableSpec<never>): SqlFragment {
  checkTableSpec(table);
  const columns = joinSql(
    Object.entries(table.columns).map(([name, type]) => sql`${ident(name)} ${columnType(type)}`),
    ',\n    ',
  );
  const key = joinSql(table.key.map((name) => ident(name)));
  return sql`CREATE TABLE IF NOT EXISTS ${ident(database, table.name)} (
    ${columns}
  ) ENGINE = ReplacingMergeTree(version)
  ORDER BY (${key})`;
}

const COLUMN_TYPES: Record<ColumnType, SqlFragment> = {
  String: sql`String`,
  UInt8: sql`UInt8`,
  UInt32: sql`UInt32`,
  UInt64: sql`UInt64`,
  Int64: sql`Int64`,
  Float64: sql`Float64`,
};

/** A column type of the fixed list, as SQL text (types are not values, so not escaped). */
function columnType(type: ColumnType): SqlFragment {
  const fragment = COLUMN_TYPES[type];
  if (!fragment) throw new RangeError(`unknown column type ${String(type)}`);
  return fragment;
}

/** A column type from the fixed list above, as SQL text (types are not values, so not escaped). */
function sqlType(text: 'UInt64' | 'Float64'): SqlFragment {
  return text === 'UInt64' ? sql`UInt64` : sql`Float64`;
}
