import type { Coordinator } from '../coordination/coordinator.js';
import type { Instrumentation } from '../instrumentation.js';
import { backoffDelay, sleep } from '../retry.js';
import type { Store } from '../store/store.js';

export interface CheckpointSettings {
  coordinator: Coordinator;
  /** The lease that fences this partition's checkpoints (see PartitionAssigner). */
  lease: string;
  owner: string;
  /** Checkpoint after this many events… */
  everyEvents: number;
  /** …or this much time, whichever first. */
  everyMs: number;
}

/** A checkpoint save refused: another worker holds the partition's lease now. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

export interface RestartsOptions {
  stage: string;
  partition: number;
  instrumentation: Instrumentation;
  /** Stops reading (the failed loop). */
  stopLoop: () => Promise<void>;
  /** Restores the last checkpoint and reads on from there. */
  start: () => Promise<void>;
  stopped: () => boolean;
}

/**
 * Restarts of a checkpointed reader after a failed batch: drop the in-memory state and replay from
 * the last checkpoint, retrying with backoff until it starts. A failure during a restart queues
 * another restart behind it, so none is lost.
 */
export class Restarts {
  private running: Promise<void> | undefined;

  constructor(private readonly o: RestartsOptions) {}

  request(): void {
    if (this.o.stopped()) return;
    const run = (this.running ?? Promise.resolve()).then(async () => {
      await this.o.stopLoop();
      for (let attempt = 0; !this.o.stopped(); attempt++) {
        try {
          await this.o.start();
          return;
        } catch (error) {
          this.o.instrumentation.emit('processor.error', {
            stage: this.o.stage,
            partition: this.o.partition,
            error,
          });
          await sleep(backoffDelay(attempt, 100, 5_000, Math.random));
        }
      }
    });
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = undefined;
    });
  }

  /** Resolves once no restart is running. */
  async settled(): Promise<void> {
    await this.running;
  }
}

/**
 * Saves a checkpoint after the store has flushed everything written so far (so a restored reader
 * never skips rows that were not written), fenced by the lease; throws LeaseLostError if fenced off.
 * `since`: the store's write mark when the caller started or last saved (its rows since then must
 * all be written); returns the mark for the next save.
 */
export async function saveCheckpoint(
  store: Store,
  checkpoints: CheckpointSettings,
  key: string,
  value: unknown,
  since: number,
): Promise<number> {
  const mark = store.writeMark();
  await store.flush(since);
  const { coordinator, lease, owner } = checkpoints;
  if (!(await coordinator.saveCheckpoint(key, JSON.stringify(value), lease, owner)))
    throw new LeaseLostError(`${key}: lease ${lease} is no longer held by ${owner}`);
  return mark;
}
