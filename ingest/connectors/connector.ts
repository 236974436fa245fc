import { parseTimestamp } from '../replay/timestamps.js';
import { backoffDelay, checkSocialEvent, sleep, type SocialEventInput } from '../../stream/index.js';
import type { EventSink, SinkResult } from '../sink.js';
import { StateFile } from '../state-file.js';
import { BatchDelivery, type Pending } from './delivery.js';

/** Settings every streaming connector shares; the CLIs document each with its default. */
export interface StreamConnectorOptions {
  sink: EventSink;
  /** JSON file holding the resume position; without it a restart starts from the live edge. */
  statePath?: string | undefined;
  /** Events per sink batch at most (default 500)… */
  batchSize?: number;
  /** …or the time the first event of a batch waits at most (default 250 ms). */
  flushMs?: number;
  /** Unacknowledged events at most before reading pauses (default 5000). */
  maxPending?: number;
  /** No byte (data or heartbeat) for this long: drop the connection and reconnect (default 60 s). */
  stallTimeoutMs?: number;
  /** Reconnect backoff: exponential with jitter from this (default 500 ms)… */
  initialBackoffMs?: number;
  /** …up to this (default 60 s)… */
  maxBackoffMs?: number;
  /** …and back to the start after a connection that lasted this long (default 30 s). */
  healthyAfterMs?: number;
  /** On stop, how long to wait for the sink to acknowledge what is pending (default 10 s). */
  drainTimeoutMs?: number;
  /** An event claiming a time further than this after it was received gets the received time (default 5 min). */
  maxFutureSkewMs?: number;
  /** Connection changes, retries and the first rejects of each reason, one line each. */
  log?: (line: string) => void;
  now?: () => number;
}

/** What a connector has done since it started; `stats()` returns a copy, for a CLI line or metrics. */
export interface ConnectorStats {
  /** Frames or messages read, from the stream and from backfill (heartbeats and pings not counted). */
  received: number;
  /** Of `received`, statuses read through the REST backfill (Mastodon). */
  backfilled: number;
  /** Events the sink accepted, including the ones it already had (`duplicates`). */
  sent: number;
  duplicates: number;
  /**
   * Frames or events refused, by reason: `invalid_json`, `bad_shape`, `frame_too_large`, `schema`,
   * `text_too_long` here, `ingest:<reason>` for events the sink refused.
   */
  rejected: Record<string, number>;
  /** Frames skipped by design, by kind (deletes, edits, reblogs, other collections, …). */
  ignored: Record<string, number>;
  /** Events whose claimed time was unreadable or absurd and that got their received time instead. */
  clamped: number;
  /** Events handed to the sink and not yet acknowledged. */
  pending: number;
  /** Connections open now, and reconnections (after an error, a close or a stall) so far. */
  connections: number;
  reconnects: number;
  stalls: number;
  /** Events acknowledged per second over the last 10 s. */
  rate: number;
  /** The position saved last (after the sink acknowledged it). */
  position: unknown;
  lastError: string | undefined;
}

/** An error no reconnect can fix (a refused token, an unknown endpoint): the connector stops with it. */
export class ConnectorFatalError extends Error {
  override name = 'ConnectorFatalError';
}

/** The longest wait a server's rate limit or Retry-After is followed for; past it, the usual backoff applies. */
export const MAX_SERVER_WAIT_MS = 3_600_000;

/**
 * A server that asked to be called again later (HTTP 429 or 503 with `Retry-After`, or a rate limit's
 * reset time): reconnects and retries wait `waitMs` (at most MAX_SERVER_WAIT_MS), not just the backoff.
 */
export class ServerBusyError extends Error {
  override name = 'ServerBusyError';
  constructor(
    message: string,
    readonly waitMs: number,
  ) {
    super(message);
  }
}

/** The wait a failure asks for: a busy server's (the error or one of its causes), else none (the backoff alone). */
export function serverWait(err: unknown): number | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof ServerBusyError) return Math.min(e.waitMs, MAX_SERVER_WAIT_MS);
  return undefined;
}

/** The outcome of mapping one source record: an event to send, a record skipped by design, or a reject. */
export type Mapped =
  | { kind: 'event'; event: SocialEventInput; clamped: boolean }
  | { kind: 'ignored'; what: string }
  | { kind: 'rejected'; reason: string; detail: string };

