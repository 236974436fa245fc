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
  /** The clock the lease time is measured by (tests); default Date.now. */
  now?: () => number;
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
  /** When the last round that renewed every held lease began. */
  private renewedAt = Number.NEGATIVE_INFINITY;
  /** The coordinator's last heartbeat or renewal failed, or one is waiting for its answer now. */
  private coordinatorFailed = false;
  private coordinatorWaiting = false;

  constructor(private readonly o: AssignerOptions) {
    if (!Number.isInteger(o.partitions) || o.partitions < 1)
      throw new RangeError('partitions must be a positive integer');
  }

  get owned(): ReadonlySet<number> {
    return this.held;
  }

  /** Runs the first round, and every third of the lease time a round from then on (set up first: a first round that hangs is watched too). */
  async start(): Promise<void> {
    this.timer = setInterval(
      () => {
        // also while a round hangs (a coordinator that does not answer): the leases run out all the same
        void this.dropExpiring();
        void this.tick();
      },
      Math.max(50, Math.floor(this.o.leaseTtlMs / 3)),
    );
    await this.tick();
  }

  /** One round of heartbeat, renew, shed and acquire. Rounds never overlap. */
  tick(): Promise<void> {
    this.running = this.running
      .then(() => this.round())
      .catch(async (err) => {
        this.o.onError?.(err);
        await this.dropExpiring();
      });
    return this.running;
  }

  /**
   * Rounds keep failing or hang (the coordinator is out of reach): once the leases may be about to expire
   * (two thirds of the lease time since the last renewal began), stop working on the partitions,
   * before another worker can take them. A worker that went on reading would do its work twice and
   * write rows from a stale state; its checkpoints are refused anyway.
   */
  private async dropExpiring(): Promise<void> {
    // a round that is only slow to start workers (the bus, a replay) is no reason: the coordinator answers
    if (!this.coordinatorFailed && !this.coordinatorWaiting) return;
    if (this.held.size === 0 || this.now() - this.renewedAt < (this.o.leaseTtlMs * 2) / 3) return;
    for (const p of [...this.held].sort((a, b) => a - b)) {
      if (!this.held.delete(p)) continue; // released meanwhile
      await this.o.onRelease(p, 'lost').catch((err) => this.o.onError?.(err));
    }
  }

  /** A call to the coordinator, minding whether it answers (see dropExpiring). */
  private async ask<T>(call: () => Promise<T>): Promise<T> {
    this.coordinatorWaiting = true;
    try {
      const answer = await call();
      this.coordinatorFailed = false;
      return answer;
    } catch (err) {
      this.coordinatorFailed = true;
      throw err;
    } finally {
      this.coordinatorWaiting = false;
    }
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { coordinator: c, group, owner, partitions, leaseTtlMs } = this.o;
    const began = this.now();
    const members = await this.ask(() => c.heartbeat(group, owner, leaseTtlMs));
    const share = Math.ceil(partitions / Math.max(1, members.length));
    for (const p of [...this.held]) {
      if (await this.ask(() => c.renew(leaseName(group, p), owner, leaseTtlMs))) continue;
      this.held.delete(p);
      await this.o.onRelease(p, 'lost');
    }
    this.renewedAt = began;
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
      // dropped while it started (a renewal failed meanwhile, see dropExpiring): stop it again
      if (!this.held.has(p)) await this.o.onRelease(p, 'lost');
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
