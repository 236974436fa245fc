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

/** Events of one partition published as one message; `msgId` once it was first sent. */
interface Batch {
  events: FeedbackEvent[];
  msgId?: string;
}

/**
 * Publishes the API's own campaign feedback (an impression per decision, each reward) to the
 * FEEDBACK stream in batches, so that stage 2's `campaigns` operator counts decide and reward
 * traffic in its windows as it counts feedback from connectors. Off the request path: a decision
 * never waits for the bus. Each message is NDJSON with a unique message id. A failed publish is
 * retried with the next flush as the same message, under the same id: when the bus had stored it
 * and only its acknowledgement was lost, the bus drops the copy (within its duplicate window),
 * and the windows do not count the events twice.
 */
export class FeedbackPublisher {
  /** Per partition, its batches in order: the sent-and-failed ones, then the one filling. */
  private readonly batches = new Map<number, Batch[]>();
  private readonly instance = randomUUID();
  private sequence = 0;
  private held = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Events dropped because too many were held while the bus was down. */
  dropped = 0;

  private readonly maxBatch: number;

  constructor(private readonly o: FeedbackPublisherOptions) {
    this.maxBatch = o.maxBatch ?? 1000;
  }

  add(e: FeedbackEvent): void {
    const p = partitionOf(e.campaign, this.o.partitions);
    let list = this.batches.get(p);
    if (!list) this.batches.set(p, (list = []));
    let open = list.at(-1);
    // a new batch when the last was sent (it stays as it was) or is full (a bus message has a size limit)
    if (!open || open.msgId !== undefined || open.events.length >= this.maxBatch)
      list.push((open = { events: [] }));
    open.events.push(e);
    this.held++;
    if (this.held > (this.o.maxPending ?? 100_000)) {
      // the partition's oldest event goes (its batch, if emptied, with it)
      list[0]!.events.shift();
      if (list[0]!.events.length === 0) list.shift();
      this.held--;
      this.dropped++;
    }
    if (open.events.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.o.flushMs ?? 100);
  }

  /** Publishes everything held (one message per batch); waits for an earlier flush first. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.publishHeld());
    return this.flushing;
  }

  private async publishHeld(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.batches].map(([p, list]) => this.publishPartition(p, list)));
  }

  /** A partition's batches in order; the first that fails stops it, to be tried again. */
  private async publishPartition(p: number, list: Batch[]): Promise<void> {
    while (list.length > 0) {
      const batch = list[0]!;
      batch.msgId ??= `api-feedback:${this.instance}:${this.sequence++}`;
      try {
        await this.o.bus.publish(Subjects.feedback(p), joinLines(batch.events.map((e) => encodeJson(e))), {
          msgId: batch.msgId,
        });
      } catch (err) {
        this.o.onError?.(err);
        this.timer ??= setTimeout(() => void this.flush(), 1000);
        return;
      }
      // events added meanwhile went to a newer batch (and dropping may have emptied this one)
      const i = list.indexOf(batch);
      if (i >= 0) list.splice(i, 1);
      this.held -= batch.events.length;
    }
    this.batches.delete(p);
  }
  async stop(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
