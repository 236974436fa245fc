import { performance } from 'node:perf_hooks';
import type { SentimentScorer } from '../../engines/sentiment/index.js';
import type { BrandMatcher } from '../../engines/text/index.js';
import { decodeJson, encodeJson, type Bus, type BusMessage } from '../bus/bus.js';
import { startPartitionLoop, type ConsumerLoop } from '../bus/consumer-loop.js';
import type { DeadLetters } from '../bus/dead-letter.js';
import { Subjects } from '../bus/topology.js';
import type { Instrumentation } from '../instrumentation.js';
import { splitLines } from '../model/event-batch.js';
import {
  decodeSocialLine,
  eventKey,
  feedbackKey,
  RECEIVED_TS_HEADER,
  validateFeedbackEvent,
  type EnrichedEvent,
  type FeedbackEvent,
  type SocialEvent,
} from '../model/events.js';
import type { KeyedFeedback, OperatorContext, OperatorDefinition } from '../operators/operator.js';
import { OPERATORS } from '../operators/registry.js';
import { WINDOW_TABLE, type Store } from '../store/store.js';
import type { TableSpec } from '../store/table.js';
import type { WindowSpec } from '../windows/index.js';
import { Restarts, saveCheckpoint, type CheckpointSettings } from './checkpoint.js';
import { DedupIndex, type DedupSnapshot } from './dedup.js';
import { EnrichedTally, enrichInPlace } from './enrich.js';
import { PartitionOperators, type OperatorsSnapshot, type PartitionOutput } from './partition-operators.js';

export interface WindowSettings {
  windows: WindowSpec[];
  outOfOrdernessMs: number;
  allowedLatenessMs: number;
}

/** What stage 2 reads: raw events, enriched in the same process (fused), or stage 1's output. */
export type Stage2Input =
  { kind: 'events'; matcher: BrandMatcher; scorer: SentimentScorer } | { kind: 'enriched' };

export interface Stage2Options {
  bus: Bus;
  store: Store;
  partition: number;
  settings: WindowSettings;
  /** The analyses to run, in order; default: every registered one (operators/registry.ts). */
  operators?: readonly OperatorDefinition[];
  /**
   * What some operators need beside the windows: the spike window, the brands (with aliases and
   * handles), the campaign window and the analytics settings.
   */
  operatorContext?: Pick<OperatorContext, 'spikeWindowMs' | 'brands' | 'campaignWindowMs' | 'analytics'>;
  input: Stage2Input;
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
  /**
   * Applies the campaign feedback of a feedback batch (the `campaigns` operator's KeyedFeedback) to
   * the arm statistics. Called after the batch's rows are written and before the checkpoint, with
   * every valid feedback event of the batch (none: not called). A replay after a crash calls it again
   * with the same keys for the part read again, so its effects must be idempotent by `key`.
   */
  onFeedback?: (items: readonly KeyedFeedback[]) => Promise<void>;
}

interface SavedCheckpoint {
  /** 1: before de-duplication moved into stage 2 (no `dedup`); 2: window state only; 3: operators. */
  v: 1 | 2 | 3;
  /** Every message up to this stream sequence is folded into `state`. */
  seq: number;
  /**
   * v3, when an operator reads feedback: every feedback message up to this FEEDBACK stream sequence
   * is folded into `state` too. Missing (older checkpoints): feedback is read from the start.
   */
  fseq?: number;
  /** v3: OperatorsSnapshot. v1 and v2: the window state `{ watermark, operators: [one per window] }`. */
  state: unknown;
  /** Where the de-duplication index's live generations start; their keys are read again from the input. */
  dedup?: DedupSnapshot;
  savedAt: number;
}

/** The operators' snapshot of any checkpoint version (v1/v2 held the window aggregates only). */
function operatorsState(cp: SavedCheckpoint, windows: readonly WindowSpec[]): OperatorsSnapshot {
  if (cp.v === 3) return cp.state as OperatorsSnapshot;
  const old = cp.state as { watermark: OperatorsSnapshot['watermark']; operators: unknown[] };
  const byName = Object.fromEntries(windows.map((w, i) => [w.name, old.operators[i] ?? []]));
  return { watermark: old.watermark, operators: { windows: byName } };
}

