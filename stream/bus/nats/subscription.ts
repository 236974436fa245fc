import type { NatsConnection } from 'nats';
import type { Subscription } from '../bus.js';

type Notification = { subject: string; data: Uint8Array };

/** A core NATS subscription as an async iterable with a bounded queue (drops the oldest). */
export class NatsSubscription implements Subscription {
  private queue: Notification[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  private closed = false;
  private readonly sub: ReturnType<NatsConnection['subscribe']>;

  constructor(
    nc: NatsConnection,
    subject: string,
    private readonly maxQueued: number,
    private readonly onDrop: () => void,
    private readonly onClose: (s: NatsSubscription) => void,
  ) {
    this.sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) this.unsubscribe();
        else this.push({ subject: msg.subject, data: msg.data });
      },
    });
  }

  private push(n: Notification): void {
    if (this.closed) return;
    if (this.queue.length - this.head >= this.maxQueued) {
      this.head++;
      this.onDrop();
      this.compact();
    }
    this.queue.push(n);
    this.waiter?.();
  }

  /** Drops what was read or skipped, once that is most of the array (amortised O(1)). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sub.unsubscribe();
    } catch {
      // The connection is already closed.
    }
    this.onClose(this);
    this.waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Notification> {
    while (!this.closed) {
      if (this.head < this.queue.length) {
        const next = this.queue[this.head++]!;
        this.compact();
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
}
