/**
 * Label values that come from input (an event's `source`, its declared language) are bounded
 * before they reach a metric: every distinct label value is a Prometheus series, kept for the life
 * of the process, so a client posting 10,000 made-up sources must not make 10,000 series. Known
 * values keep their own label; everything else counts as `other`.
 */
export const OTHER_LABEL = 'other';

/** A fixed set of label values known in advance (built in, configured); any other value is `other`. */
export class LabelBounds {
  private readonly known: Set<string>;

  constructor(known: Iterable<string> = []) {
    this.known = new Set(known);
  }

  /** Adds values learnt at start (e.g. the names of the ingest API keys). */
  allow(values: Iterable<string>): void {
    for (const v of values) this.known.add(v);
  }

  label(value: string): string {
    return this.known.has(value) ? value : OTHER_LABEL;
  }

  get size(): number {
    return this.known.size;
  }
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
const languages = new Map<string, string>();

/**
 * A language a source declared, as a label: an ISO 639-1 code (two letters, one of about 190 that
 * Intl knows); any other value (a made-up or a three-letter code) is `other`. Memoised, since the
 * lookup takes microseconds; the memo is bounded too.
 */
export function languageLabel(language: string): string {
  let label = languages.get(language);
  if (label === undefined) {
    label = /^[a-z]{2}$/.test(language) && languageNames.of(language) !== undefined ? language : OTHER_LABEL;
    if (languages.size < 1024) languages.set(language, label);
  }
  return label;
}