/**
 * Stage 2 lets the event loop run after this many events of a batch, or this much time (ms),
 * whichever comes first. By time too: with the analyses on, an event can cost 50-200 µs (topic
 * models at full rate while catching up), and the partitions of a process each run a slice in one
 * turn of the loop, while lease renewals wait.
 */
const YIELD_EVERY_EVENTS = 2000;
const YIELD_AFTER_MS = 50;
/** Events between looks at the clock inside a message. */
const CLOCK_EVERY_EVENTS = 64;

/** One turn of the event loop (sockets, timers, the other partitions). */
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

/** The feedback loop's stage: its consumer (`aggregate-feedback-<partition>-<reader>`) and its batch metrics. */
const FEEDBACK_STAGE = 'aggregate-feedback';

/** What reading one batch gave, before the operators' output is written. */
interface BatchRead {
  events: number;
  lagMs: number[];
  letters: Promise<void>[];
  kept: EnrichedEvent[];
}

/**
 * Stage 2 of one partition: the host of the analyses (operators). It reads the partition's input,
 * drops repeats, enriches (when fused), folds every event into each operator, writes their rows to
 * the store and their live updates to the bus. Effectively exactly once: it owns its input
 * position and saves it together with every operator's state in one fenced checkpoint (after the
 * store has flushed); after a crash or a failed batch it restores the checkpoint and reads again
 * from the next sequence. Rows carry the input sequence as their version, so rewrites replace rows
 * instead of adding to them.
 */
export class Stage2Processor {
  state: PartitionOperators;
  dedup: DedupIndex;
  private readonly definitions: readonly OperatorDefinition[];
  /** After a restore: messages from here up to the checkpoint are read again only to refill `dedup`. */
  private replayFrom = Number.POSITIVE_INFINITY;
  private loop: ConsumerLoop | undefined;
  /** Reads the partition's campaign feedback, when an enabled operator reads it. */
  private feedbackLoop: ConsumerLoop | undefined;
  /** The two loops' batches run one at a time, in this chain, so the state never holds half a batch. */
  private batches: Promise<void> = Promise.resolve();
  /** A batch failed: the batches queued behind it do nothing until the restart has restored the checkpoint. */
  private failed = false;
  private lastSeq = 0;
  /** The store's write mark at the start or the last checkpoint: rows lost after it fail the next checkpoint. */
  private writeMark = 0;
  /** The FEEDBACK stream sequence of the last feedback message folded into the state. */
  private lastFeedbackSeq = 0;
  private sinceCheckpoint = 0;
  private lastCheckpointAt = 0;
  private checkpointedSeq = 0;
  private checkpointedFeedbackSeq = 0;
  private readonly restarts: Restarts;
  private stopped = false;

  constructor(private readonly o: Stage2Options) {
    this.definitions = o.operators ?? OPERATORS;
    this.state = this.freshState();
    this.dedup = new DedupIndex(o.dedupWindowMs ?? 120_000);
    this.restarts = new Restarts({
      stage: 'aggregate',
      partition: o.partition,
      instrumentation: o.instrumentation,
      stopLoop: () => this.stopLoops(),
      start: () => this.start(),
      stopped: () => this.stopped,
    });
  }

