/** What went wrong talking to ClickHouse, with whether trying again can help. */
export type ClickHouseErrorCode =
  /** The server could not be reached or did not answer in time. Retrying helps once it is back. */
  | 'CLICKHOUSE_UNAVAILABLE'
  /** The server answered with an error; `serverCode` is its number. Some are transient. */
  | 'CLICKHOUSE_SERVER_ERROR'
  /** The request failed in a way that is neither of the above (a client-side fault). */
  | 'CLICKHOUSE_REQUEST_FAILED'
  /** A writer gave up on rows (a permanent error, or closed before they were written). */
  | 'CLICKHOUSE_ROWS_LOST'
  /** The store or writer was used after close(). */
  | 'CLICKHOUSE_CLOSED';

/**
 * Server error numbers that can pass: overload, timeouts, network trouble between replicas,
 * read-only replicas and lost ZooKeeper sessions. Everything else (syntax, unknown table, bad
 * data) fails the same way again.
 */
const TRANSIENT_SERVER_CODES = new Set([
  3, // UNEXPECTED_END_OF_FILE
  159, // TIMEOUT_EXCEEDED
  164, // READONLY
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  286, // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

export class ClickHouseError extends Error {
  readonly code: ClickHouseErrorCode;
  /** The server's error number (`Code: 60` → 60), when the server answered. */
  readonly serverCode: number | undefined;
  readonly retryable: boolean;

  constructor(
    code: ClickHouseErrorCode,
    message: string,
    options: { serverCode?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ClickHouseError';
    this.code = code;
    this.serverCode = options.serverCode;
    this.retryable =
      options.retryable ??
      (code === 'CLICKHOUSE_UNAVAILABLE' ||
        (options.serverCode !== undefined && TRANSIENT_SERVER_CODES.has(options.serverCode)));
  }
}

/**
 * The server's error number in a message. 18.16 writes `Code: 60, e.displayText() = ...`,
 * current releases `Code: 60. DB::Exception: ... (UNKNOWN_TABLE)`; the client library parses
 * only the latter, so the number is read from the text.
 */
export function parseServerCode(message: string): number | undefined {
  const m = /\bCode: (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Any error from the client library or the network, as a ClickHouseError. */
export function toClickHouseError(err: unknown, what: string): ClickHouseError {
  if (err instanceof ClickHouseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const clientCode = (err as { code?: unknown } | null)?.code;
  const serverCode =
    parseServerCode(message) ??
    (typeof clientCode === 'string' && /^\d+$/.test(clientCode) ? Number(clientCode) : undefined);
  if (serverCode !== undefined) {
    return new ClickHouseError('CLICKHOUSE_SERVER_ERROR', `${what}: ${firstLine(message)}`, {
      serverCode,
      cause: err,
    });
  }
  if (
    (typeof clientCode === 'string' && NETWORK_ERROR_CODES.has(clientCode)) ||
    NETWORK_ERROR_MESSAGE.test(message)
  ) {
    return new ClickHouseError('CLICKHOUSE_UNAVAILABLE', `${what}: ${firstLine(message) || clientCode}`, {
      cause: err,
    });
  }
  return new ClickHouseError('CLICKHOUSE_REQUEST_FAILED', `${what}: ${firstLine(message)}`, { cause: err });
}

/** Node's codes for a request that got no answer: the server is down, restarting or unreachable. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
// The client library's own words for the same (its request timeout, a socket closed mid-answer).
const NETWORK_ERROR_MESSAGE = /socket hang up|Timeout error|ECONNREFUSED|ECONNRESET|other side closed/i;

export function isRetryable(err: unknown): boolean {
  return err instanceof ClickHouseError && err.retryable;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
