import { leaseName, PartitionAssigner } from './lease-assigner.js';
import type { Coordinator } from './coordinator.js';
import type { Instrumentation } from '../instrumentation.js';

export interface PartitionWorker {
  start(): Promise<void>;
  /** With `checkpoint`, hand over cleanly; without, the lease is gone and the next owner replays. */
  stop(options: { checkpoint: boolean }): Promise<void>;
  /** Messages of the partition not yet processed. */
  pending?(): Promise<number>;
}

export interface PartitionWorkersOptions {
  coordinator: Coordinator;
  group: string;
  owner: string;
  partitions: number;
  leaseTtlMs: number;
  instrumentation: Instrumentation;
  /** Makes the worker of one partition; `lease` fences its checkpoints. */
  create: (partition: number, lease: string) => PartitionWorker;
  onError?: (err: unknown) => void;
}

/** Runs one worker per partition this process holds a lease for, and follows rebalances. */
export class PartitionWorkers {
  private readonly workers = new Map<number, PartitionWorker>();
  private readonly assigner: PartitionAssigner;

  constructor(private readonly o: PartitionWorkersOptions) {
    this.assigner = new PartitionAssigner({
      coordinator: o.coordinator,
      group: o.group,
      owner: o.owner,
      partitions: o.partitions,
      leaseTtlMs: o.leaseTtlMs,
      onAcquire: async (p) => {
        // never two workers of one partition here: one left running would fight the new one
        await this.workers
          .get(p)
          ?.stop({ checkpoint: false })
          .catch((err) => o.onError?.(err));
        this.workers.delete(p);
        const worker = o.create(p, leaseName(o.group, p));
        await worker.start();
        this.workers.set(p, worker);
        o.instrumentation.emit('partition.assigned', { group: o.group, partition: p, owner: o.owner });
      },
      onRelease: async (p, reason) => {
        const worker = this.workers.get(p);
        this.workers.delete(p);
        await worker?.stop({ checkpoint: reason !== 'lost' }).catch((err) => o.onError?.(err));
        o.instrumentation.emit('partition.released', {
          group: o.group,
          partition: p,
          owner: o.owner,
          reason,
        });
      },
      ...(o.onError && { onError: o.onError }),
    });
  }

  get owned(): ReadonlySet<number> {
    return this.assigner.owned;
  }

  worker(partition: number): PartitionWorker | undefined {
    return this.workers.get(partition);
  }

  start(): Promise<void> {
    return this.assigner.start();
  }

  /** Consumer lag of every partition held here. */
  async lag(): Promise<{ stage: string; partition: number; pending: number }[]> {
    const out: { stage: string; partition: number; pending: number }[] = [];
    for (const [partition, w] of this.workers) {
      if (w.pending) out.push({ stage: this.o.group, partition, pending: await w.pending() });
    }
    return out;
  }

  /** Runs a rebalance round now (tests; otherwise it runs every third of the lease time). */
  rebalance(): Promise<void> {
    return this.assigner.tick();
  }

  stop(): Promise<void> {
    return this.assigner.stop();
  }
}