  private freshState(): PartitionOperators {
    const { settings, partition } = this.o;
    return new PartitionOperators({
      ...this.o.operatorContext,
      partition,
      windows: settings.windows,
      allowedLatenessMs: settings.allowedLatenessMs,
      outOfOrdernessMs: settings.outOfOrdernessMs,
      operators: this.definitions,
    });
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

  /** The feedback input position the last start restored (0: none, read from the beginning). */
  restoredFeedbackFrom = 0;

  async start(): Promise<void> {
    this.stopped = false;
    // rows written before this start that get lost are written again by the replay
    this.writeMark = this.o.store.writeMark();
    const saved = await this.o.checkpoints.coordinator.loadCheckpoint(this.checkpointKey);
    this.state = this.freshState();
    this.dedup = new DedupIndex(this.dedup.windowMs);
    this.lastSeq = 0;
    this.lastFeedbackSeq = 0;
    if (saved !== undefined) {
      const cp = JSON.parse(saved) as SavedCheckpoint;
      const dropped = this.state.restore(operatorsState(cp, this.o.settings.windows));
      for (const [operator, windows] of Object.entries(dropped))
        this.o.instrumentation.emit('windows.dropped', {
          stage: 'aggregate',
          partition: this.o.partition,
          operator,
          windows,
        });
      this.dedup.restore(cp.dedup);
      this.lastSeq = cp.seq;
      this.lastFeedbackSeq = cp.fseq ?? 0;
    }
    this.replayFrom = this.dedup.replayFrom ?? Number.POSITIVE_INFINITY;
    this.checkpointedSeq = this.lastSeq;
    this.checkpointedFeedbackSeq = this.lastFeedbackSeq;
    this.restoredFrom = this.lastSeq;
    this.restoredFeedbackFrom = this.lastFeedbackSeq;
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    this.batches = Promise.resolve();
    this.failed = false;
    const { input, partition } = this.o;
    this.loop = await startPartitionLoop({
      bus: this.o.bus,
      stream: input.kind === 'events' ? 'SOCIAL_EVENTS' : 'SOCIAL_ENRICHED',
      filterSubject: input.kind === 'events' ? Subjects.events(partition) : Subjects.enriched(partition),
      stage: 'aggregate',
      partition,
      ackPolicy: 'none',
      reader: this.o.checkpoints.owner,
      startSeq: Math.min(this.replayFrom, this.lastSeq + 1),
      batchSize: this.o.batchSize ?? 1000,
      handle: (batch) => this.serialized(() => this.handle(batch)),
      instrumentation: this.o.instrumentation,
      onFatal: () => this.restarts.request(),
    });
    // No operator reads feedback: no second loop, the social path is as it was.
    if (!this.state.readsFeedback) return;
    try {
      this.feedbackLoop = await startPartitionLoop({
        bus: this.o.bus,
        stream: 'FEEDBACK',
        filterSubject: Subjects.feedback(partition),
        stage: FEEDBACK_STAGE,
        partition,
        ackPolicy: 'none',
        reader: this.o.checkpoints.owner,
        startSeq: this.lastFeedbackSeq + 1,
        batchSize: this.o.batchSize ?? 1000,
        handle: (batch) => this.serialized(() => this.handleFeedback(batch)),
        instrumentation: this.o.instrumentation,
        onFatal: () => this.restarts.request(),
      });
    } catch (err) {
      await this.stopLoops();
      throw err;
    }
  }

  /** Stops both loops (each waits for its batch in progress). */
  private async stopLoops(): Promise<void> {
    const loops = [this.loop, this.feedbackLoop];
    this.loop = undefined;
    this.feedbackLoop = undefined;
    await Promise.all(loops.map((l) => l?.stop()));
  }

  /**
   * Runs the two loops' batches one after the other. After a failed batch, the batches queued
   * behind it are skipped: the restart that follows restores the last checkpoint and reads them again.
   */
  private serialized(batch: () => Promise<void>): Promise<void> {
    const run = this.batches.then(async () => {
      if (this.failed) return;
      try {
        await batch();
      } catch (err) {
        this.failed = true;
        throw err;
      }
    });
    this.batches = run.catch(() => undefined);
    return run;
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
    // The event was decoded from this batch's bytes: it is ours to fill in.
    const enriched = enrichInPlace(e, input.matcher, input.scorer);
    tally.add(enriched);
    return enriched;
  }

  /** A message the restored state already holds: its keys go back into the dedup index. Returns its lines. */
  private replayKeys(msg: BusMessage): number {
    const received = msg.headers[RECEIVED_TS_HEADER];
    const lines = splitLines(msg.data);
    for (const line of lines) {
      let e: SocialEvent | EnrichedEvent;
      try {
        e = this.parse(line, received);
      } catch {
        continue; // dead-lettered when it was first read
      }
      this.dedup.replay(msg.seq, eventKey(e));
    }
    return lines.length;
  }

  /** One batch: read and fold it, write what the operators emit, checkpoint when due. */
  private async handle(batch: BusMessage[]): Promise<void> {
    const read = await this.read(batch);
    const version = batch[batch.length - 1]!.seq;
    if (version <= this.lastSeq) return;
    this.lastSeq = version;
    await this.write(this.state.emit(version));
    await Promise.all(read.letters);
    if (read.kept.length > 0) await this.o.keepEnriched?.(read.kept);
    const { partition, instrumentation } = this.o;
    instrumentation.emit('batch.processed', {
      stage: 'aggregate',
      partition,
      size: read.events,
      lagMs: read.lagMs,
    });
    this.sinceCheckpoint += read.events;
    await this.checkpointIfDue();
  }

  /** Reads a batch: skips what the state holds, drops repeats, enriches, folds. */
  private async read(batch: BusMessage[]): Promise<BatchRead> {
    const { instrumentation, deadLetters } = this.o;
    const now = Date.now();
    const out: BatchRead = { events: 0, lagMs: [], letters: [], kept: [] };
    const tally = new EnrichedTally();
    let sinceYield = 0;
    let sliceStart = performance.now();
    const yieldNow = async () => {
      await yieldToLoop();
      sinceYield = 0;
      sliceStart = performance.now();
    };
    for (const msg of batch) {
      // Let sockets and timers in now and then: a batch from a backlog is many events.
      if (sinceYield >= YIELD_EVERY_EVENTS || performance.now() - sliceStart >= YIELD_AFTER_MS)
        await yieldNow();
      // After a restore, and when a replay starts inside a fetched batch: the state holds these.
      if (msg.seq <= this.lastSeq) {
        // Each line is decoded for its key: a catch-up's replay is many events too.
        if (msg.seq >= this.replayFrom) sinceYield += this.replayKeys(msg);
        continue;
      }
      this.dedup.advance(msg.seq, msg.timestamp);
      const received = msg.headers[RECEIVED_TS_HEADER];
      const lines = splitLines(msg.data);
      out.events += lines.length;
      sinceYield += lines.length;
      for (let i = 0; i < lines.length; i++) {
        if (
          i % CLOCK_EVERY_EVENTS === CLOCK_EVERY_EVENTS - 1 &&
          performance.now() - sliceStart >= YIELD_AFTER_MS
        )
          await yieldNow();
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
          out.letters.push(handled(deadLetters.undecodable('aggregate', msg, i, line, err)));
          continue;
        }
        out.lagMs.push(now - event.received_ts);
        if (this.o.keepEnriched) out.kept.push(event);
        const lateFor = this.state.fold(event);
        if (lateFor.length > 0) out.letters.push(handled(this.late(event.source, event.id, lateFor, line)));
      }
    }
    tally.report(instrumentation);
    return out;
  }

