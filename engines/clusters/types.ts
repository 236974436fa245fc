/**
 * What every topic clusterer offers the stage-2 operator: one document at a time in stream order,
 * the live clusters with their labels, the events of their life, and a JSON-safe checkpoint.
 */

/** Where `add` put a document: the cluster's id, and whether the document created it. */
export interface TopicAssignment {
  id: number;
  created: boolean;
}

/** A live cluster as a dashboard shows it. */
export interface TopicSummary {
  /** Stable: never reused, never renumbered, kept across re-clustering. */
  id: number;
  /** Documents currently in the cluster, after decay (so it may be fractional). */
  docs: number;
  /** The most distinctive terms first (weight > 0), at most `top`. */
  terms: { term: string; weight: number }[];
  /** Event time (ms) of the document that created it. */
  createdAt: number;
  /** Event time of its latest document. */
  lastSeenAt: number;
}

export type TopicEvent =
  | { type: 'created'; id: number; at: number }
  | { type: 'forgotten'; id: number; at: number }
  | { type: 'reclustered'; at: number; kept: number[]; created: number[]; removed: number[] };

export interface TopicClusterer {
  /**
   * One document, in stream order; `ts` its event time (ms; may go backwards a little: the max seen
   * is "now"). null when `terms` is empty (nothing assigned, nothing changes).
   */
  add(terms: readonly string[], ts: number): TopicAssignment | null;
  /** Live clusters, by id. */
  summaries(top?: number): TopicSummary[];
  /** Events since the last call, in order. */
  drainEvents(): TopicEvent[];
  readonly clusterCount: number;
  /** A measure of the state held (numbers plus characters of term strings), bounded by the options. */
  readonly stateSize: number;
  /** JSON-safe; restore(JSON round trip) continues identically. */
  snapshot(): unknown;
  restore(state: unknown): void;
}

/**
 * A document whose cluster changed after `add` answered: `seq` counts the documents `add` accepted
 * (non-null answers), from 0, so a caller that numbers them the same way can follow the change.
 */
export interface Reassignment {
  seq: number;
  id: number;
}

/**
 * A clusterer that may move recent documents after `add` answered (the DMM's batch passes and
 * re-clustering, the k-means warm-up): an evaluation scores the final cluster of each document.
 */
export interface ReassigningClusterer extends TopicClusterer {
  /** Documents moved since the last call, oldest change first; a document moved twice is listed once, with its latest cluster. */
  drainReassignments(): Reassignment[];
}
