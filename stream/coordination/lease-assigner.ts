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
 *
 * Keeping the leases (heartbeat and renewals) does not wait for workers to start: a start that
 * replays a long backlog or waits for the bus would otherwise let every lease this worker holds
 * run out, and another worker would take them while this one goes on.
 */
export class PartitionAssigner {
  private readonly held = new Set<number>();
  /** Partitions being handed back: still renewed until their checkpoint is saved, never reported lost. */
  private readonly shedding = new Set<number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> = Promise.resolve();
  private inRound = false;
  private keeping: Promise<string[]> | undefined;
  private stopped = false;
  /** When the last heartbeat and renewal of every held lease that succeeded began. */
  private renewedAt = Number.NEGATIVE_INFINITY;

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
        if (!this.inRound) void this.tick();
        // a round busy starting workers: keep the leases meanwhile
        else void this.keep().catch((err) => this.o.onError?.(err));
      },
      Math.max(50, Math.floor(this.o.leaseTtlMs / 3)),
    );
    await this.tick();
  }

  /** One round of heartbeat, renew, shed and acquire, after the rounds asked for before. Rounds never overlap. */
  tick(): Promise<void> {
    this.running = this.running
      .then(async () => {
        this.inRound = true;
        try {
          await this.round();
        } finally {
          this.inRound = false;
        }
      })
      .catch(async (err) => {
        this.o.onError?.(err);
        await this.dropExpiring();
      });
    return this.running;
  }

  /**
   * No renewal for two thirds of the lease time (the coordinator fails or does not answer): stop working
   * on the partitions before their leases may expire and another worker take them. A worker that went
   * on reading would do its work twice and write rows from a stale state; its checkpoints are refused anyway.
   */
  private async dropExpiring(): Promise<void> {
    if (this.held.size === 0 || this.now() - this.renewedAt < (this.o.leaseTtlMs * 2) / 3) return;
    for (const p of [...this.held].sort((a, b) => a - b)) {
      if (this.shedding.has(p) || !this.held.delete(p)) continue; // handed back or released meanwhile
      await this.o.onRelease(p, 'lost').catch((err) => this.o.onError?.(err));
    }
  }

  /** Heartbeat and renew every held lease; concurrent callers share one pass. Returns the live members. */
  private keep(): Promise<string[]> {
    this.keeping ??= this.renewAll().finally(() => (this.keeping = undefined));
    return this.keeping;
  }

  private async renewAll(): Promise<string[]> {
    const { coordinator: c, group, owner, leaseTtlMs } = this.o;
    const began = this.now();
    const members = await c.heartbeat(group, owner, leaseTtlMs);
    const lost: number[] = [];
    for (const p of [...this.held]) {
      if (!(await c.renew(leaseName(group, p), owner, leaseTtlMs))) lost.push(p);
    }
    this.renewedAt = Math.max(this.renewedAt, began);
    // renew them all before stopping any: stopping a worker takes time the others' leases may not have
    for (const p of lost) {
      if (this.shedding.has(p) || !this.held.delete(p)) continue;
      await this.o.onRelease(p, 'lost');
    }
    return members;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { coordinator: c, group, owner, partitions, leaseTtlMs } = this.o;
    const members = await this.keep();
    const share = Math.ceil(partitions / Math.max(1, members.length));
    // Shed from the top so that the partitions a worker keeps are stable.
    for (const p of [...this.held].sort((a, b) => b - a)) {
      if (this.held.size <= share) break;
      this.shedding.add(p);
      try {
        await this.o.onRelease(p, 'rebalance');
        await c.release(leaseName(group, p), owner);
      } finally {
        this.held.delete(p);
        this.shedding.delete(p);
      }
    }
    // Start looking at a different place per worker, so workers do not all race for partition 0.
    const offset = Math.max(0, members.indexOf(owner)) * share;
    for (let i = 0; i < partitions && this.held.size < share && !this.stopped; i++) {
      const p = (offset + i) % partitions;
      if (this.held.has(p)) continue;
      if (!(await c.tryAcquire(leaseName(group, p), owner, leaseTtlMs))) continue;
      this.held.add(p);
      try {
        await this.o.onAcquire(p);
      } catch (err) {
        if (this.held.delete(p)) await c.release(leaseName(group, p), owner);
        throw err;
      }
      // lost while it started (a renewal found the lease gone, or none came in time): stop it again
      if (!this.held.has(p)) await this.o.onRelease(p, 'lost');
    }
  }

  /** Releases every partition (after `onRelease(p, 'stop')`) and leaves the group. */
  async stop(): Promise<void> {
    this.stopped = true; // rounds asked for before end at once; one under way starts no more workers
    if (this.timer) clearInterval(this.timer);
    await this.running;
    for (const p of [...this.held].sort((a, b) => a - b)) {
      await this.o.onRelease(p, 'stop');
      await this.o.coordinator.release(leaseName(this.o.group, p), this.o.owner).catch(() => undefined);
      this.held.delete(p);
    }
    await this.o.coordinator.leave(this.o.group, this.o.owner).catch(() => undefined);
  }
}
