import type { EnrichedEvent } from '../model/events.js';
import type {
  DurableMessage,
  LiveUpdate,
  Operator,
  OperatorContext,
  OperatorDefinition,
  TableWrite,
} from '../operators/operator.js';
import { WatermarkTracker } from '../windows/index.js';

export interface PartitionOperatorsOptions extends OperatorContext {
  outOfOrdernessMs: number;
  operators: readonly OperatorDefinition[];
}

/** What one batch's emit gave: writes grouped by table, live updates in operator order. */
export interface PartitionOutput {
  writes: TableWrite[];
  live: LiveUpdate[];
  publish: DurableMessage[];
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
 */
export class PartitionOperators {
  readonly watermark: WatermarkTracker;
  readonly operators: readonly Operator[];

  constructor(readonly options: PartitionOperatorsOptions) {
    this.watermark = new WatermarkTracker(options.outOfOrdernessMs);
    this.operators = options.operators.map((d) => {
      const op = d.create(options);
      if (op.name !== d.name) throw new Error(`operator ${d.name} made an operator named ${op.name}`);
      return op;
    });
  }

  /** Folds one event into every operator; returns the windows it came too late for (none: []). */
  fold(event: EnrichedEvent): readonly string[] {
    const wm = this.watermark.current;
    let lateFor: string[] | undefined;
    for (const op of this.operators) {
      const late = op.fold(event, wm);
      if (late && late.length > 0) (lateFor ??= []).push(...late);
    }
    this.watermark.observe(event.ts);
    return lateFor ?? [];
  }

  /** Every operator's rows and live updates since the last call, versioned with `version`. */
  emit(version: number): PartitionOutput {
    const wm = this.watermark.current;
    const writes: TableWrite[] = [];
    const live: LiveUpdate[] = [];
    const publish: DurableMessage[] = [];
    for (const op of this.operators) {
      const out = op.emit(wm, version);
      for (const w of out.writes) {
        if (w.rows.length === 0) continue;
        const same = writes.find((x) => x.table.name === w.table.name);
        if (same) same.rows = [...same.rows, ...w.rows];
        else writes.push({ table: w.table, rows: w.rows });
      }
      live.push(...out.live);
      if (out.publish) publish.push(...out.publish);
    }
    return { writes, live, publish };
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

  /** An operator missing from the snapshot (switched on since) starts empty; one no longer enabled is dropped. */
  restore(state: OperatorsSnapshot): void {
    this.watermark.restore(state.watermark);
    for (const op of this.operators) op.restore(state.operators[op.name]);
  }
}
