import type { SentimentScorer } from '../engines/sentiment/index.js';
import type { BrandMatcher } from '../engines/text/index.js';
import { decodeJson, encodeJson, type Bus, type BusMessage } from './bus.js';
import type { Coordinator } from './coordination.js';
import { enrichEvent, reportEnriched } from './enrich.js';
import { backoffDelay, sleep } from './retry.js';
import { brandAggregator, type BrandCounts } from './brand-aggregate.js';
import type { DeadLetters } from './dead-letter.js';
import { decodeSocialEvent, type EnrichedEvent } from './events.js';
import type { Instrumentation } from './instrumentation.js';
import { startPartitionLoop, type ConsumerLoop } from './processor.js';
import type { Store, WindowRow } from './store.js';
import { Subjects } from './topology.js';
import { WatermarkTracker, WindowOperator, type WindowEmission, type WindowSpec } from './windows.js';

export interface WindowSettings {
  windows: WindowSpec[];
  outOfOrdernessMs: number;
  allowedLatenessMs: number;
}

type BrandOperator = WindowOperator<EnrichedEvent, ReturnType<typeof brandAggregator.create>, BrandCounts>;

/** Outcome of folding one event into a partition's windows. */
export interface FoldResult {
  /** Windows the event came too late for. */
  lateFor: string[];
}

/**
 * The per-partition window state of the aggregate stage, without any I/O: tests drive it with
 * explicit watermarks, the processor drives it from the bus.
 */
export class PartitionWindows {
  readonly watermark: WatermarkTracker;
  private readonly operators: BrandOperator[];

  constructor(readonly settings: WindowSettings) {
    this.watermark = new WatermarkTracker(settings.outOfOrdernessMs);
    this.operators = settings.windows.map(
      (spec) =>
        new WindowOperator({
          spec,
          allowedLatenessMs: settings.allowedLatenessMs,
          aggregator: brandAggregator,
        }),
    );
  }

  fold(event: EnrichedEvent): FoldResult {
    const wm = this.watermark.current;
    const lateFor: string[] = [];
    for (const op of this.operators) {
      if (op.isLate(event.ts, wm)) {
        lateFor.push(op.spec.name);
        continue;
      }
      for (const brand of event.brands) op.add(brand, event.ts, event, wm);
    }
    this.watermark.observe(event.ts);
    return { lateFor };
  }

  emit(): WindowEmission<BrandCounts>[] {
    const wm = this.watermark.current;
    return this.operators.flatMap((op) => op.emit(wm));
  }

  get openWindows(): number {
    return this.operators.reduce((n, op) => n + op.openWindows, 0);
  }

  snapshot(): unknown {
    return { watermark: this.watermark.snapshot(), operators: this.operators.map((op) => op.snapshot()) };
  }

  restore(state: unknown): void {
    const s = state as { watermark: { maxTs: number | null; explicit: number | null }; operators: unknown[] };
    this.watermark.restore(s.watermark);
    this.operators.forEach((op, i) => op.restore(s.operators[i] ?? []));
  }
}

export function toRow(e: WindowEmission<BrandCounts>, partition: number, version: number): WindowRow {
  return {
    brand: e.key,
    window: e.window,
    start: e.start,
    end: e.end,
    partition,
    version,
    final: e.final,
    ...e.value,
  };
}

/** What stage 2 reads: raw events, enriched in the same process (fused), or stage 1's output. */
export type AggregateInput =
  { kind: 'events'; matcher: BrandMatcher; scorer: SentimentScorer } | { kind: 'enriched' };

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

export interface AggregateOptions {
  bus: Bus;
  store: Store;
  partition: number;
  settings: WindowSettings;
  input: AggregateInput;
  checkpoints: CheckpointSettings;
  deadLetters: DeadLetters;
  instrumentation: Instrumentation;
  batchSize?: number;
  /** Also keeps every event of a batch with its brands and sentiment (for drill-down), before the checkpoint. */
  keepEnriched?: (events: EnrichedEvent[]) => Promise<void>;
}

interface SavedCheckpoint {
  v: 1;
  /** Every message up to this stream sequence is folded into `state`. */
  seq: number;
  state: unknown;
  savedAt: number;
}

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/**
 * Stage 2 of one partition: per-brand window aggregates, written to the store and the live
 * subject. Effectively exactly once: it owns its input position, saves it together with the window
 * state in one fenced checkpoint (after the store has flushed), and after a crash or a failed batch
 * restores the checkpoint and reads again from the next sequence. Rows carry the input sequence as
 * their version, so rewrites replace rows instead of adding to them.
 */
