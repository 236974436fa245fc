import {
  subjectMatches,
  type Bus,
  type BusMessage,
  type Consumer,
  type ConsumerConfig,
  type ConsumerInfo,
  type DeliveryExhaustedHandler,
  type PubAck,
  type PublishOptions,
  type StreamConfig,
  type Subscription,
} from '../bus.js';
import { PipelineError } from '../../model/errors.js';

interface Stored {
  seq: number;
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  time: number;
}

const DEFAULTS = {
  retention: 'limits' as const,
  maxMsgs: -1,
  maxBytes: -1,
  maxAgeMs: 0,
  discard: 'old' as const,
  duplicateWindowMs: 120_000,
};

class MemoryStream {
  config: Required<StreamConfig>;
  /** Messages in sequence order; messages[i].seq === firstSeq + i. */
  messages: Stored[] = [];
  firstSeq = 1;
  lastSeq = 0;
  bytes = 0;
  dedup = new Map<string, { seq: number; time: number }>();
  consumers = new Map<string, MemoryConsumer>();

  constructor(config: StreamConfig) {
    this.config = { ...DEFAULTS, ...config };
  }

  get(seq: number): Stored | undefined {
    return this.messages[seq - this.firstSeq];
  }

  append(subject: string, data: Uint8Array, headers: Record<string, string>, now: number): number {
    this.enforceLimits(now, data.byteLength);
    const seq = ++this.lastSeq;
    this.messages.push({ seq, subject, data, headers, time: now });
    this.bytes += data.byteLength;
    return seq;
  }

  private enforceLimits(now: number, incoming: number): void {
    const { maxMsgs, maxBytes, maxAgeMs, discard } = this.config;
    const over = () =>
      (maxMsgs > 0 && this.messages.length + 1 > maxMsgs) ||
      (maxBytes > 0 && this.bytes + incoming > maxBytes);
    if (maxAgeMs > 0)
      while (this.messages.length > 0 && now - this.messages[0]!.time > maxAgeMs) this.dropFirst();
    if (!over()) return;
    if (discard === 'new') throw new PipelineError('STREAM_FULL', `stream ${this.config.name} is full`);
    while (this.messages.length > 0 && over()) this.dropFirst();
  }

  private dropFirst(): void {
    const m = this.messages.shift();
    if (!m) return;
    this.bytes -= m.data.byteLength;
    this.firstSeq = m.seq + 1;
  }

  /** Interest retention: forget what every consumer has acked. */
  trimAcked(): void {
    if (this.config.retention !== 'interest' || this.consumers.size === 0) return;
    let floor = Infinity;
    for (const c of this.consumers.values()) floor = Math.min(floor, c.ackFloor);
    const drop = Math.min(floor - this.firstSeq + 1, this.messages.length);
    if (drop <= 0) return;
    // Dropping in chunks keeps the shift cost amortised.
    if (drop < 1024 && drop < this.messages.length / 4) return;
    for (let i = 0; i < drop; i++) this.bytes -= this.messages[i]!.data.byteLength;
    this.messages.splice(0, drop);
    this.firstSeq += drop;
  }
}

interface Pending {
  deadline: number;
  deliveries: number;
}

