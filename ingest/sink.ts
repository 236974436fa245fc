import type { EventIngestor } from './publisher.js';

/** What a connector hands its events to: the in-process ingestor, or a Pulsewatch server over HTTP. */
export interface EventSink {
  /**
   * Submits a batch of decoded events of one kind. Resolves once every accepted event is
   * acknowledged by the bus (in-process) or by the server (HTTP); rejects only when the batch could
   * not be delivered at all (the caller keeps its position and tries again).
   */
  submit(events: readonly unknown[], kind?: EventKind): Promise<SinkResult>;
  close?(): Promise<void>;
}

export type EventKind = 'social' | 'feedback';

export interface SinkResult {
  accepted: number;
  /** Accepted events the ingest edge already saw inside the dedup window (counted once downstream). */
  duplicates: number;
  rejected: number;
  /** Rejected events by index in the submitted batch, with the stable reason code. */
  errors: { index: number; reason: string; detail: string }[];
}

export function emptyResult(): SinkResult {
  return { accepted: 0, duplicates: 0, rejected: 0, errors: [] };
}

/** Adds `b` into `a` (errors keep their own indexes; callers that merge batches shift them). */
export function addResult(a: SinkResult, b: SinkResult, indexOffset = 0): SinkResult {
  a.accepted += b.accepted;
  a.duplicates += b.duplicates;
  a.rejected += b.rejected;
  for (const e of b.errors) a.errors.push({ ...e, index: e.index + indexOffset });
  return a;
}

/** The in-process sink: events go through the same validation and publishing as HTTP ingest. */
export class IngestorSink implements EventSink {
  constructor(private readonly ingestor: EventIngestor) {}

  async submit(events: readonly unknown[], kind: EventKind = 'social'): Promise<SinkResult> {
    const result = emptyResult();
    const outcomes =
      kind === 'social'
        ? await this.ingestor.submitSocialBatch(events.map((value) => ({ value })))
        : await Promise.all(events.map((e) => this.ingestor.submitFeedback(e)));
    outcomes.forEach((r, index) => {
      if (r.ok) {
        result.accepted++;
        if (r.duplicate) result.duplicates++;
      } else {
        result.rejected++;
        result.errors.push({ index, reason: r.reason, detail: r.detail });
      }
    });
    return result;
  }
}
