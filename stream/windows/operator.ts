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
  private readonly open = new Map<string, OpenWindow<A>>();

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
    if (this.isLate(ts, watermark)) return false;
    const start = this.assigner.assign(ts);
    const id = `${start}\u0000${key}`;
    let w = this.open.get(id);
    if (!w) {
      w = { key, start, acc: this.options.aggregator.create(), dirty: false };
      this.open.set(id, w);
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
    for (const [id, w] of this.open) {
      const end = w.start + spec.sizeMs;
      const final = end + allowedLatenessMs <= watermark;
      if (!final && !w.dirty) continue;
      out.push({
        key: w.key,
        window: spec.name,
        start: w.start,
        end,
        value: aggregator.result(w.acc),
        final,
      });
      w.dirty = false;
      if (final) this.open.delete(id);
    }
    return out.sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  get openWindows(): number {
    return this.open.size;
  }

  snapshot(): unknown {
    return [...this.open.values()].map((w) => ({
      key: w.key,
      start: w.start,
      dirty: w.dirty,
      acc: this.options.aggregator.snapshot(w.acc),
    }));
  }

  restore(state: unknown): void {
    this.open.clear();
    for (const w of state as { key: string; start: number; dirty: boolean; acc: unknown }[]) {
      this.open.set(`${w.start}\u0000${w.key}`, {
        key: w.key,
        start: w.start,
        dirty: w.dirty,
        acc: this.options.aggregator.restore(w.acc),
      });
    }
  }
}
