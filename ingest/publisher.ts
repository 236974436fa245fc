import {
  chunkLines,
  encodeJson,
  eventKey,
  feedbackKey,
  joinLines,
  partitionOf,
  PipelineError,
  RECEIVED_TS_HEADER,
  Subjects,
  validateFeedbackEvent,
  checkSocialEvent,
  validateSocialEvent,
  type Bus,
  type DeadLetters,
  type FeedbackEvent,
  type Instrumentation,
  type PubAck,
  type RejectReason,
  type SocialEventInput,
  type Validation,
} from '../stream/index.js';

export type SubmitResult =
  { ok: true; duplicate: boolean } | { ok: false; reason: RejectReason; detail: string };

export interface SocialSubmission {
  /** The decoded JSON value. */
  value: unknown;
  /** The line it came from, for dead letters. */
  raw?: string | undefined;
  /** The valid JSON bytes it was decoded from, published as they are when the value passes. */
  bytes?: Uint8Array | undefined;
}

/** Bytes per bus message at most (JetStream's default max payload is 1 MiB). */
const MAX_MESSAGE_BYTES = 512 * 1024;

export interface IngestorOptions {
  bus: Bus;
  partitions: number;
  /** Events per bus message at most; default 1000. */
  maxEventsPerMessage?: number;
  deadLetters: DeadLetters;
  instrumentation: Instrumentation;
  /**
   * An event dated more than this far ahead of `now` is rejected (`future_timestamp`): the
   * watermark follows the latest event time, so one would make every later post late. Default 5 min.
   */
  maxFutureSkewMs?: number;
  now?: () => number;
}

/**
 * Where every connector hands over events: validates at the edge, dead-letters what fails with
 * its reason, and publishes the rest to the partition of its author. Resolves only once the bus
 * has acknowledged, so a caller can promise the event is not lost.
 */
export class EventIngestor {
  private readonly now: () => number;
  private readonly maxEventsPerMessage: number;

  constructor(private readonly o: IngestorOptions) {
    if (!Number.isInteger(o.partitions) || o.partitions < 1)
      throw new RangeError('partitions must be a positive integer');
    this.now = o.now ?? Date.now;
    this.maxEventsPerMessage = o.maxEventsPerMessage ?? 1000;
  }

  /**
   * Validates and publishes one decoded social event (see {@link submitSocialBatch}). Bus failures
   * throw a PipelineError.
   */
  async submitSocial(value: unknown, raw?: string, bytes?: Uint8Array): Promise<SubmitResult> {
    return (await this.submitSocialBatch([{ value, raw, bytes }]))[0]!;
  }

  /**
   * Validates decoded social events, dead-letters the invalid ones with their reason, and publishes
   * the rest, many per bus message (one message per partition and chunk). With `bytes` (the valid
   * JSON a value was decoded from) those bytes are published as they are, with `received_ts` in a
   * header, which saves encoding the event again. A repeat of an id earlier in the same batch is
   * not published again (`duplicate`); repeats across batches are dropped by stage 2, which
   * de-duplicates by id inside its window. Resolves once the bus has acknowledged every message;
   * a bus failure throws a PipelineError and nothing of the batch is promised.
   */
  async submitSocialBatch(items: readonly SocialSubmission[]): Promise<SubmitResult[]> {
    const results: SubmitResult[] = new Array<SubmitResult>(items.length);
    const valid: { event: SocialEventInput; bytes?: Uint8Array | undefined }[] = [];
    const keys = new Set<string>();
    const duplicates: string[] = [];
    const rejects: Parameters<EventIngestor['reject']>[] = [];
    const now = this.now();
    const latest = now + (this.o.maxFutureSkewMs ?? 5 * 60_000);
    items.forEach((item, i) => {
      let v: Validation<SocialEventInput, RejectReason> = item.bytes
        ? checkSocialEvent(item.value)
        : validateSocialEvent(item.value, now);
      if (v.ok && v.value.ts > latest)
        v = {
          ok: false,
          reason: 'future_timestamp',
          detail: `/ts: ${new Date(v.value.ts).toISOString()} is more than ${Math.round((latest - now) / 1000)} s ahead of the server clock`,
        };
      if (!v.ok) {
        const raw = item.raw ?? safeJson(item.value);
        rejects.push(['social', v.reason, v.detail, raw, sourceOf(item.value)]);
        results[i] = { ok: false, reason: v.reason, detail: v.detail };
        return;
      }
      const key = eventKey(v.value);
      const duplicate = keys.has(key);
      results[i] = { ok: true, duplicate };
      if (duplicate) {
        duplicates.push(v.value.source);
        return;
      }
      keys.add(key);
      valid.push({ event: v.value, bytes: item.bytes });
    });
    // The bad lines are counted and dead-lettered once the good ones are on the bus: a batch the bus
    // refused (503) is sent again by the client, and its bad lines must not count twice.
    await this.publishValid(valid, now);
    await Promise.all(rejects.map((args) => this.reject(...args)));
    for (const source of duplicates) {
      this.o.instrumentation.emit('event.accepted', { source, kind: 'social', duplicate: true });
      this.o.instrumentation.emit('event.duplicate', { stage: 'ingest', source });
    }
    return results;
  }

