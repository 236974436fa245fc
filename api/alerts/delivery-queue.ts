/**
 * A bounded queue of deliveries with a concurrency limit and one lane per subscription: a lane's
 * deliveries run one at a time and in order (a subscriber hears "opened" before "escalated"), and
 * lanes run side by side, so a slow or failing receiver holds one slot, not the queue.
 */
export class DeliveryQueue<T> {
  private readonly lanes = new Map<string, T[]>();
  /** Lanes with work that are not running, in the order they became ready. */
  private readonly ready: string[] = [];
  private readonly busy = new Set<string>();
  private queuedCount = 0;
  private readonly roomWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: (item: T) => Promise<void>,
    private readonly o: { concurrency: number; maxQueued: number },
  ) {}

  /** Waiting, not yet started. */
  get queued(): number {
    return this.queuedCount;
  }

  get running(): number {
    return this.busy.size;
  }

  /** Adds an item to its lane; waits while the queue is full (backpressure to the caller). */
  async push(lane: string, item: T): Promise<void> {
    while (this.queuedCount >= this.o.maxQueued) await new Promise<void>((r) => this.roomWaiters.push(r));
    const items = this.lanes.get(lane);
    if (items) items.push(item);
    else this.lanes.set(lane, [item]);
    this.queuedCount++;
    if (!this.busy.has(lane) && !this.ready.includes(lane)) this.ready.push(lane);
    this.pump();
  }

  /** Removes and returns every item not yet started. */
  takePending(): T[] {
    const out: T[] = [];
    for (const [lane, items] of this.lanes) {
      out.push(...items);
      if (!this.busy.has(lane)) this.lanes.delete(lane);
      else items.length = 0;
    }
    this.ready.length = 0;
    this.queuedCount = 0;
    this.roomWaiters.splice(0).forEach((r) => r());
    this.settle();
    return out;
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    if (this.queuedCount === 0 && this.busy.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.busy.size < this.o.concurrency && this.ready.length > 0) {
      const lane = this.ready.shift()!;
      const item = this.lanes.get(lane)!.shift()!;
      this.queuedCount--;
      this.busy.add(lane);
      this.roomWaiters.shift()?.();
      void this.run(item)
        .catch(() => undefined)
        .finally(() => {
          this.busy.delete(lane);
          if ((this.lanes.get(lane)?.length ?? 0) > 0) this.ready.push(lane);
          else this.lanes.delete(lane);
          this.pump();
          this.settle();
        });
    }
  }

  private settle(): void {
    if (this.queuedCount === 0 && this.busy.size === 0) this.idleWaiters.splice(0).forEach((r) => r());
  }
}
