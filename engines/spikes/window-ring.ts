/** One window as the ring keeps it: what came, what the baseline expected, and which kinds it was alerted for. */
export interface RingWindow {
  start: number;
  posts: number;
  negative: number;
  /** Expected posts (the baseline's forecast for the window before it was seen). */
  expected: number;
  /** The baseline negative share then. */
  share: number;
  /** Bit per kind (index in SPIKE_KINDS): the window belongs to an alert of that kind. */
  mask: number;
  /**
   * The counts capped at what a spike window would hold (the threshold's band around the
   * forecast): longer spans sum these, so one burst window, which the single window judges, cannot
   * carry a whole span.
   */
  postsCap: number;
  negativeCap: number;
  /** Negative posts capped around what the baseline share expects of the posts that came. */
  negativeOfPostsCap: number;
}

/** Sums over the last windows of a span; a masked window counts as its baseline (no excess). */
export interface SpanSums {
  windows: number;
  posts: number;
  negative: number;
  expectedPosts: number;
  expectedNegative: number;
  /** Negative posts the baseline share expects of the posts that came. */
  expectedNegativeOfPosts: number;
}

/**
 * The last windows of a brand, newest last, in a fixed-size ring: the longest span scored. Spans
 * are summed by walking back from the newest window, so an alert can mask windows after the fact
 * (the windows of its confirmation) and no running sum needs repairing.
 */
export class WindowRing {
  private readonly items: (RingWindow | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<RingWindow | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(w: RingWindow): void {
    this.items[this.head] = w;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The i-th newest window (0: the newest). */
  at(i: number): RingWindow | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.head - 1 - i + this.capacity * 2) % this.capacity];
  }

  /**
   * Sums of the last `span` windows for the kind `bit`; `masked`: windows of the kind's alerts count
   * as their baseline (no excess). A span longer than one window sums the capped counts.
   */
  sums(span: number, bit: number, masked: boolean): SpanSums {
    const capped = span > 1;
    const s: SpanSums = {
      windows: 0,
      posts: 0,
      negative: 0,
      expectedPosts: 0,
      expectedNegative: 0,
      expectedNegativeOfPosts: 0,
    };
    const n = Math.min(span, this.count);
    for (let i = 0; i < n; i++) {
      const w = this.at(i)!;
      const baseline = masked && (w.mask & bit) !== 0;
      s.windows++;
      s.expectedPosts += w.expected;
      s.expectedNegative += w.expected * w.share;
      s.expectedNegativeOfPosts += w.posts * w.share;
      if (baseline && bit === VOLUME_BIT) s.posts += w.expected;
      else s.posts += capped && bit === VOLUME_BIT ? w.postsCap : w.posts;
      if (baseline && bit === COUNT_BIT) s.negative += w.expected * w.share;
      else if (baseline && bit === SHARE_BIT) s.negative += w.posts * w.share;
      else if (!capped) s.negative += w.negative;
      else s.negative += bit === SHARE_BIT ? w.negativeOfPostsCap : w.negativeCap;
    }
    return s;
  }

  /** Marks the windows since `from` (start, inclusive) as belonging to an alert of the kind `bit`. */
  mark(bit: number, from: number): void {
    for (let i = 0; i < this.count; i++) {
      const w = this.at(i)!;
      if (w.start < from) break;
      w.mask |= bit;
    }
  }

  /** Oldest first. */
  toArray(): RingWindow[] {
    const out: RingWindow[] = [];
    for (let i = this.count - 1; i >= 0; i--) out.push({ ...this.at(i)! });
    return out;
  }

  restore(windows: readonly RingWindow[]): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
    for (const w of windows.slice(-this.capacity)) this.push({ ...w });
  }
}

/** Mask bits, by SPIKE_KINDS order: negative_share, negative_count, volume. */
export const SHARE_BIT = 1;
export const COUNT_BIT = 2;
export const VOLUME_BIT = 4;