class MemoryConsumer implements Consumer {
  readonly config: Required<
    Omit<ConsumerConfig, 'filterSubject' | 'startSeq' | 'inactiveThresholdMs' | 'replaces'>
  > & {
    filterSubject?: string;
  };
  /** Next stream sequence to look at for first deliveries. */
  cursor: number;
  ackFloor: number;
  delivered = 0;
  redelivered = 0;
  pending = new Map<number, Pending>();
  /** Sequences to deliver again, with the time they become due. */
  redeliver = new Map<number, number>();
  deliveries = new Map<number, number>();
  private waiters = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly stream: MemoryStream,
    config: ConsumerConfig,
    private readonly bus: MemoryBus,
  ) {
    const { startSeq: _start, ...rest } = config;
    this.config = { maxAckPending: 1000, ackWaitMs: 30_000, maxDeliver: 5, ackPolicy: 'explicit', ...rest };
    this.cursor = stream.firstSeq;
    this.ackFloor = stream.firstSeq - 1;
    if (config.startSeq !== undefined) this.reset(config.startSeq);
  }

  /** Forgets the position: the next delivery is `startSeq` (or the first kept message after it). */
  reset(startSeq: number): void {
    this.pending.clear();
    this.redeliver.clear();
    this.deliveries.clear();
    this.cursor = Math.max(startSeq, this.stream.firstSeq);
    this.ackFloor = this.cursor - 1;
    this.stream.trimAcked();
  }

  wake(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  private matches(subject: string): boolean {
    return this.config.filterSubject === undefined || subjectMatches(this.config.filterSubject, subject);
  }

  async fetch(max: number, expiresMs: number): Promise<BusMessage[]> {
    const deadline = Date.now() + expiresMs;
    for (;;) {
      if (this.stopped) return [];
      const batch = this.take(max);
      if (batch.length > 0) return batch;
      const wait = deadline - Date.now();
      if (wait <= 0) return [];
      // Wake on a publish, an ack (room under maxAckPending) or the next redelivery, whichever first.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(wait, this.nextDueIn() ?? wait));
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private nextDueIn(): number | undefined {
    const now = Date.now();
    let next: number | undefined;
    for (const p of this.pending.values()) next = Math.min(next ?? Infinity, p.deadline - now);
    for (const due of this.redeliver.values()) next = Math.min(next ?? Infinity, due - now);
    return next === undefined ? undefined : Math.max(1, next);
  }

  private take(max: number): BusMessage[] {
    const now = Date.now();
    const out: BusMessage[] = [];
    // Expired acks become redeliveries.
    for (const [seq, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(seq);
        this.redeliver.set(seq, now);
      }
    }
    for (const [seq, due] of this.redeliver) {
      if (out.length >= max || this.pending.size >= this.config.maxAckPending) break;
      if (due > now) continue;
      this.redeliver.delete(seq);
      const stored = this.stream.get(seq);
      if (!stored) continue; // removed by a stream limit
      const msg = this.deliver(stored, now);
      if (msg) out.push(msg);
    }
    if (this.cursor < this.stream.firstSeq) this.cursor = this.stream.firstSeq;
    let skipped = false;
    while (
      out.length < max &&
      this.pending.size < this.config.maxAckPending &&
      this.cursor <= this.stream.lastSeq
    ) {
      const stored = this.stream.get(this.cursor++);
      if (!stored || !this.matches(stored.subject)) {
        skipped = true;
        continue;
      }
      const msg = this.deliver(stored, now);
      if (msg) out.push(msg);
    }
    if (skipped) this.advanceFloor();
    return out;
  }

  private deliver(stored: Stored, now: number): BusMessage | undefined {
    const count = (this.deliveries.get(stored.seq) ?? 0) + 1;
    if (count > this.config.maxDeliver) {
      this.deliveries.delete(stored.seq);
      this.settle(stored.seq);
      this.bus.exhausted(this.config.durable, this.toMessage(stored, count - 1));
      return undefined;
    }
    this.deliveries.set(stored.seq, count);
    if (count > 1) this.redelivered++;
    this.delivered = Math.max(this.delivered, stored.seq);
    if (this.config.ackPolicy === 'none') {
      this.deliveries.delete(stored.seq);
      if (stored.seq === this.ackFloor + 1) this.ackFloor = stored.seq;
    } else {
      this.pending.set(stored.seq, { deadline: now + this.config.ackWaitMs, deliveries: count });
    }
    return this.toMessage(stored, count);
  }

  private toMessage(stored: Stored, count: number): BusMessage {
    const seq = stored.seq;
    return {
      subject: stored.subject,
      seq,
      data: stored.data,
      headers: stored.headers,
      deliveryCount: count,
      timestamp: stored.time,
      ack: () => {
        if (this.config.ackPolicy === 'all') {
          // Acks this message and every earlier one still outstanding.
          for (const open of [...this.pending.keys()]) {
            if (open > seq) continue;
            this.deliveries.delete(open);
            this.pending.delete(open);
          }
          this.settle(seq);
          return;
        }
        if (!this.pending.has(seq)) return;
        this.deliveries.delete(seq);
        this.settle(seq);
      },
      term: () => {
        this.deliveries.delete(seq);
        this.settle(seq);
      },
      nak: (delayMs = 0) => {
        if (!this.pending.delete(seq)) return;
        this.redeliver.set(seq, Date.now() + delayMs);
        this.wake();
      },
      working: () => {
        const p = this.pending.get(seq);
        if (p) p.deadline = Date.now() + this.config.ackWaitMs;
      },
    };
  }

  private settle(seq: number): void {
    this.pending.delete(seq);
    this.redeliver.delete(seq);
    // Only settling the lowest open sequence can move the floor.
    if (seq === this.ackFloor + 1 || this.config.ackPolicy === 'all') this.advanceFloor();
    this.stream.trimAcked();
    this.wake();
  }

  /**
   * The ack floor is the highest sequence at or below which nothing is outstanding. It only moves
   * forward, one sequence at a time, so the total work is linear in the stream's length.
   */
  private advanceFloor(): void {
    if (this.ackFloor < this.stream.firstSeq - 1) this.ackFloor = this.stream.firstSeq - 1;
    while (this.ackFloor + 1 < this.cursor) {
      const next = this.ackFloor + 1;
      if (this.pending.has(next) || this.redeliver.has(next)) break;
      this.ackFloor = next;
    }
  }

  async info(): Promise<ConsumerInfo> {
    let numPending = 0;
    for (let seq = Math.max(this.cursor, this.stream.firstSeq); seq <= this.stream.lastSeq; seq++) {
      const m = this.stream.get(seq);
      if (m && this.matches(m.subject)) numPending++;
    }
    return {
      name: this.config.durable,
      delivered: this.delivered,
      ackFloor: this.ackFloor,
      numPending: numPending + this.redeliver.size,
      numAckPending: this.pending.size,
      redelivered: this.redelivered,
    };
  }

  async stop(): Promise<void> {
    // A durable consumer keeps its position; only this binding stops. Unacked messages go back.
    this.stopped = true;
    for (const seq of this.pending.keys()) this.redeliver.set(seq, 0);
    this.pending.clear();
    this.wake();
  }

  rebind(): void {
    this.stopped = false;
  }
}

class MemorySubscription implements Subscription {
  private queue: { subject: string; data: Uint8Array }[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly pattern: string,
    private readonly onClose: (s: MemorySubscription) => void,
    private readonly maxQueued: number,
  ) {}

  push(subject: string, data: Uint8Array): void {
    if (this.closed) return;
    // Core subjects are at-most-once: a subscriber that falls far behind loses the oldest.
    if (this.queue.length >= this.maxQueued) this.queue.shift();
    this.queue.push({ subject, data });
    this.waiter?.();
  }

  unsubscribe(): void {
    this.closed = true;
    this.onClose(this);
    this.waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<{ subject: string; data: Uint8Array }> {
    while (!this.closed) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
}

/** The in-process bus of the embedded default: the Bus contract, in memory, in one process. */
export class MemoryBus implements Bus {
  readonly kind = 'memory';
  private streams = new Map<string, MemoryStream>();
  private subscriptions = new Set<MemorySubscription>();
  private exhaustedHandlers: DeliveryExhaustedHandler[] = [];
  private closed = false;

  constructor(private readonly options: { subscriptionQueue?: number } = {}) {}

  async ensureStream(config: StreamConfig): Promise<void> {
    this.assertOpen();
    for (const [name, s] of this.streams) {
      if (name === config.name) continue;
      for (const subject of config.subjects) {
        if (s.config.subjects.some((p) => subjectMatches(p, subject) || subjectMatches(subject, p)))
          throw new RangeError(`subject ${subject} overlaps stream ${name}`);
      }
    }
    const existing = this.streams.get(config.name);
    if (existing) existing.config = { ...DEFAULTS, ...config };
    else this.streams.set(config.name, new MemoryStream(config));
  }

  private streamFor(subject: string): MemoryStream | undefined {
    for (const s of this.streams.values())
      if (s.config.subjects.some((p) => subjectMatches(p, subject))) return s;
    return undefined;
  }

  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<PubAck> {
    this.assertOpen();
    const stream = this.streamFor(subject);
    if (!stream) throw new PipelineError('BUS_UNAVAILABLE', `no stream captures subject ${subject}`);
    const now = Date.now();
    if (options.msgId !== undefined) {
      const seen = stream.dedup.get(options.msgId);
      if (seen && now - seen.time <= stream.config.duplicateWindowMs) {
        return { stream: stream.config.name, seq: seen.seq, duplicate: true };
      }
    }
    const seq = stream.append(subject, data, options.headers ?? {}, now);
    if (options.msgId !== undefined) {
      stream.dedup.set(options.msgId, { seq, time: now });
      this.expireDedup(stream, now);
    }
    for (const c of stream.consumers.values()) c.wake();
    return { stream: stream.config.name, seq, duplicate: false };
  }

  private expireDedup(stream: MemoryStream, now: number): void {
    // Map iteration is insertion order, so the oldest ids come first.
    for (const [id, entry] of stream.dedup) {
      if (now - entry.time <= stream.config.duplicateWindowMs) break;
      stream.dedup.delete(id);
    }
  }

  async consumer(config: ConsumerConfig): Promise<Consumer> {
    this.assertOpen();
    const stream = this.streams.get(config.stream);
    if (!stream) throw new RangeError(`no stream named ${config.stream}`);
    let c = stream.consumers.get(config.durable);
    if (c) {
      c.rebind();
      if (config.startSeq !== undefined) c.reset(config.startSeq);
    } else {
      c = new MemoryConsumer(stream, config, this);
      stream.consumers.set(config.durable, c);
    }
    return c;
  }

  notify(subject: string, data: Uint8Array): void {
    for (const s of this.subscriptions) if (subjectMatches(s.pattern, subject)) s.push(subject, data);
  }

  subscribe(subject: string): Subscription {
    const sub = new MemorySubscription(
      subject,
      (s) => this.subscriptions.delete(s),
      this.options.subscriptionQueue ?? 10_000,
    );
    this.subscriptions.add(sub);
    return sub;
  }

  onDeliveryExhausted(handler: DeliveryExhaustedHandler): void {
    this.exhaustedHandlers.push(handler);
  }

  exhausted(consumer: string, msg: BusMessage): void {
    for (const h of this.exhaustedHandlers) h(consumer, msg);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.streams.values()) for (const c of s.consumers.values()) await c.stop();
    for (const sub of [...this.subscriptions]) sub.unsubscribe();
  }

  private assertOpen(): void {
    if (this.closed) throw new PipelineError('BUS_UNAVAILABLE', 'the bus is closed');
  }
}
