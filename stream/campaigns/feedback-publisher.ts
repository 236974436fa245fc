import { randomUUID } from 'node:crypto';
import { encodeJson, type Bus } from '../bus/bus.js';
import { partitionOf } from '../bus/partition.js';
import { Subjects } from '../bus/topology.js';
import { joinLines } from '../model/event-batch.js';
import type { FeedbackEvent } from '../model/events.js';

export interface FeedbackPublisherOptions {
  bus: Bus;
  partitions: number;
  /** Most time an event waits before its batch is published (ms); default 100. */
  flushMs?: number;
  /** A partition's batch is published at once when it has this many events; default 1000. */
  maxBatch?: number;
  /** Most events held while the bus is down; older ones are dropped (and counted) past it. Default 100,000. */
  maxPending?: number;
  onError?: (err: unknown) => void;
}

/**
 * Publishes the API's own campaign feedback (an impression per decision, each reward) to the
 * FEEDBACK stream in batches, so that stage 2's `campaigns` operator counts decide and reward
 * traffic in its windows as it counts feedback from connectors. Off the request path: a decision
 * never waits for the bus. Each message is NDJSON with a unique message id; a failed publish is
 * retried with the next flush.
 */
export class FeedbackPublisher {
  private readonly pending = new Map<number, FeedbackEvent[]>();
  private readonly instance = randomUUID();
  private sequence = 0;
  private held = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Events dropped because too many were held while the bus was down. */
  dropped = 0;

  constructor(private readonly o: FeedbackPublisherOptions) {}

  add(e: FeedbackEvent): void {
    const p = partitionOf(e.campaign, this.o.partitions);
    let list = this.pending.get(p);
    if (!list) this.pending.set(p, (list = []));
    list.push(e);
    this.held++;
    if (this.held > (this.o.maxPending ?? 100_000)) {
      list.shift();
      this.held--;
      this.dropped++;
    }
    if (list.length >= (this.o.maxBatch ?? 1000)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.o.flushMs ?? 100);
  }

  /** Publishes everything held (one message per partition); waits for an earlier flush first. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.publishHeld());
    return this.flushing;
  }

  private async publishHeld(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending];
    this.pending.clear();
    this.held = 0;
    await Promise.all(
      batches.map(async ([p, events]) => {
        const msgId = `api-feedback:${this.instance}:${this.sequence++}`;
        try {
          await this.o.bus.publish(Subjects.feedback(p), joinLines(events.map((e) => encodeJson(e))), {
            msgId,
          });
        } catch (err) {
          this.o.onError?.(err);
          // kept for the next flush, before anything newer
          const now = this.pending.get(p) ?? [];
          this.pending.set(p, [...events, ...now]);
          this.held += events.length;
          this.timer ??= setTimeout(() => void this.flush(), 1000);
        }
      }),
    );
  }

  async stop(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
