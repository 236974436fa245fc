/**
 * Event-time tumbling windows, in the Flink split: an assigner maps an event time to its window,
 * a watermark tracker says how far event time has surely progressed, and the operator keeps one
 * accumulator per (key, window), emits updates while a window is open and a final value once the
 * watermark passes its end plus the allowed lateness.
 */

import { TumblingWindowAssigner, type WindowSpec } from './assigner.js';

/** How inputs fold into a window's state. */
export interface Aggregator<I, A, R> {
  create(): A;
  add(acc: A, input: I): void;
  result(acc: A): R;
  snapshot(acc: A): unknown;
  restore(state: unknown): A;
}

export interface WindowEmission<R> {
  key: string;
  window: string;
  start: number;
  end: number;
  value: R;
  /** True once: the window will not change again. */
  final: boolean;
}

export interface WindowOperatorOptions<I, A, R> {
  spec: WindowSpec;
  allowedLatenessMs: number;
  aggregator: Aggregator<I, A, R>;
}

interface OpenWindow<A> {
  key: string;
  start: number;
  acc: A;
  dirty: boolean;
}

export class WindowOperator<I, A, R> {
  private readonly assigner: TumblingWindowAssigner;
  /**
   * Open windows by start, then key: no key string is built per input (an event adds to several
   * windows), and the keys given (brand names and the like) are mostly the same string objects.
   */
  private readonly open = new Map<number, Map<string, OpenWindow<A>>>();
  private count = 0;

  constructor(private readonly options: WindowOperatorOptions<I, A, R>) {
    this.assigner = new TumblingWindowAssigner(options.spec.sizeMs);
  }

  get spec(): WindowSpec {
    return this.options.spec;
  }

  /** True when the event's window is already final at this watermark. */
  isLate(ts: number, watermark: number): boolean {
    const end = this.assigner.assign(ts) + this.options.spec.sizeMs;
    return end + this.options.allowedLatenessMs <= watermark;
  }

  /** Folds the input into its window for `key`. Returns false (and changes nothing) if it is late. */
  add(key: string, ts: number, input: I, watermark: number): boolean {
    const start = this.assigner.assign(ts);
    if (start + this.options.spec.sizeMs + this.options.allowedLatenessMs <= watermark) return false;
    let byKey = this.open.get(start);
    if (!byKey) this.open.set(start, (byKey = new Map()));
    let w = byKey.get(key);
    if (!w) {
      w = { key, start, acc: this.options.aggregator.create(), dirty: false };
      byKey.set(key, w);
      this.count++;
    }
    this.options.aggregator.add(w.acc, input);
    w.dirty = true;
    return true;
  }

  /**
   * Updates for windows that changed since the last call, and final values for windows the
   * watermark has closed (whose state is then dropped). Ordered by window start, then key.
   */
  emit(watermark: number): WindowEmission<R>[] {
    const { spec, allowedLatenessMs, aggregator } = this.options;
    const out: WindowEmission<R>[] = [];
    for (const [start, byKey] of this.open) {
      const end = start + spec.sizeMs;
      const final = end + allowedLatenessMs <= watermark;
      for (const w of byKey.values()) {
        if (!final && !w.dirty) continue;
        out.push({ key: w.key, window: spec.name, start, end, value: aggregator.result(w.acc), final });
        w.dirty = false;
      }
      if (final) {
        this.count -= byKey.size;
        this.open.delete(start);
      }
    }
    return out.sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  get openWindows(): number {
    return this.count;
  }

  snapshot(): unknown {
    const out: { key: string; start: number; dirty: boolean; acc: unknown }[] = [];
    for (const byKey of this.open.values())
      for (const w of byKey.values())
        out.push({
          key: w.key,
          start: w.start,
          dirty: w.dirty,
          acc: this.options.aggregator.snapshot(w.acc),
        });
    return out;
  }

  /**
   * Restores a snapshot taken by an operator whose windows were `sizeMs` long, and returns how many
   * open windows it dropped. A window of another size cannot go on in this operator: its counts
   * span another stretch of time than the window it would be written as (a restart with another
   * window size), so every window of the snapshot is dropped when `sizeMs` differs from this
   * operator's. Splitting or merging them is not exact either: a window's events are not kept, and
   * the closed windows a merge would need are gone. `sizeMs` undefined: the snapshot predates
   * recorded sizes, and is taken to be of this operator's size (the usual restart keeps its
   * settings, and dropping the state would lose the open windows' counts on every upgrade), except
   * windows whose start is not on this size's grid, which cannot be of it and are dropped.
   */
  restoreSized(state: unknown, sizeMs: number | undefined): number {
    const windows = (state ?? []) as { start: number }[];
    const size = this.options.spec.sizeMs;
    const kept =
      sizeMs === undefined ? windows.filter((w) => w.start % size === 0) : sizeMs === size ? windows : [];
    this.restore(kept);
    return windows.length - kept.length;
  }

  restore(state: unknown): void {
    this.open.clear();
    this.count = 0;
    for (const w of state as { key: string; start: number; dirty: boolean; acc: unknown }[]) {
      let byKey = this.open.get(w.start);
      if (!byKey) this.open.set(w.start, (byKey = new Map()));
      if (!byKey.has(w.key)) this.count++;
      byKey.set(w.key, {
        key: w.key,
        start: w.start,
        dirty: w.dirty,
        acc: this.options.aggregator.restore(w.acc),
      });
    }
  }
}
