import type { Coordinator } from '../coordination/coordinator.js';

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
