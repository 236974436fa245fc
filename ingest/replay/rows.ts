import { parseCsvRecord } from './csv.js';
import { ReplayError } from './errors.js';
import { RowMapper, type MapContext, type MapOutcome, type Mapping } from './mapping.js';
import type { FileFormat, RawRecord } from './records.js';

export type Encoding = 'utf8' | 'latin1';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The record fields the decoder needs; a second pass passes a row it read again by offset. */
export type RecordBytes = Pick<RawRecord, 'bytes' | 'line' | 'terminated' | 'openQuote'>;

/**
 * Decodes one row of a JSONL or CSV file (bytes → text → JSON object or CSV fields) and maps it to
 * a SocialEvent. The same instance decodes a row in the indexing pass and again when it is sent,
 * with the same result. For CSV the first row is the header: give it to {@link header} first.
 */
export class RowDecoder {
  private mapper: RowMapper | undefined;
  private columns = 0;

  constructor(
    readonly format: FileFormat,
    readonly encoding: Encoding,
    private readonly mapping: Mapping,
    private readonly ctx: MapContext,
  ) {
    if (format === 'jsonl') this.mapper = RowMapper.forJson(mapping, ctx);
  }

  get needsHeader(): boolean {
    return this.mapper === undefined;
  }

  /** Reads the CSV header row; errors (undecodable, no such column) are ReplayErrors. */
  header(record: RecordBytes): string[] {
    const text = this.text(record);
    if (typeof text !== 'string')
      throw new ReplayError(`the CSV header (line ${record.line}): ${text.detail}`);
    const parsed = parseCsvRecord(text);
    if (!parsed.ok) throw new ReplayError(`the CSV header (line ${record.line}): ${parsed.detail}`);
    const names = parsed.fields.map((f) => f.trim());
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new ReplayError(`the CSV header names the column "${twice}" twice`);
    this.columns = names.length;
    this.mapper = RowMapper.forCsv(this.mapping, names, this.ctx);
    return names;
  }

  /** The event of a row, or why the row cannot be one. */
  decode(record: RecordBytes): MapOutcome {
    const mapper = this.mapper;
    if (mapper === undefined) throw new Error('RowDecoder: the CSV header was not read');
    const text = this.text(record);
    if (typeof text !== 'string') return text;
    const cut = !record.terminated;
    if (this.format === 'jsonl') {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        return cut
          ? { ok: false, reason: 'truncated', detail: 'the last line has no newline and is incomplete JSON' }
          : { ok: false, reason: 'invalid_json', detail: (err as Error).message };
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return {
          ok: false,
          reason: 'mapping_failed',
          detail: `the line is ${Array.isArray(value) ? 'an array' : 'a JSON ' + (value === null ? 'null' : typeof value)}, not an object`,
        };
      return mapper.map(value, record.line);
    }
    const parsed = parseCsvRecord(text);
    if (!parsed.ok)
      return cut && record.openQuote
        ? { ok: false, reason: 'truncated', detail: 'the file ends inside a quoted field' }
        : { ok: false, reason: 'bad_csv', detail: parsed.detail };
    if (parsed.fields.length !== this.columns) {
      const detail = `${parsed.fields.length} fields where the header has ${this.columns}`;
      return cut && parsed.fields.length < this.columns
        ? { ok: false, reason: 'truncated', detail: `the last row has ${detail}` }
        : { ok: false, reason: 'bad_csv', detail };
    }
    return mapper.map(parsed.fields, record.line);
  }

  /** The row's text without its `\r`, or an undecodable-row outcome. */
  private text(record: RecordBytes): string | Extract<MapOutcome, { ok: false }> {
    if (record.bytes === undefined)
      return { ok: false, reason: 'line_too_long', detail: 'the row is longer than 1 MiB' };
    let bytes = record.bytes;
    if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (this.encoding === 'latin1') return bytes.toString('latin1');
    try {
      return utf8.decode(bytes);
    } catch {
      return {
        ok: false,
        reason: 'invalid_utf8',
        detail: 'the row is not valid UTF-8 (for a Latin-1 file use --encoding latin1)',
      };
    }
  }

  /** True for a row of only spaces, tabs and `\r`: skipped, not counted. */
  static isBlank(record: RecordBytes): boolean {
    const b = record.bytes;
    if (b === undefined) return false;
    for (const c of b) if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
    return true;
  }
}
