import { retry } from '../../stream/index.js';
import type { SocialEventInput } from '../../stream/index.js';
import { SinkRefusedError } from '../http-sink.js';
import type { EventSink, SinkResult } from '../sink.js';

export interface BatchDeliveryOptions<P> {
  sink: EventSink;
  /** A batch is submitted once this many events wait… */
  maxBatch: number;
  /** …or this long after the first of them arrived, whichever comes first. */
  flushMs: number;
  /** Above this many unacknowledged events, `add` asks its caller to wait (backpressure). */
  maxPending: number;
  /** Backoff between attempts of a batch the sink could not take. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /**
   * Called once the sink acknowledged a batch, with the batch in order and the sink's verdict; the
   * connector moves its saved position here, so a position never runs ahead of what the sink holds.
   */
  onAck: (batch: readonly Pending<P>[], result: SinkResult) => Promise<void>;
  /** A batch that cannot be delivered (the sink refused it, or saving the position failed). */
  onFatal: (err: unknown) => void;
  onRetry: (err: unknown, attempt: number, delayMs: number) => void;
  /** Aborting it gives up retrying (on stop); the batch stays unacknowledged. */
  signal: AbortSignal;
}

export interface Pending<P> {
  event: SocialEventInput;
  position: P;
}

/**
 * Batches a connector's events to its EventSink, one batch in flight at a time so positions are
 * acknowledged in order. A batch the sink could not take now is retried with backoff (the sink
 * rejecting single events is an answer, not a failure); one it refuses outright is fatal.
 */
export class BatchDelivery<P> {
  private buffer: Pending<P>[] = [];
  private inFlight = 0;
  private draining: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failed = false;

  constructor(private readonly o: BatchDeliveryOptions<P>) {}

  /** Events handed over and not yet acknowledged by the sink. */
  get pending(): number {
    return this.buffer.length + this.inFlight;
  }

  /**
   * Queues one event. Returns a promise when the caller should stop reading until it settles
   * (too much is unacknowledged), else undefined.
   */
  add(event: SocialEventInput, position: P): Promise<void> | undefined {
    if (this.failed) return undefined;
    this.buffer.push({ event, position });
    if (this.buffer.length >= this.o.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.o.flushMs);
    return this.pending >= this.o.maxPending ? this.flush() : undefined;
  }

  /** Submits everything queued; resolves when it is acknowledged or delivery has failed. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return this.draining;
  }

  /** Stops the flush timer; what is still queued stays unacknowledged. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.buffer.length > 0 && !this.failed && !this.o.signal.aborted) {
        const batch = this.buffer.splice(0, this.o.maxBatch);
        this.inFlight = batch.length;
        const events = batch.map((p) => p.event);
        const result = await retry(() => this.o.sink.submit(events, 'social'), {
          retries: Number.POSITIVE_INFINITY,
          initialMs: this.o.initialBackoffMs,
          maxMs: this.o.maxBackoffMs,
          retryable: (err) => !(err instanceof SinkRefusedError),
          onRetry: this.o.onRetry,
          signal: this.o.signal,
        });
        await this.o.onAck(batch, result);
        this.inFlight = 0;
      }
    } catch (err) {
      if (this.o.signal.aborted) return;
      this.failed = true;
      this.o.onFatal(err);
    }
  }
}
