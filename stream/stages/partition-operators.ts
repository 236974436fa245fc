import type { EnrichedEvent, FeedbackEvent } from '../model/events.js';
import type {
  DurableMessage,
  KeyedFeedback,
  LiveUpdate,
  Operator,
  OperatorContext,
  OperatorDefinition,
  TableWrite,
} from '../operators/operator.js';
import { NO_OUTPUT, type OperatorOutput } from '../operators/operator.js';
import { WatermarkTracker } from '../windows/index.js';

/** The operators' outputs as one: writes grouped by table, the rest in operator order. */
function collect(outputs: readonly OperatorOutput[]): PartitionOutput {
  const writes: TableWrite[] = [];
  const live: LiveUpdate[] = [];
  const publish: DurableMessage[] = [];
  const feedback: KeyedFeedback[] = [];
  for (const out of outputs) {
    for (const w of out.writes) {
      if (w.rows.length === 0) continue;
      const same = writes.find((x) => x.table.name === w.table.name);
      if (same) same.rows = [...same.rows, ...w.rows];
      else writes.push({ table: w.table, rows: w.rows });
    }
    live.push(...out.live);
    if (out.publish) publish.push(...out.publish);
    if (out.feedback) feedback.push(...out.feedback);
  }
  return { writes, live, publish, feedback };
}

export interface PartitionOperatorsOptions extends OperatorContext {
  outOfOrdernessMs: number;
  operators: readonly OperatorDefinition[];
}

/** What one batch's emit gave: writes grouped by table, live updates in operator order. */
export interface PartitionOutput {
  writes: TableWrite[];
  live: LiveUpdate[];
  publish: DurableMessage[];
  /** Keyed feedback for the arm statistics, in operator order (see OperatorOutput.feedback). */
  feedback: KeyedFeedback[];
}

/** The operators' states and the watermark, as the checkpoint holds them. */
export interface OperatorsSnapshot {
  watermark: { maxTs: number | null; explicit: number | null };
  operators: Record<string, unknown>;
}

/**
 * The state of stage 2 for one partition, without any I/O: the event-time watermark and the
 * enabled operators. Tests drive it with explicit watermarks; the stage-2 processor drives it from
 * the bus and owns its writes and checkpoints.
 *
 * Two inputs: social events (`fold`/`emit`, which move the watermark) and campaign feedback
 * (`foldFeedback`/`emitFeedback`, for the operators that read it). Feedback never moves the
 * watermark: the inputs interleave in no set order, and each operator's state must depend only on
 * each input's own order for results to be exact after a replay.
 */
export class PartitionOperators {
  readonly watermark: WatermarkTracker;
  readonly operators: readonly Operator[];
  /** The operators that read feedback (have foldFeedback), in registry order. */
  private readonly feedbackOperators: readonly Operator[];

  constructor(readonly options: PartitionOperatorsOptions) {
    this.watermark = new WatermarkTracker(options.outOfOrdernessMs);
    this.operators = options.operators.map((d) => {
      const op = d.create(options);
      if (op.name !== d.name) throw new Error(`operator ${d.name} made an operator named ${op.name}`);
      return op;
    });
    this.feedbackOperators = this.operators.filter((op) => op.foldFeedback !== undefined);
  }

  /** True when an enabled operator reads the feedback input. */
  get readsFeedback(): boolean {
    return this.feedbackOperators.length > 0;
  }

  /** Folds one event into every operator; returns the windows it came too late for (none: []). */
  fold(event: EnrichedEvent): readonly string[] {
    const wm = this.watermark.current;
    let lateFor: string[] | undefined;
    for (const op of this.operators) {
      const late = op.fold(event, wm);
      // several analyses share the analytics window: each window is named once
      if (late) for (const w of late) if (!(lateFor ??= []).includes(w)) lateFor.push(w);
    }
    this.watermark.observe(event.ts);
    // A post that names no tracked brand is in no brand's numbers (the windows leave it out), so
    // it is not reported late either: public timelines bring many, and the dead letters would fill
    // up with posts no one asked about.
    return lateFor && event.brands.length > 0 ? lateFor : [];
  }

  /** Every operator's rows and live updates since the last call, versioned with `version`. */
  emit(version: number): PartitionOutput {
    const wm = this.watermark.current;
    return collect(this.operators.map((op) => op.emit(wm, version)));
  }

  /**
   * Folds one feedback event into every operator that reads feedback; returns the windows it came
   * too late for (none: []). `key` is its idempotency key. The watermark does not move.
   */
  foldFeedback(event: FeedbackEvent, key: string): readonly string[] {
    let lateFor: string[] | undefined;
    for (const op of this.feedbackOperators) {
      const late = op.foldFeedback!(event, key);
      if (late && late.length > 0) (lateFor ??= []).push(...late);
    }
    return lateFor ?? [];
  }

  /** The feedback readers' output since their last call; `version`: the feedback input's sequence. */
  emitFeedback(version: number): PartitionOutput {
    return collect(this.feedbackOperators.map((op) => op.emitFeedback?.(version) ?? NO_OUTPUT));
  }

  /** The operator of this name, if enabled. */
  get<T extends Operator>(name: string): T | undefined {
    return this.operators.find((op) => op.name === name) as T | undefined;
  }

  snapshot(): OperatorsSnapshot {
    return {
      watermark: this.watermark.snapshot(),
      operators: Object.fromEntries(this.operators.map((op) => [op.name, op.snapshot()])),
    };
  }

  /**
   * An operator missing from the snapshot (switched on since) starts empty; one no longer enabled is
   * dropped. Returns, per operator that dropped any, the open windows of another size it left out
   * (a restart with another window setting; see Operator.droppedAtRestore).
   */
  restore(state: OperatorsSnapshot): Record<string, number> {
    this.watermark.restore(state.watermark);
    const dropped: Record<string, number> = {};
    for (const op of this.operators) {
      op.restore(state.operators[op.name]);
      if (op.droppedAtRestore) dropped[op.name] = op.droppedAtRestore;
    }
    return dropped;
  }
}
