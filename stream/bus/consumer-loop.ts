import { createHash } from 'node:crypto';
import type { Bus, BusMessage, Consumer, ConsumerConfig } from './bus.js';
import type { Instrumentation } from '../instrumentation.js';
import { backoffDelay, sleep } from '../retry.js';

export interface ConsumerLoopOptions {
  stage: string;
  partition: number;
  consumer: Consumer;
  batchSize: number;
  /** How long one fetch waits for messages. */
  fetchWaitMs?: number;
  handle: (batch: BusMessage[]) => Promise<void>;
  instrumentation: Instrumentation;
  /**
   * For readers that own their positions: a failed batch ends the loop and this is called, so the
   * reader can restore its last checkpoint and start again from there (nothing skipped).
   */
  onFatal?: (err: unknown) => void;
}

/**
 * Pulls batches and hands them to `handle` until stopped. Without `onFatal`, a batch whose handler
 * throws is not acked by the loop: the handler decides per message, and unacked messages come back
 * after the ack wait; the loop backs off and carries on.
 */
export class ConsumerLoop {
  private running = false;
  private done: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly o: ConsumerLoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const batch = await this.o.consumer.fetch(this.o.batchSize, this.o.fetchWaitMs ?? 500);
        if (!this.running) {
          for (const m of batch) m.nak();
          break;
        }
        if (batch.length > 0) await this.o.handle(batch);
        failures = 0;
      } catch (error) {
        this.o.instrumentation.emit('processor.error', {
          stage: this.o.stage,
          partition: this.o.partition,
          error,
        });
        if (this.o.onFatal) {
          this.running = false;
          this.o.onFatal(error);
          break;
        }
        await sleep(backoffDelay(failures++, 50, 5_000, Math.random), this.abort.signal);
      }
    }
  }

  /** The consumer's position figures (pending messages, ack floor). */
  info(): ReturnType<Consumer['info']> {
    return this.o.consumer.info();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.o.consumer.stop();
    await this.done;
  }
}

export interface PartitionLoopOptions extends Omit<ConsumerLoopOptions, 'consumer'> {
  bus: Bus;
  /** The durable consumer to bind: `<stage>-<partition>` on `stream`, filtered to one subject. */
  stream: string;
  filterSubject: string;
  maxAckPending?: number;
  ackWaitMs?: number;
  ackPolicy?: ConsumerConfig['ackPolicy'];
  startSeq?: number;
  /**
   * For readers that own their positions (`startSeq`, checkpoints): this process's id. The
   * consumer is then this reader's own (`<stage>-<partition>-<hash of the id>`, removed by the
   * server when idle): a process that still reads a partition whose lease has moved on (a stall,
   * a lost Redis connection) neither takes messages from the new owner's consumer nor resets it.
   */
  reader?: string;
}

/** A reader's own consumers are removed by the server after this long without a pull. */
const READER_CONSUMER_IDLE_MS = 15 * 60_000;

/** The durable consumer a stage's partition loop binds (see `reader`). */
export function partitionConsumerName(stage: string, partition: number, reader?: string): string {
  const base = `${stage}-${partition}`;
  if (reader === undefined) return base;
  return `${base}-${createHash('sha256').update(reader).digest('hex').slice(0, 12)}`;
}

/** Binds the durable consumer of one stage and partition and starts pulling from it. */
export async function startPartitionLoop(o: PartitionLoopOptions): Promise<ConsumerLoop> {
  const config: ConsumerConfig = {
    stream: o.stream,
    durable: partitionConsumerName(o.stage, o.partition, o.reader),
    // the consumer earlier releases shared between readers goes (it holds no acks)
    ...(o.reader !== undefined && {
      inactiveThresholdMs: READER_CONSUMER_IDLE_MS,
      replaces: partitionConsumerName(o.stage, o.partition),
    }),
    filterSubject: o.filterSubject,
    maxAckPending: o.maxAckPending ?? 10_000,
    ackWaitMs: o.ackWaitMs ?? 30_000,
    ...(o.ackPolicy !== undefined && { ackPolicy: o.ackPolicy }),
    ...(o.startSeq !== undefined && { startSeq: o.startSeq }),
  };
  const consumer = await o.bus.consumer(config);
  const loop = new ConsumerLoop({ ...o, consumer });
  loop.start();
  return loop;
}
