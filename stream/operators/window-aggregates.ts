import type { EnrichedEvent } from '../model/events.js';
import { WINDOW_TABLE, type WindowRow } from '../store/store.js';
import { Subjects } from '../bus/topology.js';
import { WindowOperator, type WindowEmission } from '../windows/index.js';
import { brandAggregator, type BrandCounts } from './brand-counts.js';
import type { Operator, OperatorContext, OperatorDefinition, OperatorOutput } from './operator.js';

type BrandWindows = WindowOperator<EnrichedEvent, ReturnType<typeof brandAggregator.create>, BrandCounts>;

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

/**
 * Per-brand counts in every configured window size (tumbling, event time): the rows of the
 * history API and the live `brand:<id>` channels.
 */
export class WindowAggregates implements Operator {
  readonly name = 'windows';
  private readonly operators: BrandWindows[];

  constructor(private readonly context: OperatorContext) {
    this.operators = context.windows.map(
      (spec) =>
        new WindowOperator({
          spec,
          allowedLatenessMs: context.allowedLatenessMs,
          aggregator: brandAggregator,
        }),
    );
  }

  fold(event: EnrichedEvent, watermark: number): string[] | void {
    if (event.brands.length === 0) return;
    let lateFor: string[] | undefined;
    for (const op of this.operators) {
      if (op.isLate(event.ts, watermark)) {
        (lateFor ??= []).push(op.spec.name);
        continue;
      }
      for (const brand of event.brands) op.add(brand, event.ts, event, watermark);
    }
    return lateFor;
  }

  /** The window emissions themselves (tests and the no-bus benchmark read them). */
  emissions(watermark: number): WindowEmission<BrandCounts>[] {
    return this.operators.flatMap((op) => op.emit(watermark));
  }

  emit(watermark: number, version: number): OperatorOutput {
    const rows = this.emissions(watermark).map((e) => toRow(e, this.context.partition, version));
    if (rows.length === 0) return { writes: [], live: [] };
    return {
      writes: [{ table: WINDOW_TABLE, rows }],
      live: [{ subject: Subjects.liveWindows(this.context.partition), data: rows }],
    };
  }

  get size(): number {
    return this.operators.reduce((n, op) => n + op.openWindows, 0);
  }

  /** State by window name, so a restart with other window sizes keeps the ones it still has. */
  snapshot(): unknown {
    return Object.fromEntries(this.operators.map((op) => [op.spec.name, op.snapshot()]));
  }

  restore(state: unknown): void {
    const s = (state ?? {}) as Record<string, unknown>;
    for (const op of this.operators) op.restore(s[op.spec.name] ?? []);
  }
}

export const windowAggregates: OperatorDefinition = {
  name: 'windows',
  description:
    'per-brand counts, sentiment and engagement in every window size (the history API and live channels)',
  // Its table, window_aggregates (WINDOW_TABLE), has a layout of its own: migration 1.
  tables: [],
  create: (context) => new WindowAggregates(context),
};
