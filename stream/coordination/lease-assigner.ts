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
  /** Partitions whose worker is starting: if lost meanwhile, the round stops it once started. */
  private readonly starting = new Set<number>();
  /** onRelease calls under way: a partition is not started again, nor stop() done, before they end. */
  private readonly releasing = new Map<number, Promise<void>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> = Promise.resolve();
  private inRound = false;
  private keeping: Promise<string[]> | undefined;
  private stopped = false;
  /** Per held partition: when the last call that extended its lease (acquire or renewal) began. */
  private readonly renewedAt = new Map<number, number>();

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
        if (!this.inRound && !this.stopped) void this.tick();
        // a round busy starting workers, or stop() handing the partitions back: keep the leases meanwhile
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
    const since = this.now() - (this.o.leaseTtlMs * 2) / 3;
    const expiring = [...this.held].filter(
      (p) => (this.renewedAt.get(p) ?? Number.NEGATIVE_INFINITY) <= since,
    );
    for (const p of expiring.sort((a, b) => a - b)) {
      if (!this.drop(p)) continue;
      await this.release(p, 'lost').catch((err) => this.o.onError?.(err));
    }
  }

  /**
   * No longer holds `p`, lost; true when the caller is to stop its worker: not one being handed
   * back (its hand-over goes on), nor one starting (the round stops it once started).
   */
  private drop(p: number): boolean {
    if (this.shedding.has(p) || !this.held.delete(p)) return false; // handed back or released meanwhile
    this.renewedAt.delete(p);
    return !this.starting.has(p);
  }

  /** onRelease, minded until it ends (see `releasing`). */
  private release(p: number, reason: ReleaseReason): Promise<void> {
    const done: Promise<void> = this.o.onRelease(p, reason).finally(() => {
      if (this.releasing.get(p) === done) this.releasing.delete(p);
    });
    this.releasing.set(p, done);
    return done;
  }

  /** Heartbeat and renew every held lease; concurrent callers share one pass. Returns the live members. */
  private keep(): Promise<string[]> {
    this.keeping ??= this.renewAll().finally(() => (this.keeping = undefined));
    return this.keeping;
  }

  private async renewAll(): Promise<string[]> {
    const { coordinator: c, group, owner, leaseTtlMs } = this.o;
    const members = await c.heartbeat(group, owner, leaseTtlMs);
    const lost: number[] = [];
    try {
      for (const p of [...this.held]) {
        const began = this.now();
        if (!(await c.renew(leaseName(group, p), owner, leaseTtlMs))) lost.push(p);
        else if (this.held.has(p)) this.renewedAt.set(p, Math.max(this.renewedAt.get(p) ?? began, began));
      }
    } finally {
      // renew them all before stopping any: stopping a worker takes time the others' leases may not
      // have; and stop those found lost although a later renewal failed: another worker owns them
      for (const p of lost) {
        if (this.drop(p)) await this.release(p, 'lost');
      }
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
      if (this.held.has(p)) await this.handBack(p, 'rebalance'); // not if lost meanwhile
    }
    // Start looking at a different place per worker, so workers do not all race for partition 0.
    const offset = Math.max(0, members.indexOf(owner)) * share;
    for (let i = 0; i < partitions && this.held.size < share && !this.stopped; i++) {
      const p = (offset + i) % partitions;
      // not while its last worker here is still stopping: never two workers of one partition
      if (this.held.has(p) || this.releasing.has(p)) continue;
      const asked = this.now();
      if (!(await c.tryAcquire(leaseName(group, p), owner, leaseTtlMs))) continue;
      if (this.stopped) {
        await c.release(leaseName(group, p), owner);
        break;
      }
      this.held.add(p);
      this.renewedAt.set(p, asked);
      this.starting.add(p);
      try {
        await this.o.onAcquire(p);
      } catch (err) {
        if (this.held.delete(p)) {
          this.renewedAt.delete(p);
          await c.release(leaseName(group, p), owner);
        }
        throw err;
      } finally {
        this.starting.delete(p);
      }
      // lost while it started (a renewal found the lease gone, or none came in time): stop it again
      if (!this.held.has(p)) await this.release(p, 'lost');
    }
  }

  /** onRelease(p, reason) with a checkpoint, then gives the lease back; renewed until then, never reported lost. */
  private async handBack(p: number, reason: 'rebalance' | 'stop'): Promise<void> {
    const { coordinator: c, group, owner } = this.o;
    this.shedding.add(p);
    try {
      await this.release(p, reason);
      const released = c.release(leaseName(group, p), owner);
      await (reason === 'stop' ? released.catch(() => undefined) : released);
    } finally {
      this.held.delete(p);
      this.renewedAt.delete(p);
      this.shedding.delete(p);
    }
  }

  /**
   * Releases every partition (after `onRelease(p, 'stop')`) and leaves the group. The timer goes on
   * renewing the leases until each is handed back: the workers run until then.
   */
  async stop(): Promise<void> {
    this.stopped = true; // rounds asked for before end at once; one under way starts no more workers
    try {
      await this.running;
      for (const p of [...this.held].sort((a, b) => a - b)) {
        if (this.held.has(p)) await this.handBack(p, 'stop'); // not if lost meanwhile
      }
    } finally {
      if (this.timer) clearInterval(this.timer);
    }
    // workers stopping after their leases were lost (dropped by the timer)
    await Promise.all([...this.releasing.values()].map((r) => r.catch(() => undefined)));
    await this.o.coordinator.leave(this.o.group, this.o.owner).catch(() => undefined);
  }
}
