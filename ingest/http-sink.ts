import { gzipSync } from 'node:zlib';
import { retry, retryAfter } from '../stream/index.js';
import type { EventKind, EventSink, SinkResult } from './sink.js';
import { addResult, emptyResult } from './sink.js';

export interface HttpSinkOptions {
  /** Base URL of a Pulsewatch process that runs ingest, e.g. `http://localhost:8080`. */
  url: string;
  /** Sent as `Authorization: Bearer <key>` when set. */
  apiKey?: string;
  /** Compress request bodies with gzip (`Content-Encoding: gzip`). Default false. */
  gzip?: boolean;
  /** Attempts after the first for a batch the server could not take (network error, 429, 5xx). Default: no limit. */
  retries?: number;
  /** Backoff between attempts when the server gives no Retry-After; defaults 200 ms doubling to 10 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Told about each retry, so a CLI can show it. */
  onRetry?: (reason: string, attempt: number, delayMs: number) => void;
  /** Stops waiting between retries. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** A reply the server will give again for the same request: retrying cannot help. */
export class SinkRefusedError extends Error {
  override name = 'SinkRefusedError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`ingest refused the batch: HTTP ${status} ${code}: ${message}`);
  }
}

interface IngestReply {
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: { line: number; reason: string; detail: string }[];
}

/**
 * Posts batches as NDJSON to `POST /v1/events` (or `/v1/feedback`) of a running Pulsewatch. Batches
 * the server cannot take now (down, 503, 429) are retried after its Retry-After or with backoff;
 * a body over the server's limit (413) is split in two. So a connector sees each batch either
 * acknowledged, with per-event rejects, or a SinkRefusedError (bad key, bad request).
 */
export class HttpSink implements EventSink {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly o: HttpSinkOptions) {
    this.base = o.url.replace(/\/+$/, '');
    this.fetch = o.fetch ?? fetch;
  }

  async submit(events: readonly unknown[], kind: EventKind = 'social'): Promise<SinkResult> {
    if (events.length === 0) return emptyResult();
    const lines = events.map((e) => JSON.stringify(e));
    return this.post(lines, kind);
  }

  /**
   * Posts NDJSON lines as they are, with submit's retries and 413 split: for lines that must reach
   * the server unchanged, such as a scenario's deliberately malformed ones.
   */
  async submitRaw(lines: readonly string[], kind: EventKind = 'social'): Promise<SinkResult> {
    if (lines.length === 0) return emptyResult();
    if (lines.some((l) => /[\r\n]/.test(l)))
      throw new RangeError('submitRaw: a line must not contain a line break');
    return this.post([...lines], kind);
  }

  /** Posts the lines; a body the server finds too large (413) is split in two, each posted on its own. */
  private async post(lines: string[], kind: EventKind): Promise<SinkResult> {
    const reply = await this.send(lines, kind);
    if (reply !== TOO_LARGE) return reply;
    const half = Math.ceil(lines.length / 2);
    const first = await this.post(lines.slice(0, half), kind);
    return addResult(first, await this.post(lines.slice(half), kind), half);
  }

  /** One body, retried while the server cannot take it; TOO_LARGE for a 413 on more than one line. */
  private async send(lines: string[], kind: EventKind): Promise<SinkResult | typeof TOO_LARGE> {
    const body = Buffer.from(lines.join('\n') + '\n');
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    const payload = this.o.gzip ? gzipSync(body) : body;
    if (this.o.gzip) headers['content-encoding'] = 'gzip';
    const url = this.base + (kind === 'social' ? '/v1/events' : '/v1/feedback');
    const init = { method: 'POST', headers, body: payload, ...(this.o.signal && { signal: this.o.signal }) };
    const retries = this.o.retries ?? Number.POSITIVE_INFINITY;
    try {
      return await retry(
        async () => {
          const res = await this.fetch(url, init);
          const text = await res.text();
          if (res.status === 202 || res.status === 200) return fromReply(parseJson(text) as IngestReply);
          if (res.status === 413 && lines.length > 1) return TOO_LARGE;
          const err = errorOf(text);
          if (res.status !== 429 && res.status < 500)
            throw new SinkRefusedError(res.status, err.code, err.message);
          throw new RetryLater(`HTTP ${res.status} ${err.code}`, retryAfter(res.headers.get('retry-after')));
        },
        {
          retries,
          initialMs: this.o.initialBackoffMs ?? 200,
          maxMs: this.o.maxBackoffMs ?? 10_000,
          retryable: (err) => !(err instanceof SinkRefusedError),
          delayFor: (err) => (err instanceof RetryLater ? err.afterMs : undefined),
          onRetry: (err, attempt, delayMs) => this.o.onRetry?.((err as Error).message, attempt, delayMs),
          ...(this.o.signal && { signal: this.o.signal }),
        },
      );
    } catch (err) {
      if (err instanceof SinkRefusedError || this.o.signal?.aborted) throw err;
      throw new Error(
        `ingest at ${this.base} unavailable after ${retries + 1} attempts: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}

/** What `send` answers when the server says the body is over its limit and it can be split. */
const TOO_LARGE = Symbol('too large');

/** The server cannot take the batch now (429, 5xx): try again, after `afterMs` if it said so. */
class RetryLater extends Error {
  constructor(
    reason: string,
    readonly afterMs: number | undefined,
  ) {
    super(reason);
  }
}

function fromReply(r: IngestReply): SinkResult {
  return {
    accepted: r.accepted,
    duplicates: r.duplicates ?? 0,
    rejected: r.rejected,
    errors: (r.errors ?? []).map((e) => ({ index: e.line - 1, reason: e.reason, detail: e.detail })),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`ingest answered with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

function errorOf(text: string): { code: string; message: string } {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    return { code: e?.code ?? 'UNKNOWN', message: e?.message ?? text.slice(0, 200) };
  } catch {
    return { code: 'UNKNOWN', message: text.slice(0, 200) };
  }
}
