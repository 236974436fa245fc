import { analyticsLate, analyticsWindows } from '../analytics/windowed.js';
import type { EnrichedEvent } from '../model/events.js';
import type { Aggregator, WindowOperator } from '../windows/index.js';
import { analyticsSettings, type OperatorContext } from './operator.js';

/** A snapshot's open windows with the size they were counted in (absent: from before sizes were recorded). */
interface SizedWindows {
  windowMs?: number;
  windows: unknown[];
}

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

  /** Open windows of another size the last restore dropped (see WindowOperator.restoreSized). */
  droppedAtRestore = 0;

  /** The open windows with their size, so that a restart with another analytics window drops them. */
  snapshot(): unknown {
    return { windowMs: this.windowMs, windows: this.windows.snapshot() };
  }

  /** A bare list of windows is a snapshot from before sizes were recorded. */
  restore(state: unknown): void {
    const s = (state ?? []) as SizedWindows | unknown[];
    this.droppedAtRestore = Array.isArray(s)
      ? this.windows.restoreSized(s, undefined)
      : this.windows.restoreSized(s.windows, s.windowMs);
  }
}
