import type { SentimentScorer } from '../../engines/sentiment/index.js';
import type { BrandMatcher } from '../../engines/text/index.js';
import { decodeJson, encodeJson, type Bus, type BusMessage } from '../bus/bus.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { EnrichedTally, enrichEvent } from './enrich.js';
import { backoffDelay, sleep } from '../retry.js';
import { brandAggregator, type BrandCounts } from '../operators/brand-counts.js';
import type { DeadLetters } from '../bus/dead-letter.js';
import { DedupIndex, type DedupSnapshot } from './dedup.js';
import { splitLines } from '../model/event-batch.js';
import {
  decodeSocialLine,
  eventKey,
  RECEIVED_TS_HEADER,
  type EnrichedEvent,
  type SocialEvent,
} from '../model/events.js';
import type { Instrumentation } from '../instrumentation.js';
import { startPartitionLoop, type ConsumerLoop } from '../bus/consumer-loop.js';
import type { Store, WindowRow } from '../store/store.js';
import { Subjects } from '../bus/topology.js';
import { WatermarkTracker, WindowOperator, type WindowEmission, type WindowSpec } from '../windows/index.js';

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
  /**
   * Events whose `source:id` was seen less than this long before (by the bus's message time) are
   * dropped as repeats; default 120,000 (2 minutes).
   */
  dedupWindowMs?: number;
  /** Also keeps every event of a batch with its brands and sentiment (for drill-down), before the checkpoint. */
  keepEnriched?: (events: EnrichedEvent[]) => Promise<void>;
}

interface SavedCheckpoint {
  /** 1: before de-duplication moved into stage 2 (no `dedup`). */
  v: 1 | 2;
  /** Every message up to this stream sequence is folded into `state`. */
  seq: number;
  state: unknown;
  /** Where the de-duplication index's live generations start; their keys are read again from the input. */
  dedup?: DedupSnapshot;
  savedAt: number;
}

/** Stage 2 lets the event loop run after about this many events of a batch. */
const YIELD_EVERY_EVENTS = 2000;

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
  dedup: DedupIndex;
  /** After a restore: messages from here up to the checkpoint are read again only to refill `dedup`. */
  private replayFrom = Number.POSITIVE_INFINITY;
  private loop: ConsumerLoop | undefined;
  private lastSeq = 0;
  private sinceCheckpoint = 0;
  private lastCheckpointAt = 0;
  private checkpointedSeq = 0;
  private restarting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: AggregateOptions) {
    this.windows = new PartitionWindows(o.settings);
    this.dedup = new DedupIndex(o.dedupWindowMs ?? 120_000);
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
    this.dedup = new DedupIndex(this.dedup.windowMs);
    this.lastSeq = 0;
    if (saved !== undefined) {
      const cp = JSON.parse(saved) as SavedCheckpoint;
      this.windows.restore(cp.state);
      this.dedup.restore(cp.dedup);
      this.lastSeq = cp.seq;
    }
    this.replayFrom = this.dedup.replayFrom ?? Number.POSITIVE_INFINITY;
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
      startSeq: Math.min(this.replayFrom, this.lastSeq + 1),
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

  /** One event line: a raw event (enriched here when fused) or stage 1's enriched event. */
  private parse(line: Uint8Array, received: string | undefined): SocialEvent | EnrichedEvent {
    return this.o.input.kind === 'enriched'
      ? decodeJson<EnrichedEvent>(line)
      : decodeSocialLine(line, received);
  }

  private enrich(e: SocialEvent | EnrichedEvent, tally: EnrichedTally): EnrichedEvent {
    const { input } = this.o;
    if (input.kind === 'enriched') return e as EnrichedEvent;
    const enriched = enrichEvent(e, input.matcher, input.scorer);
    tally.add(enriched);
    return enriched;
  }

  /** A message the restored state already holds: its keys go back into the dedup index. */
  private replayKeys(msg: BusMessage): void {
    const received = msg.headers[RECEIVED_TS_HEADER];
    for (const line of splitLines(msg.data)) {
      let e: SocialEvent | EnrichedEvent;
      try {
        e = this.parse(line, received);
      } catch {
        continue; // dead-lettered when it was first read
      }
      this.dedup.replay(msg.seq, eventKey(e));
    }
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const { partition, instrumentation, deadLetters } = this.o;
    const now = Date.now();
    const lagMs: number[] = [];
    const letters: Promise<void>[] = [];
    const kept: EnrichedEvent[] = [];
    const tally = new EnrichedTally();
    let events = 0;
    let sinceYield = 0;
    for (const msg of batch) {
      // Let sockets and timers in now and then: a batch from a backlog is many events.
      if (sinceYield >= YIELD_EVERY_EVENTS) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      // After a restore, and when a replay starts inside a fetched batch: the state holds these.
      if (msg.seq <= this.lastSeq) {
        if (msg.seq >= this.replayFrom) this.replayKeys(msg);
        continue;
      }
      this.dedup.advance(msg.seq, msg.timestamp);
      const received = msg.headers[RECEIVED_TS_HEADER];
      const lines = splitLines(msg.data);
      events += lines.length;
      sinceYield += lines.length;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        let event: EnrichedEvent;
        try {
          const parsed = this.parse(line, received);
          if (this.dedup.seen(eventKey(parsed))) {
            instrumentation.emit('event.duplicate', { stage: 'aggregate', source: parsed.source });
            continue;
          }
          event = this.enrich(parsed, tally);
        } catch (err) {
          letters.push(deadLetters.undecodable('aggregate', msg, i, line, err));
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
              line,
              event.source,
              `late:${event.source}:${event.id}`,
            ),
          );
        }
      }
    }
    tally.report(instrumentation);
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
    instrumentation.emit('batch.processed', { stage: 'aggregate', partition, size: events, lagMs });
    this.sinceCheckpoint += events;
    const { everyEvents, everyMs } = this.o.checkpoints;
    if (this.sinceCheckpoint >= everyEvents || Date.now() - this.lastCheckpointAt >= everyMs)
      await this.checkpoint();
  }

  /** Flushes the store, then saves state and position together; throws LeaseLostError if fenced off. */
  async checkpoint(): Promise<void> {
    const seq = this.lastSeq;
    const state = this.windows.snapshot();
    const dedup = this.dedup.snapshot();
    await this.o.store.flush();
    const { coordinator, lease, owner } = this.o.checkpoints;
    const value: SavedCheckpoint = { v: 2, seq, state, dedup, savedAt: Date.now() };
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
