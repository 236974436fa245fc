export { ClickHouseStore, type ClickHouseStoreOptions } from './store.js';
export {
  ClickHouseConnection,
  DEFAULT_CLICKHOUSE_URL,
  type ClickHouseConnectionOptions,
} from './connection.js';
export {
  BatchWriter,
  type BatchWriterOptions,
  type BatchWriterEvents,
  type BatchWriterEventName,
  type BatchWriterStats,
  type WriterFigures,
} from './writer.js';
export {
  ClickHouseError,
  isRetryable,
  parseServerCode,
  toClickHouseError,
  type ClickHouseErrorCode,
} from './errors.js';
export {
  sql,
  ident,
  joinSql,
  sqlLiteral,
  quoteString,
  quoteIdentifier,
  isSafeIdentifier,
  wellFormed,
  SqlFragment,
  type SqlValue,
} from './escape.js';
export { migrate, MIGRATIONS, type Migration } from './migrations.js';
export { Tables } from './schema.js';
