/**
 * Where each good row of a file is, in typed arrays (24 bytes a row, no objects), so a file of
 * millions of rows can be put in event-time order without holding its events in memory.
 */
export class EventIndex {
  private capacity: number;
  count = 0;
  ts: Float64Array;
  offset: Float64Array;
  length: Uint32Array;
  line: Uint32Array;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.ts = new Float64Array(capacity);
    this.offset = new Float64Array(capacity);
    this.length = new Uint32Array(capacity);
    this.line = new Uint32Array(capacity);
  }

  push(ts: number, offset: number, length: number, line: number): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.ts[i] = ts;
    this.offset[i] = offset;
    this.length[i] = length;
    this.line[i] = line;
  }

  /** Row indexes in event-time order; rows with the same time keep their file order. */
  order(): Uint32Array {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const ts = this.ts;
    return order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  }

  private grow(): void {
    this.capacity *= 2;
    const ts = new Float64Array(this.capacity);
    const offset = new Float64Array(this.capacity);
    const length = new Uint32Array(this.capacity);
    const line = new Uint32Array(this.capacity);
    ts.set(this.ts);
    offset.set(this.offset);
    length.set(this.length);
    line.set(this.line);
    this.ts = ts;
    this.offset = offset;
    this.length = length;
    this.line = line;
  }
}
