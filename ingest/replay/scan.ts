import { open } from 'node:fs/promises';
import { ReplayError } from './errors.js';
import { EventIndex } from './event-index.js';
import { RecordSplitter, type RawRecord } from './records.js';
import { RejectTally } from './rejects.js';
import { RowDecoder } from './rows.js';

const BOM = [0xef, 0xbb, 0xbf];
const CHUNK_BYTES = 1 << 20;

/** What the indexing pass found: where the good rows are, and why the others were rejected. */
export interface Scan {
  index: EventIndex;
  /** Rows read (not counting a CSV header and blank lines). */
  rows: number;
  rejects: RejectTally;
  /** The file's size as read. */
  bytes: number;
}

export interface ScanProgress {
  bytesRead: number;
  bytes: number;
  rows: number;
}

/**
 * The first pass over a file: decodes and maps every row once, records the time, byte offset,
 * length and line of each good one, and counts the rejects with their reasons. A UTF-8 byte order
 * mark is skipped. `onProgress` is called after each chunk; `signal` stops it (a ReplayError).
 */
export async function scanFile(
  path: string,
  decoder: RowDecoder,
  onProgress?: (p: ScanProgress) => void,
  signal?: AbortSignal,
): Promise<Scan> {
  const file = await open(path, 'r');
  try {
    const bytes = (await file.stat()).size;
    const head = Buffer.alloc(3);
    const { bytesRead: headBytes } = await file.read(head, 0, 3, 0);
    const start =
      decoder.encoding === 'utf8' && headBytes === 3 && BOM.every((b, i) => head[i] === b) ? 3 : 0;
    const scan: Scan = { index: new EventIndex(), rows: 0, rejects: new RejectTally(), bytes };
    const splitter = new RecordSplitter(decoder.format, start);
    let bytesRead = start;
    const take = (records: Iterable<RawRecord>) => {
      for (const record of records) {
        if (RowDecoder.isBlank(record)) continue;
        if (decoder.needsHeader) {
          decoder.header(record);
          continue;
        }
        scan.rows++;
        const outcome = decoder.decode(record);
        if (outcome.ok) scan.index.push(outcome.event.ts, record.offset, record.length, record.line);
        else scan.rejects.add(outcome.reason, record.line, outcome.detail);
      }
    };
    for await (const chunk of file.createReadStream({
      start,
      highWaterMark: CHUNK_BYTES,
      autoClose: false,
    })) {
      if (signal?.aborted)
        throw new ReplayError('interrupted while indexing the file; nothing was sent in this run');
      take(splitter.push(chunk as Buffer));
      bytesRead += (chunk as Buffer).length;
      onProgress?.({ bytesRead, bytes, rows: scan.rows });
    }
    take(splitter.end());
    return scan;
  } finally {
    await file.close();
  }
}
