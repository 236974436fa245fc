import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { toClickHouseError } from './errors.js';
import { wellFormed, type SqlFragment } from './escape.js';

export interface ClickHouseConnectionOptions {
  /** HTTP interface, e.g. http://127.0.0.1:8123 (the default). */
  url?: string;
  username?: string;
  password?: string;
  /** Per request; a request that takes longer fails as CLICKHOUSE_UNAVAILABLE. Default 30 s. */
  requestTimeoutMs?: number;
  /** Sockets kept to the server. Default 10. */
  maxOpenConnections?: number;
}

export const DEFAULT_CLICKHOUSE_URL = 'http://127.0.0.1:8123';

/**
 * A thin layer over the HTTP client that speaks only what ClickHouse 18.16 and current releases
 * share: SQL text built by `sql` (no server-side parameters), JSONEachRow in and out, and errors
 * turned into ClickHouseError with the server's code parsed from the message.
 */
export class ClickHouseConnection {
  readonly url: string;
  private readonly client: ClickHouseClient;
  private closed = false;

  constructor(options: ClickHouseConnectionOptions = {}) {
    this.url = options.url ?? DEFAULT_CLICKHOUSE_URL;
    this.client = createClient({
      url: this.url,
      username: options.username ?? 'default',
      password: options.password ?? '',
      request_timeout: options.requestTimeoutMs ?? 30_000,
      max_open_connections: options.maxOpenConnections ?? 10,
      // Errors reach the caller as ClickHouseError; the library's own logging would repeat them.
      log: { level: ClickHouseLogLevel.OFF },
      json: { stringify: stringifyWellFormed },
    });
  }

  /** Resolves once the server answers `/ping`. */
  async ping(): Promise<void> {
    const result = await this.client.ping();
    if (!result.success) throw toClickHouseError(result.error, `ping ${this.url}`);
  }

  /** Runs a statement that returns no rows (DDL, ALTER, INSERT ... SELECT). */
  async command(query: SqlFragment): Promise<void> {
    try {
      await this.client.command({ query: query.text });
    } catch (err) {
      throw toClickHouseError(err, 'command failed');
    }
  }

  /**
   * Runs a SELECT and returns its rows. UInt64 and Int64 columns arrive as strings (18.16 and
   * current releases quote 64-bit integers in JSON by default): convert them with Number().
   */
  async rows<T>(query: SqlFragment): Promise<T[]> {
    try {
      const result = await this.client.query({ query: query.text, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (err) {
      throw toClickHouseError(err, 'query failed');
    }
  }

  /** Inserts rows as JSONEachRow into `table`, a quoted (qualified) name from `ident`. */
  async insert(table: SqlFragment, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({ table: table.text, values: rows as object[], format: 'JSONEachRow' });
    } catch (err) {
      throw toClickHouseError(err, `insert into ${table.text} failed`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}

/** JSON for inserts, with lone surrogates as U+FFFD (see `wellFormed`). */
function stringifyWellFormed(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? wellFormed(v) : v));
}
