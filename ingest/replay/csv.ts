/**
 * CSV as RFC 4180 has it: comma-separated fields, a quoted field may hold commas, newlines and
 * doubled quotes (`""`). A quote inside an unquoted field is kept as it is (files in the wild have
 * `5" screen`); anything but a comma or the end of the row after a closing quote is an error.
 *
 * Two readers with the same rules: {@link CsvBoundary} finds where a row ends in raw bytes (so the
 * replay can index rows by byte offset), {@link parseCsvRecord} splits one row's text into fields.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;

// Byte scanner states.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote seen inside a quoted field: either the closing one or the first of `""`. */
const QUOTE_IN_QUOTED = 3;

/** Finds row ends in a byte stream; a newline inside a quoted field does not end the row. */
export class CsvBoundary {
  private state: number = FIELD_START;
  /** Newlines inside quoted fields of the current row, so callers can keep counting lines. */
  innerNewlines = 0;

  /** True when the bytes so far end inside a quoted field (a row cut off at the end of a file). */
  get inQuotes(): boolean {
    return this.state === QUOTED;
  }

  /** Index of the newline that ends the current row in `chunk[from..]`, or -1 when the row goes on. */
  scan(chunk: Uint8Array, from: number): number {
    let state = this.state;
    for (let i = from; i < chunk.length; i++) {
      const c = chunk[i];
      if (state === QUOTED) {
        if (c === QUOTE) state = QUOTE_IN_QUOTED;
        else if (c === LF) this.innerNewlines++;
      } else if (c === LF) {
        this.state = FIELD_START;
        return i;
      } else if (c === COMMA) state = FIELD_START;
      else if (state === FIELD_START) state = c === QUOTE ? QUOTED : UNQUOTED;
      else if (state === QUOTE_IN_QUOTED) state = c === QUOTE ? QUOTED : UNQUOTED;
    }
    this.state = state;
    return -1;
  }

  /** Starts a new row (after one was taken whole). */
  reset(): void {
    this.state = FIELD_START;
    this.innerNewlines = 0;
  }
}

export type CsvRecord = { ok: true; fields: string[] } | { ok: false; detail: string; openQuote: boolean };

/** The fields of one row (without its line ending). */
export function parseCsvRecord(text: string): CsvRecord {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1)
          return { ok: false, detail: `field ${fields.length + 1} has no closing quote`, openQuote: true };
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return { ok: true, fields };
      if (text.charCodeAt(i) !== COMMA)
        return {
          ok: false,
          detail: `field ${fields.length} has text after its closing quote`,
          openQuote: false,
        };
      i++;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return { ok: true, fields };
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
