import type { FileHandle } from 'node:fs/promises';
import type { EventIndex } from './event-index.js';
import { ReplayError } from './errors.js';

/** Rows read ahead at most, and their bytes at most (a row is at least read alone). */
const AHEAD_ROWS = 1024;
const AHEAD_BYTES = 8 << 20;
/** Rows further apart in the file than this (rejected or blank rows between) are read apart. */
const MAX_GAP = 64 << 10;

/**
 * Reads rows again in event-time order, by byte offset. It reads ahead: the next rows of the time
 * order that follow each other in the file (a sorted or nearly sorted file) are read as one
 * block, and separate blocks (an unsorted file) are read concurrently.
 */
export class RowReader {
  private readonly ahead = new Map<number, Buffer>();

  constructor(
    private readonly file: FileHandle,
    private readonly index: EventIndex,
    private readonly order: Uint32Array,
  ) {}

  /** The bytes of the row at position `k` of the time order. */
  async read(k: number): Promise<Buffer> {
    if (!this.ahead.has(k)) await this.readAhead(k);
    const row = this.ahead.get(k)!;
    this.ahead.delete(k);
    return row;
  }

  private async readAhead(from: number): Promise<void> {
    const { offset, length } = this.index;
    const blocks: { start: number; end: number; rows: number[] }[] = [];
    let bytes = 0;
    for (let k = from; k < this.order.length && k - from < AHEAD_ROWS; k++) {
      const i = this.order[k]!;
      const start = offset[i]!;
      const end = start + length[i]!;
      if (k > from && bytes + length[i]! > AHEAD_BYTES) break;
      bytes += length[i]!;
      const last = blocks.at(-1);
      if (last !== undefined && start >= last.end && start - last.end <= MAX_GAP) {
        bytes += start - last.end;
        last.end = end;
        last.rows.push(k);
      } else blocks.push({ start, end, rows: [k] });
    }
    await Promise.all(
      blocks.map(async (block) => {
        const buffer = Buffer.alloc(block.end - block.start);
        const { bytesRead } = await this.file.read(buffer, 0, buffer.length, block.start);
        if (bytesRead !== buffer.length)
          throw new ReplayError(
            'the input file got shorter during the replay; it must not change while it is replayed',
          );
        for (const k of block.rows) {
          const i = this.order[k]!;
          const at = offset[i]! - block.start;
          this.ahead.set(k, buffer.subarray(at, at + length[i]!));
        }
      }),
    );
  }
}