/** The schema's earliest event time (2000-01-01). */
const MIN_TS = Date.UTC(2000, 0, 1);

/**
 * The event time of a post from the time its client claims: the claim, unless it is unreadable,
 * before 2000, or further than `maxFutureMs` ahead of when the post was received (a wrong client
 * clock); then the received time, and `clamped` says so. Old claims stay: event time is the rule,
 * and the pipeline counts late events.
 */
export function eventTime(
  claimed: unknown,
  receivedMs: number,
  maxFutureMs: number,
): { ts: number; clamped: boolean } {
  // parseTimestamp, not Date.parse: a time without an offset is UTC, not the server's local time
  const t = typeof claimed === 'string' ? (parseTimestamp(claimed) ?? Number.NaN) : Number.NaN;
  if (!Number.isFinite(t) || t < MIN_TS || t > receivedMs + maxFutureMs)
    return { ts: Math.floor(receivedMs), clamped: true };
  return { ts: t, clamped: false };
}

/**
 * A post's language tag as the schema takes it (1 to 16 characters), else none: a server's odd or
 * over-long tag drops the language, not the post.
 */
export function languageTag(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 16 ? v : undefined;
}

const MAX_TAGS = 100;

/** Tags within the schema's limits: deduplicated, at most 100 of each, over-long entries left out. */
export function boundedTags(
  hashtags: Iterable<string>,
  mentions: Iterable<string>,
  urls: Iterable<string>,
): NonNullable<SocialEventInput['tags']> {
  const keep = (values: Iterable<string>, maxLength: number) =>
    [...new Set(values)].filter((v) => v.length > 0 && v.length <= maxLength).slice(0, MAX_TAGS);
  return { hashtags: keep(hashtags, 280), mentions: keep(mentions, 280), urls: keep(urls, 2048) };
}

/** A non-negative integer count, or undefined for anything else (hidden counts are -1 on some servers). */
export function count(v: unknown): number | undefined {
  return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fires `onStall` when `kick` was not called for `ms` (monotonic time: a wall-clock step is no stall); paused while the reader waits on purpose. */
export class Watchdog {
  private last = performance.now();
  private paused = false;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly ms: number,
    private readonly onStall: () => void,
  ) {
    this.timer = setInterval(() => this.check(), Math.max(10, Math.floor(ms / 4)));
  }

  kick(): void {
    this.last = performance.now();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.last = performance.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (this.paused || performance.now() - this.last < this.ms) return;
    this.stop();
    this.onStall();
  }
}

/** Events acknowledged per second over a sliding window of whole seconds. */
class RateMeter {
  private readonly buckets = new Map<number, number>();

  constructor(
    private readonly seconds: number,
    private readonly now: () => number,
  ) {}

  add(n: number): void {
    const s = Math.floor(this.now() / 1000);
    this.buckets.set(s, (this.buckets.get(s) ?? 0) + n);
    for (const k of this.buckets.keys()) if (k <= s - this.seconds) this.buckets.delete(k);
  }

  rate(): number {
    const from = Math.floor(this.now() / 1000) - this.seconds;
    let n = 0;
    for (const [k, v] of this.buckets) if (k > from) n += v;
    return n / this.seconds;
  }
}

/** Rejects of one reason logged with their detail; later ones are only counted. */
const LOGGED_PER_REASON = 5;

/**
 * What both streaming connectors share: the resume-state file, batched delivery to the sink with
 * the position saved only after the sink acknowledged, reconnecting with backoff, stall detection,
 * counts with reasons, and a clean stop. A subclass opens its connections in `connect` and says
 * how positions restore and advance.
 *
 * `P` is the position of one event (what the subclass hands over with it), `S` the saved state.
 */