  /**
   * An event too late for some windows: counted per window, dead-lettered once (a replay adds
   * none). `id` identifies it within its source (feedback: its idempotency key).
   */
  private late(source: string, id: string, lateFor: readonly string[], line: Uint8Array): Promise<void> {
    for (const window of lateFor) this.o.instrumentation.emit('event.late', { source, window });
    return this.o.deadLetters.send(
      'aggregate',
      'late_event',
      `late for window ${lateFor.join(', ')}`,
      line,
      source,
      `late:${source}:${id}`,
    );
  }

  /**
   * One feedback batch: folds each valid line (a message holds one FeedbackEvent or several as
   * NDJSON) with its idempotency key, writes what the feedback readers emit, hands their keyed
   * feedback to `onFeedback`, and checkpoints when due. Lines that do not decode or validate are
   * dead-lettered; feedback too late for the windows is counted and dead-lettered.
   */
  private async handleFeedback(batch: BusMessage[]): Promise<void> {
    const version = batch[batch.length - 1]!.seq;
    if (version <= this.lastFeedbackSeq) return;
    const { partition, instrumentation, deadLetters } = this.o;
    const now = Date.now();
    const letters: Promise<void>[] = [];
    const lagMs: number[] = [];
    let events = 0;
    for (const msg of batch) {
      if (msg.seq <= this.lastFeedbackSeq) continue;
      const lines = splitLines(msg.data);
      events += lines.length;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        let event: FeedbackEvent;
        try {
          const v = validateFeedbackEvent(decodeJson<unknown>(line));
          if (!v.ok) throw new Error(`${v.reason}: ${v.detail}`);
          event = v.value;
        } catch (err) {
          letters.push(handled(deadLetters.undecodable('aggregate', msg, i, line, err)));
          continue;
        }
        // By decision id and kind, else by the client's id, else by position (the same on a replay).
        const key = feedbackKey(event) ?? `fb:${partition}:${msg.seq}:${i}`;
        lagMs.push(now - msg.timestamp);
        const lateFor = this.state.foldFeedback(event, key);
        if (lateFor.length > 0) letters.push(handled(this.late('feedback', key, lateFor, line)));
      }
    }
    this.lastFeedbackSeq = version;
    const output = this.state.emitFeedback(version);
    await this.write(output);
    await Promise.all(letters);
    if (output.feedback.length > 0) await this.o.onFeedback?.(output.feedback);
    instrumentation.emit('batch.processed', { stage: FEEDBACK_STAGE, partition, size: events, lagMs });
    this.sinceCheckpoint += events;
    await this.checkpointIfDue();
  }

  /** Checkpoints once enough events (of both inputs) or enough time went by since the last one. */
  private async checkpointIfDue(): Promise<void> {
    const { everyEvents, everyMs } = this.o.checkpoints;
    if (this.sinceCheckpoint >= everyEvents || Date.now() - this.lastCheckpointAt >= everyMs)
      await this.checkpoint();
  }

  /** The operators' rows to the store, their durable messages and live updates to the bus. */
  private async write(output: PartitionOutput): Promise<void> {
    const { store, bus, instrumentation } = this.o;
    // In order, before the checkpoint: a later stage reads them exactly as they were emitted.
    for (const m of output.publish) await bus.publish(m.subject, encodeJson(m.data), { msgId: m.msgId });
    // A write pairs a table with its own rows (the operator built both); the spec's row type is erased here.
    await Promise.all(
      output.writes.map((w) => store.write(w.table as TableSpec<{ version: number }>, w.rows)),
    );
    for (const u of output.live) bus.notify(u.subject, encodeJson(u.data));
    for (const w of output.writes) {
      if (w.table.name !== WINDOW_TABLE.name) continue;
      for (const r of w.rows as unknown as readonly { window: string; final: boolean }[])
        instrumentation.emit('window.emitted', { window: r.window, final: r.final });
    }
  }

  /** Flushes the store, then saves state and position together; throws LeaseLostError if fenced off. */
  async checkpoint(): Promise<void> {
    const seq = this.lastSeq;
    const fseq = this.lastFeedbackSeq;
    const state = this.state.snapshot();
    const dedup = this.dedup.snapshot();
    const value: SavedCheckpoint = {
      v: 3,
      seq,
      ...(this.state.readsFeedback && { fseq }),
      state,
      dedup,
      savedAt: Date.now(),
    };
    this.writeMark = await saveCheckpoint(
      this.o.store,
      this.o.checkpoints,
      this.checkpointKey,
      value,
      this.writeMark,
    );
    this.checkpointedSeq = seq;
    this.checkpointedFeedbackSeq = fseq;
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    this.o.instrumentation.emit('checkpoint.saved', { stage: 'aggregate', partition: this.o.partition, seq });
  }

  /** Messages in the partition's inputs (social and, when read, feedback) not read yet. */
  async pending(): Promise<number> {
    const [social, feedback] = await Promise.all(
      [this.loop, this.feedbackLoop].map(async (l) => (l ? (await l.info()).numPending : 0)),
    );
    return social! + feedback!;
  }

  /**
   * Stops reading. With `checkpoint`, saves a last checkpoint first (a clean hand-over); without,
   * the next owner replays from the last saved one.
   */
  async stop(options: { checkpoint: boolean } = { checkpoint: true }): Promise<void> {
    this.stopped = true;
    await this.restarts.settled();
    await this.stopLoops();
    if (
      options.checkpoint &&
      !this.failed &&
      (this.lastSeq > this.checkpointedSeq || this.lastFeedbackSeq > this.checkpointedFeedbackSeq)
    )
      await this.checkpoint();
  }
}

export { LeaseLostError, type CheckpointSettings } from './checkpoint.js';

/**
 * A dead letter's publish, marked handled at once: the batch awaits it only after its writes, and
 * a publish that fails meanwhile (the bus reconnecting) must fail the batch (which restarts from
 * the checkpoint), not end the process as an unhandled rejection.
 */
function handled(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}
