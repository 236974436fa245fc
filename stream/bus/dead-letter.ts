import { decodeJson, encodeJson, type Bus, type BusMessage } from './bus.js';
import { ConsumerLoop } from './consumer-loop.js';
import type { RejectReason } from '../model/errors.js';
import type { Instrumentation } from '../instrumentation.js';
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

  /**
   * An event line (`index` in its message, see event-batch.ts) a stage could not decode;
   * de-duplicated by its position, so a replay adds none.
   */
  undecodable(stage: string, msg: BusMessage, index: number, line: Uint8Array, err: unknown): Promise<void> {
    return this.send(
      stage,
      'undecodable',
      String(err),
      line,
      'unknown',
      `undecodable:${msg.subject}:${msg.seq}:${index}`,
    );
  }
}

export interface DeadLetterSinkOptions {
  bus: Bus;
  instrumentation: Instrumentation;
  /** Stores a batch durably (ClickHouse); resolves once it is written. */
  write: (letters: DeadLetter[]) => Promise<void>;
  batchSize?: number;
  /** A batch not acknowledged this long (its process died) goes to another process (ms); default 60,000. */
  ackWaitMs?: number;
}

/**
 * Copies the dead-letter subjects into a table people can query. One shared durable consumer:
 * every process that runs it takes a share of the messages. At least once (a batch is acked after
 * it is written).
 */
export class DeadLetterSink {
  private loop: ConsumerLoop | undefined;

  constructor(private readonly o: DeadLetterSinkOptions) {}

  async start(): Promise<void> {
    const consumer = await this.o.bus.consumer({
      stream: 'DEAD_LETTERS',
      durable: 'dead-letter-sink',
      // each message acknowledged once written: with AckAll a process's ack would also cover the
      // messages another process holds, and they would be lost if that process died
      ackPolicy: 'explicit',
      maxAckPending: 10_000,
      ackWaitMs: this.o.ackWaitMs ?? 60_000,
    });
    this.loop = new ConsumerLoop({
      stage: 'dead-letter-sink',
      partition: 0,
      consumer,
      batchSize: this.o.batchSize ?? 1000,
      instrumentation: this.o.instrumentation,
      handle: async (batch) => {
        const letters: DeadLetter[] = [];
        for (const m of batch) {
          try {
            letters.push(decodeJson<DeadLetter>(m.data));
          } catch {
            // Written by this project only; a record that does not decode has nothing to store.
          }
        }
        await this.o.write(letters);
        for (const m of batch) m.ack();
      },
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
