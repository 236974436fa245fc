import {
  encodeJson,
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
} from '../stream/index.js';

export type SubmitResult =
  { ok: true; duplicate: boolean } | { ok: false; reason: RejectReason; detail: string };

export interface IngestorOptions {
  bus: Bus;
  partitions: number;
  deadLetters: DeadLetters;
  instrumentation: Instrumentation;
  now?: () => number;
}

/**
 * Where every connector hands over events: validates at the edge, dead-letters what fails with
 * its reason, and publishes the rest to the partition of its author. Resolves only once the bus
 * has acknowledged, so a caller can promise the event is not lost.
 */
export class EventIngestor {
  private readonly now: () => number;

  constructor(private readonly o: IngestorOptions) {
    if (!Number.isInteger(o.partitions) || o.partitions < 1)
      throw new RangeError('partitions must be a positive integer');
    this.now = o.now ?? Date.now;
  }

  /**
   * Validates and publishes one decoded social event. With `bytes` (the valid JSON it was decoded
   * from) those bytes are published as they are, with `received_ts` in a header, which saves
   * encoding the event again. Bus failures throw a PipelineError.
   */
  async submitSocial(value: unknown, raw?: string, bytes?: Uint8Array): Promise<SubmitResult> {
    if (bytes) {
      // The bytes go on as they are: the schema check is enough, no normalised copy is needed.
      const c = checkSocialEvent(value);
      if (!c.ok) return this.reject('social', c.reason, c.detail, raw ?? safeJson(value), sourceOf(value));
      const ack = await this.publishSocial(c.value, bytes);
      return { ok: true, duplicate: ack.duplicate };
    }
    const v = validateSocialEvent(value, this.now());
    if (!v.ok) return this.reject('social', v.reason, v.detail, raw ?? safeJson(value), sourceOf(value));
    const ack = await this.publishSocial(v.value);
    return { ok: true, duplicate: ack.duplicate };
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

  /**
   * Publishes a valid event. Without `original` it must be normalised (a SocialEvent) and is
   * encoded; with it, `original` (the JSON it was decoded from) goes on as it is.
   */
  async publishSocial(e: SocialEventInput, original?: Uint8Array): Promise<PubAck> {
    const subject = Subjects.events(partitionOf(e.author.id, this.o.partitions));
    const msgId = `${e.source}:${e.id}`;
    const ack = await this.guard(() =>
      original
        ? this.o.bus.publish(subject, original, {
            msgId,
            headers: { [RECEIVED_TS_HEADER]: String(e.received_ts ?? this.now()) },
          })
        : this.o.bus.publish(subject, encodeJson(e), { msgId }),
    );
    this.o.instrumentation.emit('event.accepted', {
      source: e.source,
      kind: 'social',
      duplicate: ack.duplicate,
    });
    return ack;
  }

  async publishFeedback(e: FeedbackEvent): Promise<PubAck> {
    const subject = Subjects.feedback(partitionOf(e.campaign, this.o.partitions));
    const msgId = e.decision_id !== undefined ? `${e.campaign}:${e.decision_id}:${e.kind}` : undefined;
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
