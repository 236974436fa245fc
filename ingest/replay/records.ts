import { CsvBoundary } from './csv.js';

export type FileFormat = 'jsonl' | 'csv';

/** Rows longer than this (bytes) are rejected as `line_too_long` without being held in memory. */
export const MAX_ROW_BYTES = 1 << 20;

/** One row of a file as bytes, with where it is, so a second pass can read it again by offset. */
export interface RawRecord {
  /** Byte offset of the row in the file. */
  offset: number;
  /** Bytes of the row without its newline (a `\r` before it is still there). */
  length: number;
  /** 1-based line of the file the row starts on. */
  line: number;
  /** The row's bytes; undefined when it is longer than the limit. */
  bytes: Buffer | undefined;
  /** False for a last row without a newline after it: perhaps cut off. */
  terminated: boolean;
  /** CSV: the row (the file) ends inside a quoted field. */
  openQuote: boolean;
}

/**
 * Splits a file's bytes, chunk by chunk, into rows: JSONL at every newline, CSV at newlines
 * outside quoted fields. Tracks byte offsets and line numbers; holds at most one row in memory.
 */
export class RecordSplitter {
  private readonly csv: CsvBoundary | undefined;
  private parts: Buffer[] = [];
  private length = 0;
  private oversized = false;
  private offset: number;
  private line = 1;

  constructor(
    format: FileFormat,
    /** Offset of the first byte pushed (after a byte order mark). */
    startOffset = 0,
    private readonly maxBytes = MAX_ROW_BYTES,
  ) {
    this.csv = format === 'csv' ? new CsvBoundary() : undefined;
    this.offset = startOffset;
  }

  *push(chunk: Buffer): Generator<RawRecord> {
    let from = 0;
    while (from < chunk.length) {
      const end = this.csv ? this.csv.scan(chunk, from) : chunk.indexOf(0x0a, from);
      this.append(chunk.subarray(from, end === -1 ? chunk.length : end));
      if (end === -1) return;
      yield this.take(true);
      from = end + 1;
    }
  }

  /** The last row, when the file does not end with a newline. */
  *end(): Generator<RawRecord> {
    if (this.length > 0) yield this.take(false);
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.length += bytes.length;
    if (this.oversized) return;
    if (this.length > this.maxBytes) {
      this.oversized = true;
      this.parts = [];
    } else this.parts.push(bytes);
  }

  private take(terminated: boolean): RawRecord {
    const record: RawRecord = {
      offset: this.offset,
      length: this.length,
      line: this.line,
      bytes: this.oversized
        ? undefined
        : this.parts.length === 1
          ? this.parts[0]!
          : Buffer.concat(this.parts, this.length),
      terminated,
      openQuote: this.csv?.inQuotes ?? false,
    };
    this.offset += this.length + 1;
    this.line += 1 + (this.csv?.innerNewlines ?? 0);
    this.csv?.reset();
    this.parts = [];
    this.length = 0;
    this.oversized = false;
    return record;
  }
}
