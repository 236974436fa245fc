import { decodeJson, encodeJson, type Bus, type BusMessage } from './bus.js';
import { brandAggregator, type BrandCounts } from './brand-aggregate.js';
import type { DeadLetters } from './dead-letter.js';
import type { EnrichedEvent } from './events.js';
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

export interface AggregateOptions {
  bus: Bus;
  store: Store;
  partition: number;
  settings: WindowSettings;
  deadLetters: DeadLetters;
  instrumentation: Instrumentation;
  batchSize?: number;
}

/** Stage 2: per-brand window aggregates of one partition, written to the store and the live subject. */
export class AggregateProcessor {
  readonly windows: PartitionWindows;
  private loop: ConsumerLoop | undefined;

  constructor(private readonly o: AggregateOptions) {
    this.windows = new PartitionWindows(o.settings);
  }

  async start(): Promise<void> {
    this.loop = await startPartitionLoop({
      bus: this.o.bus,
      stream: 'SOCIAL_ENRICHED',
      filterSubject: Subjects.enriched(this.o.partition),
      stage: 'aggregate',
      partition: this.o.partition,
      batchSize: this.o.batchSize ?? 1000,
      handle: (batch) => this.handle(batch),
      instrumentation: this.o.instrumentation,
    });
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const { partition, instrumentation, deadLetters } = this.o;
    const now = Date.now();
    const lagMs: number[] = [];
    const letters: Promise<void>[] = [];
    for (const msg of batch) {
      let event: EnrichedEvent;
      try {
        event = decodeJson<EnrichedEvent>(msg.data);
      } catch (err) {
        letters.push(deadLetters.send('aggregate', 'undecodable', String(err), msg.data));
        continue;
      }
      lagMs.push(now - event.received_ts);
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
          ),
        );
      }
    }
    const version = batch[batch.length - 1]!.seq;
    const rows = this.windows.emit().map((e) => toRow(e, partition, version));
    if (rows.length > 0) {
      await this.o.store.upsert(rows);
      this.o.bus.notify(Subjects.liveWindows(partition), encodeJson(rows));
      for (const r of rows) instrumentation.emit('window.emitted', { window: r.window, final: r.final });
    }
    await Promise.all(letters);
    for (const msg of batch) msg.ack();
    instrumentation.emit('batch.processed', { stage: 'aggregate', partition, size: batch.length, lagMs });
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