export abstract class StreamConnector<P, S> {
  protected readonly log: (line: string) => void;
  protected readonly now: () => number;
  protected readonly stallTimeoutMs: number;
  protected readonly maxFutureSkewMs: number;
  /** Aborted on stop or on a fatal error: closes the connections and ends the reconnect loops. */
  protected readonly streams = new AbortController();
  protected readonly counts: Omit<ConnectorStats, 'pending' | 'rate' | 'position'> = {
    received: 0,
    backfilled: 0,
    sent: 0,
    duplicates: 0,
    rejected: {},
    ignored: {},
    clamped: 0,
    connections: 0,
    reconnects: 0,
    stalls: 0,
    lastError: undefined,
  };
  private readonly delivery: BatchDelivery<P>;
  private readonly deliveryAbort = new AbortController();
  private readonly state: StateFile<S> | undefined;
  private readonly rateMeter: RateMeter;
  private readonly opts: Required<
    Pick<StreamConnectorOptions, 'initialBackoffMs' | 'maxBackoffMs' | 'healthyAfterMs' | 'drainTimeoutMs'>
  >;
  private saved: S | undefined;
  private fail: ((err: unknown) => void) | undefined;
  private done: Promise<void> | undefined;

  constructor(
    /** Names the connector in log lines. */
    protected readonly name: string,
    o: StreamConnectorOptions,
  ) {
    this.log = o.log ?? (() => undefined);
    this.now = o.now ?? Date.now;
    this.stallTimeoutMs = positive('stallTimeoutMs', o.stallTimeoutMs ?? 60_000);
    this.maxFutureSkewMs = o.maxFutureSkewMs ?? 5 * 60_000;
    this.opts = {
      initialBackoffMs: positive('initialBackoffMs', o.initialBackoffMs ?? 500),
      maxBackoffMs: positive('maxBackoffMs', o.maxBackoffMs ?? 60_000),
      healthyAfterMs: o.healthyAfterMs ?? 30_000,
      drainTimeoutMs: o.drainTimeoutMs ?? 10_000,
    };
    this.state = o.statePath ? new StateFile<S>(o.statePath) : undefined;
    this.rateMeter = new RateMeter(10, this.now);
    this.delivery = new BatchDelivery<P>({
      sink: o.sink,
      maxBatch: positive('batchSize', o.batchSize ?? 500),
      flushMs: positive('flushMs', o.flushMs ?? 250),
      maxPending: positive('maxPending', o.maxPending ?? 5000),
      initialBackoffMs: this.opts.initialBackoffMs,
      maxBackoffMs: this.opts.maxBackoffMs,
      signal: this.deliveryAbort.signal,
      onAck: (batch, result) => this.acknowledged(batch, result),
      onFatal: (err) => this.fail?.(err),
      onRetry: (err, attempt, delayMs) => {
        this.counts.lastError = `sink: ${message(err)}`;
        this.log(`${this.name}: sink unavailable (${message(err)}); retry ${attempt} in ${delayMs} ms`);
      },
    });
  }

  /**
   * Loads the saved position and streams until `stop()` (resolves) or an error no reconnect can
   * fix (rejects with it). Either way what was handed over is flushed to the sink first, within
   * the drain timeout.
   */
  run(): Promise<void> {
    if (this.done) throw new Error(`${this.name}: already running`);
    this.done = this.runToEnd();
    return this.done;
  }

  /** Closes the connections, waits for the sink to acknowledge what is pending, and resolves. */
  async stop(): Promise<void> {
    this.streams.abort();
    await this.done?.catch(() => undefined);
  }

  stats(): ConnectorStats {
    return {
      ...this.counts,
      rejected: { ...this.counts.rejected },
      ignored: { ...this.counts.ignored },
      pending: this.delivery.pending,
      rate: this.rateMeter.rate(),
      position: this.position(),
    };
  }

  /** Opens the connections and keeps them open until `signal` aborts; rejects only with fatal errors. */
  protected abstract connect(signal: AbortSignal): Promise<void>;
  /** Sets the in-memory position from the saved state (undefined: none saved). Throws if it does not fit. */
  protected abstract restore(saved: S | undefined): void;
  /** The state to save after the sink acknowledged events with these positions. */
  protected abstract advance(saved: S | undefined, positions: readonly P[]): S;
  /** The position shown in stats: the saved state, or what stands for it. */
  protected position(): unknown {
    return this.saved;
  }

