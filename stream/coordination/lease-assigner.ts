import type { Coordinator } from './coordinator.js';

export type ReleaseReason = 'rebalance' | 'lost' | 'stop';

export interface AssignerOptions {
  coordinator: Coordinator;
  /** Workers of one role share the partitions of one group, e.g. `aggregate`. */
  group: string;
  /** This worker's id, unique among the live workers. */
  owner: string;
  partitions: number;
  /** A dead worker's partitions move to live ones within about this time. */
  leaseTtlMs: number;
  onAcquire: (partition: number) => Promise<void>;
  /** Stop working on the partition. With `rebalance` and `stop`, checkpoint first; with `lost`, another worker may own it already. */
  onRelease: (partition: number, reason: ReleaseReason) => Promise<void>;
  onError?: (err: unknown) => void;
}

export function leaseName(group: string, partition: number): string {
  return `${group}:${partition}`;
}

/**
 * Owns a fair share of the partitions through leases: ceil(partitions / live workers). Renews what
 * it holds every third of the lease time, hands back what is over its share so a new worker gets
 * half, and picks up partitions whose owner died once their lease has expired.
 */
export class PartitionAssigner {
  private readonly held = new Set<number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: AssignerOptions) {
    if (!Number.isInteger(o.partitions) || o.partitions < 1)
      throw new RangeError('partitions must be a positive integer');
  }

  get owned(): ReadonlySet<number> {
    return this.held;
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.o.leaseTtlMs / 3)));
  }

  /** One round of heartbeat, renew, shed and acquire. Rounds never overlap. */
  tick(): Promise<void> {
    this.running = this.running.then(() => this.round()).catch((err) => this.o.onError?.(err));
    return this.running;
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { coordinator: c, group, owner, partitions, leaseTtlMs } = this.o;
    const members = await c.heartbeat(group, owner, leaseTtlMs);
    const share = Math.ceil(partitions / Math.max(1, members.length));
    for (const p of [...this.held]) {
      if (await c.renew(leaseName(group, p), owner, leaseTtlMs)) continue;
      this.held.delete(p);
      await this.o.onRelease(p, 'lost');
    }
    // Shed from the top so that the partitions a worker keeps are stable.
    for (const p of [...this.held].sort((a, b) => b - a)) {
      if (this.held.size <= share) break;
      await this.o.onRelease(p, 'rebalance');
      await c.release(leaseName(group, p), owner);
      this.held.delete(p);
    }
    // Start looking at a different place per worker, so workers do not all race for partition 0.
    const offset = Math.max(0, members.indexOf(owner)) * share;
    for (let i = 0; i < partitions && this.held.size < share; i++) {
      const p = (offset + i) % partitions;
      if (this.held.has(p)) continue;
      if (!(await c.tryAcquire(leaseName(group, p), owner, leaseTtlMs))) continue;
      this.held.add(p);
      try {
        await this.o.onAcquire(p);
      } catch (err) {
        this.held.delete(p);
        await c.release(leaseName(group, p), owner);
        throw err;
      }
    }
  }

  /** Releases every partition (after `onRelease(p, 'stop')`) and leaves the group. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    this.stopped = true;
    for (const p of [...this.held].sort((a, b) => a - b)) {
      await this.o.onRelease(p, 'stop');
      await this.o.coordinator.release(leaseName(this.o.group, p), this.o.owner).catch(() => undefined);
      this.held.delete(p);
    }
    await this.o.coordinator.leave(this.o.group, this.o.owner).catch(() => undefined);
  }
}
