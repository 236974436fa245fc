import { RejectReasons } from '../../stream/index.js';

/**
 * Why the replay did not send a row. These rows never reach the server; each is counted with its
 * reason, and the first of each reason is kept with its line so a user can look at it.
 */
export const LocalRejectReasons = {
  invalid_json: RejectReasons.invalid_json,
  invalid_utf8: 'The row is not valid UTF-8 (for a Latin-1 file use --encoding latin1)',
  line_too_long: 'The row is longer than 1 MiB',
  truncated: 'The last row of the file is cut off (no newline after it and incomplete)',
  bad_csv: 'The CSV row is malformed: a stray quote, or not as many fields as the header',
  bad_timestamp: 'The time is not a readable date-time or epoch number, or outside 2000–2100',
  mapping_failed: 'The row has no text or time, is not an object, or a field has the wrong type',
  schema: RejectReasons.schema,
  text_too_long: RejectReasons.text_too_long,
} as const;

export type LocalRejectReason = keyof typeof LocalRejectReasons;

/** A reject as the summary shows it: its reason, and where the first one of that reason was. */
export interface RejectExample {
  reason: string;
  line: number;
  detail: string;
}

/** Rejected rows counted by reason, with the first example of each reason. */
export class RejectTally {
  readonly counts: Record<string, number> = {};
  readonly examples: RejectExample[] = [];

  add(reason: string, line: number, detail: string, count = 1): void {
    if (this.counts[reason] === undefined) {
      this.counts[reason] = 0;
      this.examples.push({ reason, line, detail });
    }
    this.counts[reason] += count;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  toJSON(): { counts: Record<string, number>; examples: RejectExample[] } {
    return { counts: this.counts, examples: this.examples };
  }

  static from(saved: { counts: Record<string, number>; examples: RejectExample[] }): RejectTally {
    const tally = new RejectTally();
    Object.assign(tally.counts, saved.counts);
    tally.examples.push(...saved.examples);
    return tally;
  }
}