  /**
   * Validates a mapped record and hands the event over with its position, counting what is not
   * sent. Returns a promise when the reader should wait before reading on (backpressure).
   */
  protected handOver(mapped: Mapped, position: P): Promise<void> | undefined {
    if (mapped.kind === 'ignored') {
      this.ignore(mapped.what);
      return undefined;
    }
    if (mapped.kind === 'rejected') {
      this.reject(mapped.reason, mapped.detail);
      return undefined;
    }
    const check = checkSocialEvent(mapped.event);
    if (!check.ok) {
      this.reject(check.reason, `${mapped.event.id}: ${check.detail}`);
      return undefined;
    }
    if (mapped.clamped) this.counts.clamped++;
    return this.delivery.add(mapped.event, position);
  }

  protected ignore(what: string): void {
    this.counts.ignored[what] = (this.counts.ignored[what] ?? 0) + 1;
  }

  protected reject(reason: string, detail: string): void {
    const n = (this.counts.rejected[reason] = (this.counts.rejected[reason] ?? 0) + 1);
    if (n <= LOGGED_PER_REASON)
      this.log(
        `${this.name}: rejected (${reason}): ${detail.slice(0, 300)}${n === LOGGED_PER_REASON ? ' (further ones are only counted)' : ''}`,
      );
  }

  /**
   * Runs `session` again and again until the connector stops: after an error, a close by the
   * server or a stall, it waits with exponential backoff and jitter, and starts the backoff over
   * after a connection that stayed up for the healthy period. Fatal errors end the loop.
   */
  protected async keepConnected(what: string, session: () => Promise<void>): Promise<void> {
    const signal = this.streams.signal;
    let attempt = 0;
    while (!signal.aborted) {
      const started = performance.now();
      let reason = 'the server closed the connection';
      let lastError: unknown;
      try {
        await session();
      } catch (err) {
        if (err instanceof ConnectorFatalError) throw err;
        reason = message(err);
        lastError = err;
      }
      if (signal.aborted) return;
      if (performance.now() - started >= this.opts.healthyAfterMs) attempt = 0;
      const backoff = backoffDelay(
        attempt++,
        this.opts.initialBackoffMs,
        this.opts.maxBackoffMs,
        Math.random,
      );
      const delay = Math.max(backoff, serverWait(lastError) ?? 0);
      this.counts.reconnects++;
      this.counts.lastError = `${what}: ${reason}`;
      this.log(`${this.name}: ${what}: ${reason}; reconnecting in ${delay} ms`);
      await sleep(delay, signal);
    }
  }

  private async runToEnd(): Promise<void> {
    try {
      this.saved = await this.state?.load();
      this.restore(this.saved);
      const fatal = new Promise<never>((_, reject) => (this.fail = reject));
      fatal.catch(() => undefined);
      await Promise.race([this.connect(this.streams.signal), fatal]);
    } catch (err) {
      this.counts.lastError = message(err);
      throw err;
    } finally {
      this.streams.abort();
      await this.drain();
    }
  }

  private async drain(): Promise<void> {
    const timeout = new AbortController();
    await Promise.race([this.delivery.flush(), sleep(this.opts.drainTimeoutMs, timeout.signal)]);
    timeout.abort();
    this.deliveryAbort.abort();
    this.delivery.close();
    if (this.delivery.pending > 0)
      this.log(
        `${this.name}: stopped with ${this.delivery.pending} events unacknowledged; they are read again on the next start`,
      );
  }

  private async acknowledged(batch: readonly Pending<P>[], result: SinkResult): Promise<void> {
    this.counts.sent += result.accepted;
    this.counts.duplicates += result.duplicates;
    for (const e of result.errors)
      this.reject(`ingest:${e.reason}`, `${batch[e.index]?.event.id ?? `#${e.index}`}: ${e.detail}`);
    // A reply lists a bounded number of errors; the count is exact.
    for (let i = result.errors.length; i < result.rejected; i++) this.reject('ingest:unlisted', 'not listed');
    this.rateMeter.add(result.accepted);
    const next = this.advance(
      this.saved,
      batch.map((p) => p.position),
    );
    await this.state?.save(next);
    this.saved = next;
  }
}

/**
 * Resolves when `wait` settles or `signal` aborts, whichever is first: a reader paused for
 * backpressure must still stop at once when the connector stops, or the stop would wait for a
 * sink that may be down (the drain timeout only starts once the readers have returned).
 */
export function waitUnlessAborted(wait: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    wait.then(done, done);
  });
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number (got ${v})`);
  return v;
}
