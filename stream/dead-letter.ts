import { encodeJson, type Bus } from './bus.js';
import type { RejectReason } from './errors.js';
import type { Instrumentation } from './instrumentation.js';
import { Subjects } from './topology.js';

/** The most of the original payload a dead letter keeps. */
export const DEAD_LETTER_PAYLOAD_BYTES = 4096;

export interface DeadLetter {
  stage: string;
  reason: RejectReason;
  detail: string;
  source: string;
  /** The start of the original payload, as text. */
  payload: string;
  truncated: boolean;
  ts: number;
}

const decoder = new TextDecoder();

/** Sends what a stage could not use to `dlq.<stage>`, with the reason; it is never dropped silently. */
export class DeadLetters {
  constructor(
    private readonly bus: Bus,
    private readonly instrumentation: Instrumentation,
  ) {}

  /** `msgId` de-duplicates the letter when the same input is processed again (a replay). */
  async send(
    stage: string,
    reason: RejectReason,
    detail: string,
    payload: string | Uint8Array,
    source = 'unknown',
    msgId?: string,
  ): Promise<void> {
    const text =
      typeof payload === 'string' ? payload : decoder.decode(payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES));
    const letter: DeadLetter = {
      stage,
      reason,
      detail,
      source,
      payload: text.slice(0, DEAD_LETTER_PAYLOAD_BYTES),
      truncated:
        (typeof payload === 'string' ? payload.length : payload.byteLength) > DEAD_LETTER_PAYLOAD_BYTES,
      ts: Date.now(),
    };
    this.instrumentation.emit('deadletter.sent', { stage, reason });
    await this.bus.publish(
      Subjects.deadLetter(stage),
      encodeJson(letter),
      msgId !== undefined ? { msgId } : {},
    );
  }
}
