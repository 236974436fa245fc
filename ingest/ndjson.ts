import type { RejectReason } from '../stream/index.js';

export type NdjsonLine =
  | { line: number; ok: true; value: unknown; raw: string; bytes: Buffer }
  | { line: number; ok: false; reason: RejectReason; detail: string; raw: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

/**
 * Splits an NDJSON body into lines (1-based numbers) and decodes each one on its own, so one bad
 * line never spoils the others. Blank lines are skipped.
 */
export function* parseNdjson(body: Buffer, maxLineBytes: number): Generator<NdjsonLine> {
  let start = 0;
  let line = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    line++;
    let stop = end;
    if (stop > start && body[stop - 1] === 0x0d) stop--;
    const bytes = body.subarray(start, stop);
    start = end + 1;
    if (isBlank(bytes)) continue;
    if (bytes.length > maxLineBytes) {
      yield {
        line,
        ok: false,
        reason: 'line_too_long',
        detail: `line is ${bytes.length} bytes; the limit is ${maxLineBytes}`,
        raw: lossy.decode(bytes.subarray(0, 256)),
      };
      continue;
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      yield {
        line,
        ok: false,
        reason: 'invalid_utf8',
        detail: 'line is not valid UTF-8',
        raw: lossy.decode(bytes),
      };
      continue;
    }
    try {
      yield { line, ok: true, value: JSON.parse(text) as unknown, raw: text, bytes };
    } catch (err) {
      yield { line, ok: false, reason: 'invalid_json', detail: (err as Error).message, raw: text };
    }
  }
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}
