import { analyticsLate, analyticsWindows } from '../analytics/windowed.js';
import type { EnrichedEvent } from '../model/events.js';
import type { Aggregator, WindowOperator } from '../windows/index.js';
import { analyticsSettings, type OperatorContext } from './operator.js';

/**
 * The common part of an analysis kept as one analytics window per key (share of voice,
 * influencers, and the windows of trends): the windows themselves, what each brand of an event
 * adds to them, and their size, snapshot and restore. The subclass folds and emits.
 */
export abstract class WindowedAnalysis<I, A, R> {
  /** The analytics window (ms). */
  protected readonly windowMs: number;
  protected readonly windows: WindowOperator<I, A, R>;
  /** What `fold` returns for an event too late for the analytics window. */
  protected readonly lateFor: readonly string[];

  constructor(
    protected readonly context: OperatorContext,
    aggregator: Aggregator<I, A, R>,
  ) {
    this.windowMs = analyticsSettings(context).windowMs;
    this.windows = analyticsWindows(this.windowMs, context.allowedLatenessMs, aggregator);
    this.lateFor = analyticsLate(this.windowMs);
  }

  /**
   * Adds `input` to the window of each of the event's brands; returns `lateFor` when the window was
   * already closed (the host counts and dead-letters the event: it is not dropped silently).
   */
  protected addPerBrand(event: EnrichedEvent, input: I, watermark: number): readonly string[] | void {
    let late = false;
    for (const brand of event.brands) if (!this.windows.add(brand, event.ts, input, watermark)) late = true;
    if (late) return this.lateFor;
  }

  /** Open windows held. */
  get size(): number {
    return this.windows.openWindows;
  }

  snapshot(): unknown {
    return this.windows.snapshot();
  }

  restore(state: unknown): void {
    this.windows.restore(state ?? []);
  }
}
