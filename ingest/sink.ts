import type { RejectReason } from '../stream/index.js';
import { parseNdjson, type NdjsonLine } from './ndjson.js';
import type { EventIngestor, SubmitResult } from './publisher.js';

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

/** A sink that also takes NDJSON lines as they are: `IngestorSink` in process, `HttpSink` over HTTP. */
export interface RawEventSink extends EventSink {
  /**
   * Submits NDJSON lines unchanged, for lines that must reach ingest as they are (a scenario's
   * malformed ones): ingest decodes and checks them as it does an HTTP request's lines. Blank lines
   * are skipped; errors are indexed by line.
   */
  submitRaw(lines: readonly string[], kind?: EventKind): Promise<SinkResult>;
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

/** One input for the ingestor: decoded, or refused before it could be decoded (not JSON, not UTF-8). */
type Input =
  | { index: number; ok: true; value: unknown; raw?: string; bytes?: Uint8Array }
  | { index: number; ok: false; reason: RejectReason; detail: string; raw: string };

/**
 * The in-process sink, and the one way in-process code hands events to the `EventIngestor`: the
 * same validation, dead letters and publishing as HTTP ingest.
 */
export class IngestorSink implements RawEventSink {
  constructor(private readonly ingestor: EventIngestor) {}

  submit(events: readonly unknown[], kind: EventKind = 'social'): Promise<SinkResult> {
    return this.deliver(
      kind,
      events.map((value, index) => ({ index, ok: true, value })),
    );
  }

  async submitRaw(lines: readonly string[], kind: EventKind = 'social'): Promise<SinkResult> {
    if (lines.some((l) => /[\r\n]/.test(l)))
      throw new RangeError('submitRaw: a line must not contain a line break');
    return this.submitParsed([...parseNdjson(Buffer.from(lines.join('\n')), Number.MAX_SAFE_INTEGER)], kind);
  }

  /** NDJSON lines as the parser gave them (HTTP ingest's path): results indexed by line - 1. */
  submitParsed(lines: readonly NdjsonLine[], kind: EventKind = 'social'): Promise<SinkResult> {
    return this.deliver(
      kind,
      lines.map(({ line, ...l }) => ({ index: line - 1, ...l })),
    );
  }

  /**
   * Refuses what could not be decoded, publishes decoded social events as one batch and feedback
   * one by one, and resolves once all of it is settled; a bus failure then rejects.
   */
  private async deliver(kind: EventKind, inputs: readonly Input[]): Promise<SinkResult> {
    // by input index; an index without a result is a blank line
    const results: SubmitResult[] = [];
    const note = (index: number) => (r: SubmitResult) => {
      results[index] = r;
    };
    const social: Extract<Input, { ok: true }>[] = [];
    const undecodable: Extract<Input, { ok: false }>[] = [];
    const work: Promise<unknown>[] = [];
    for (const input of inputs) {
      if (!input.ok) undecodable.push(input);
      else if (kind === 'social') social.push(input);
      else work.push(this.ingestor.submitFeedback(input.value, input.raw).then(note(input.index)));
    }
    if (social.length > 0)
      work.push(
        this.ingestor
          .submitSocialBatch(social.map(({ value, raw, bytes }) => ({ value, raw, bytes })))
          .then((rs) => rs.forEach((r, i) => note(social[i]!.index)(r))),
      );
    const failure = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    // Refused once the rest is on the bus: a batch the bus refused (503) is sent again, and its
    // bad lines must not be counted and dead-lettered twice.
    const source = kind === 'feedback' ? kind : undefined;
    await Promise.all(
      undecodable.map((input) =>
        this.ingestor.reject(kind, input.reason, input.detail, input.raw, source).then(note(input.index)),
      ),
    );
    const result = emptyResult();
    results.forEach((r, index) => {
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