  /** Publishes events that passed validation (tests and benchmarks use it to skip the checks). */
  publishSocial(e: SocialEventInput): Promise<void> {
    return this.publishValid([{ event: e }], this.now());
  }

  /** publishSocial for many events: one bus message per partition and chunk. */
  publishSocialBatch(events: readonly SocialEventInput[]): Promise<void> {
    return this.publishValid(
      events.map((event) => ({ event })),
      this.now(),
    );
  }

  async submitFeedback(value: unknown, raw?: string): Promise<SubmitResult> {
    const v = validateFeedbackEvent(value);
    if (!v.ok) return this.reject('feedback', v.reason, v.detail, raw ?? safeJson(value), 'feedback');
    const ack = await this.publishFeedback(v.value);
    return { ok: true, duplicate: ack.duplicate };
  }

  /** Counts and dead-letters an input that never became an event (bad JSON, bad encoding). */
  async reject(
    kind: 'social' | 'feedback',
    reason: RejectReason,
    detail: string,
    raw: string,
    source = 'unknown',
  ): Promise<SubmitResult> {
    this.o.instrumentation.emit('event.rejected', { stage: `ingest`, reason, source });
    await this.o.deadLetters.send(`ingest`, reason, `${kind}: ${detail}`, raw, source);
    return { ok: false, reason, detail };
  }

  private async publishValid(
    events: readonly { event: SocialEventInput; bytes?: Uint8Array | undefined }[],
    now: number,
  ): Promise<void> {
    if (events.length === 0) return;
    const byPartition = new Map<number, Uint8Array[]>();
    for (const { event, bytes } of events) {
      const p = partitionOf(event.author.id, this.o.partitions);
      let lines = byPartition.get(p);
      if (!lines) byPartition.set(p, (lines = []));
      lines.push(bytes ?? encodeJson(event));
    }
    // Lines without received_ts (bytes passed through) take it from the header.
    const headers = { [RECEIVED_TS_HEADER]: String(now) };
    const publishes: Promise<PubAck>[] = [];
    for (const [p, lines] of byPartition) {
      for (const chunk of chunkLines(lines, this.maxEventsPerMessage, MAX_MESSAGE_BYTES))
        publishes.push(
          this.guard(() => this.o.bus.publish(Subjects.events(p), joinLines(chunk), { headers })),
        );
    }
    await Promise.all(publishes);
    for (const { event } of events)
      this.o.instrumentation.emit('event.accepted', {
        source: event.source,
        kind: 'social',
        duplicate: false,
      });
  }

  async publishFeedback(e: FeedbackEvent): Promise<PubAck> {
    const subject = Subjects.feedback(partitionOf(e.campaign, this.o.partitions));
    const msgId = feedbackKey(e);
    const ack = await this.guard(() =>
      this.o.bus.publish(subject, encodeJson(e), msgId !== undefined ? { msgId } : {}),
    );
    this.o.instrumentation.emit('event.accepted', {
      source: 'feedback',
      kind: 'feedback',
      duplicate: ack.duplicate,
    });
    return ack;
  }

  private async guard(fn: () => Promise<PubAck>): Promise<PubAck> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      throw new PipelineError('BUS_UNAVAILABLE', `publish failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

function sourceOf(value: unknown): string {
  const s = typeof value === 'object' && value !== null ? (value as { source?: unknown }).source : undefined;
  return typeof s === 'string' && s.length > 0 && s.length <= 64 ? s : 'unknown';
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
