import type { GeneratedEvent } from './events.js';
import type { SyntheticGenerator } from './generator.js';

export interface SyntheticSourceOptions {
  generator: SyntheticGenerator;
  /** default 100 */
  tickMs?: number;
  /** generate [now - backfill, now) at start; default 0 */
  backfillMs?: number;
  /** Event time to start from instead of `now - backfillMs`. */
  from?: number;
  /** Event time to end at: the source stops once [start, until) is delivered, and `done` resolves. */
  until?: number;
  now?: () => number;
  sink: (batch: GeneratedEvent[]) => Promise<void> | void;
  /** Sink failures. Default: a process warning. The failed range is retried on the next tick. */
  onError?: (err: unknown) => void;
  /** Event time covered by one sink call at most; default 1000. Bounds memory during backfill and catch-up. */
  chunkMs?: number;
  /** Events per sink call at most; default 10000. */
  maxBatch?: number;
  /**
   * Called once, at the end of the first run (the backfill's included) that leaves the source
   * within `liveLagMs` of the clock, with the event time delivered up to: nothing from there on is
   * generated yet, and the next run starts after it returns. What goes on live from there (a
   * closed-loop client) then follows everything the backfill and the catch-up after it sent.
   */
  onLive?: (position: number) => void;
  /** default 250 */
  liveLagMs?: number;
}

/**
 * Runs a SyntheticGenerator against the clock: backfill first, then every tick the range since the
 * last delivered one. One run at a time: ticks that come while a slow sink is busy are skipped and the
 * next run catches up. A range whose sink call fails is not marked delivered, so the next run sends it
 * again; event ids are stable per range, so downstream dedup absorbs the repeats.
 */
export class SyntheticSource {
  readonly stats = { generated: 0, batches: 0 };
  private readonly generator: SyntheticGenerator;
  private readonly tickMs: number;
  private readonly backfillMs: number;
  private readonly from: number | undefined;
  private readonly until: number;
  private readonly chunkMs: number;
  private readonly maxBatch: number;
  private readonly now: () => number;
  private readonly sink: SyntheticSourceOptions['sink'];
  private readonly onError: (err: unknown) => void;
  /** Everything before this event time has been delivered. */
  private delivered: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private inFlight: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  private live = false;
  private finish: () => void = () => undefined;
  /** Resolves when the source has stopped: by `stop()`, or after delivering up to `until`. */
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(private readonly o: SyntheticSourceOptions) {
    this.generator = o.generator;
    this.tickMs = positive('tickMs', o.tickMs ?? 100);
    this.backfillMs = o.backfillMs ?? 0;
    if (!Number.isFinite(this.backfillMs) || this.backfillMs < 0) {
      throw new RangeError(`SyntheticSource: backfillMs must be >= 0 (got ${this.backfillMs})`);
    }
    this.from = o.from;
    this.until = o.until ?? Number.POSITIVE_INFINITY;
    if ((this.from !== undefined && !Number.isFinite(this.from)) || Number.isNaN(this.until)) {
      throw new RangeError(
        `SyntheticSource: from must be finite and until a number (got ${o.from}, ${o.until})`,
      );
    }
    this.chunkMs = positive('chunkMs', o.chunkMs ?? 1000);
    this.maxBatch = positive('maxBatch', o.maxBatch ?? 10_000);
    if (o.liveLagMs !== undefined && !(Number.isFinite(o.liveLagMs) && o.liveLagMs >= 0))
      throw new RangeError(`SyntheticSource: liveLagMs must be >= 0 (got ${o.liveLagMs})`);
    this.now = o.now ?? Date.now;
    this.sink = o.sink;
    this.onError =
      o.onError ??
      ((err) => process.emitWarning(err instanceof Error ? err : String(err), 'SyntheticSourceWarning'));
  }

  /** Delivers the backfill, then starts the timer. Backfill failures go to onError and are retried by the timer. */
  async start(): Promise<void> {
    if (this.started) throw new Error('SyntheticSource: already started');
    this.started = true;
    const now = this.now();
    this.delivered = this.from ?? now - this.backfillMs;
    await this.run(now);
    if (this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  /**
   * Delivers [last delivered, now). The timer calls this; tests may call it to drive time by hand.
   * While a run is in flight this returns that run instead of starting another.
   */
  tick(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.stopped || this.delivered === undefined) return Promise.resolve();
    return this.run(this.now());
  }

  /** Stops the timer and waits for a sink call in flight; nothing is delivered afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    this.finish();
  }

  /** Everything before this event time has been delivered (undefined before start). */
  get position(): number | undefined {
    return this.delivered;
  }

  private run(until: number): Promise<void> {
    const run = this.deliver(until)
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        this.inFlight = undefined;
      });
    this.inFlight = run;
    return run;
  }

  private async deliver(now: number): Promise<void> {
    const until = Math.min(now, this.until);
    while (this.delivered !== undefined && this.delivered < until && !this.stopped) {
      const from = this.delivered;
      const to = Math.min(from + this.chunkMs, until);
      let batch: GeneratedEvent[] = [];
      for (const e of this.generator.generate(from, to)) {
        batch.push(e);
        if (batch.length >= this.maxBatch) {
          await this.send(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await this.send(batch);
      this.delivered = to;
      // An in-process sink resolves in microtasks only: yield so timers and sockets get their turn
      // during a long backfill (live WebSocket updates would otherwise wait for its end).
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.delivered !== undefined && this.delivered >= this.until && !this.stopped) void this.stop();
    this.goLiveIfCaughtUp();
  }

  /** Tells `onLive` once a run has caught up with the clock (see SyntheticSourceOptions.onLive). */
  private goLiveIfCaughtUp(): void {
    const { onLive, liveLagMs = 250 } = this.o;
    if (this.live || this.stopped || this.delivered === undefined) return;
    if (this.now() - this.delivered > liveLagMs) return;
    this.live = true;
    try {
      onLive?.(this.delivered);
    } catch (err) {
      this.onError(err);
    }
  }

  private async send(batch: GeneratedEvent[]): Promise<void> {
    if (this.stopped) return;
    await this.sink(batch);
    this.stats.generated += batch.length;
    this.stats.batches += 1;
  }
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`SyntheticSource: ${name} must be > 0 (got ${v})`);
  return v;
}