export class AggregateProcessor {
  windows: PartitionWindows;
  private loop: ConsumerLoop | undefined;
  private lastSeq = 0;
  private sinceCheckpoint = 0;
  private lastCheckpointAt = 0;
  private checkpointedSeq = 0;
  private restarting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: AggregateOptions) {
    this.windows = new PartitionWindows(o.settings);
  }

  private get checkpointKey(): string {
    return `aggregate:${this.o.partition}`;
  }

  /** The checkpoint position the last start restored (0: none, read from the beginning). */
  restoredFrom = 0;

  /** The input position of the last saved checkpoint. */
  get checkpointSeq(): number {
    return this.checkpointedSeq;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const saved = await this.o.checkpoints.coordinator.loadCheckpoint(this.checkpointKey);
    this.windows = new PartitionWindows(this.o.settings);
    this.lastSeq = 0;
    if (saved !== undefined) {
      const cp = JSON.parse(saved) as SavedCheckpoint;
      this.windows.restore(cp.state);
      this.lastSeq = cp.seq;
    }
    this.checkpointedSeq = this.lastSeq;
    this.restoredFrom = this.lastSeq;
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    const { input, partition } = this.o;
    this.loop = await startPartitionLoop({
      bus: this.o.bus,
      stream: input.kind === 'events' ? 'SOCIAL_EVENTS' : 'SOCIAL_ENRICHED',
      filterSubject: input.kind === 'events' ? Subjects.events(partition) : Subjects.enriched(partition),
      stage: 'aggregate',
      partition,
      ackPolicy: 'none',
      startSeq: this.lastSeq + 1,
      batchSize: this.o.batchSize ?? 1000,
      handle: (batch) => this.handle(batch),
      instrumentation: this.o.instrumentation,
      onFatal: () => this.restartFromCheckpoint(),
    });
  }

  /**
   * After a failed batch: drop the in-memory state and replay from the last checkpoint. A failure
   * during a restart queues another restart behind it, so none is lost.
   */
  private restartFromCheckpoint(): void {
    if (this.stopped) return;
    const run = (this.restarting ?? Promise.resolve()).then(async () => {
      await this.loop?.stop();
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          await this.start();
          return;
        } catch (error) {
          this.o.instrumentation.emit('processor.error', {
            stage: 'aggregate',
            partition: this.o.partition,
            error,
          });
          await sleep(backoffDelay(attempt, 100, 5_000, Math.random));
        }
      }
    });
    this.restarting = run;
    void run.finally(() => {
      if (this.restarting === run) this.restarting = undefined;
    });
  }

  private decode(msg: BusMessage): EnrichedEvent {
    const { input } = this.o;
    if (input.kind === 'enriched') return decodeJson<EnrichedEvent>(msg.data);
    const e = enrichEvent(decodeSocialEvent(msg), input.matcher, input.scorer);
    reportEnriched(this.o.instrumentation, e);
    return e;
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const { partition, instrumentation, deadLetters } = this.o;
    const now = Date.now();
    const lagMs: number[] = [];
    const letters: Promise<void>[] = [];
    const kept: EnrichedEvent[] = [];
    for (const msg of batch) {
      // A replay after a restart may start inside a fetched batch: skip what the state holds.
      if (msg.seq <= this.lastSeq) continue;
      let event: EnrichedEvent;
      try {
        event = this.decode(msg);
      } catch (err) {
        letters.push(deadLetters.undecodable('aggregate', msg, err));
        continue;
      }
      lagMs.push(now - event.received_ts);
      if (this.o.keepEnriched) kept.push(event);
      if (event.brands.length === 0) continue;
      const { lateFor } = this.windows.fold(event);
      if (lateFor.length > 0) {
        for (const window of lateFor) instrumentation.emit('event.late', { source: event.source, window });
        letters.push(
          deadLetters.send(
            'aggregate',
            'late_event',
            `late for window ${lateFor.join(', ')}`,
            msg.data,
            event.source,
            `late:${event.source}:${event.id}`,
          ),
        );
      }
    }
    const version = batch[batch.length - 1]!.seq;
    if (version <= this.lastSeq) return;
    this.lastSeq = version;
    const rows = this.windows.emit().map((e) => toRow(e, partition, version));
    if (rows.length > 0) {
      await this.o.store.upsert(rows);
      this.o.bus.notify(Subjects.liveWindows(partition), encodeJson(rows));
      for (const r of rows) instrumentation.emit('window.emitted', { window: r.window, final: r.final });
    }
    await Promise.all(letters);
    if (kept.length > 0) await this.o.keepEnriched?.(kept);
    instrumentation.emit('batch.processed', { stage: 'aggregate', partition, size: batch.length, lagMs });
    this.sinceCheckpoint += batch.length;
    const { everyEvents, everyMs } = this.o.checkpoints;
    if (this.sinceCheckpoint >= everyEvents || Date.now() - this.lastCheckpointAt >= everyMs)
      await this.checkpoint();
  }

  /** Flushes the store, then saves state and position together; throws LeaseLostError if fenced off. */
  async checkpoint(): Promise<void> {
    const seq = this.lastSeq;
    const state = this.windows.snapshot();
    await this.o.store.flush();
    const { coordinator, lease, owner } = this.o.checkpoints;
    const value: SavedCheckpoint = { v: 1, seq, state, savedAt: Date.now() };
    const ok = await coordinator.saveCheckpoint(this.checkpointKey, JSON.stringify(value), lease, owner);
    if (!ok)
      throw new LeaseLostError(`partition ${this.o.partition}: lease ${lease} is no longer held by ${owner}`);
    this.checkpointedSeq = seq;
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    this.o.instrumentation.emit('checkpoint.saved', { stage: 'aggregate', partition: this.o.partition, seq });
  }

  /**
   * Stops reading. With `checkpoint`, saves a last checkpoint first (a clean hand-over); without,
   * the next owner replays from the last saved one.
   */
  async pending(): Promise<number> {
    return this.loop ? (await this.loop.info()).numPending : 0;
  }

  async stop(options: { checkpoint: boolean } = { checkpoint: true }): Promise<void> {
    this.stopped = true;
    await this.restarting;
    await this.loop?.stop();
    if (options.checkpoint && this.lastSeq > this.checkpointedSeq) await this.checkpoint();
  }
}
