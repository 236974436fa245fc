import type { PriorEntry } from './store.js';

/**
 * Priors from a file, and the name a (segment, arm) pair has in the stores. A priors file is JSON
 * lines, one prior each: `{"campaign": "spring", "arm": "red", "segment": "mobile", "mean": 0.04, "n": 50}`
 * (`segment` optional). Blank lines are skipped; anything else that is not such a line is an error
 * that names its line, and nothing is loaded.
 */

/** One line of a priors file. */
export interface PriorLine extends PriorEntry {
  campaign: string;
}

/** A priors file that cannot be loaded: every problem, each with its line number. */
export class PriorsFileError extends Error {
  override name = 'PriorsFileError';
  readonly code = 'INVALID_PRIORS';
  /** The same file fails the same way. */
  readonly retryable = false;
  constructor(
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(problems.join('\n'), options);
  }
}

const FIELDS = new Set(['campaign', 'arm', 'segment', 'mean', 'n']);
/** Problems reported at most (the first ones), so a wrong file does not flood the terminal. */
const MAX_PROBLEMS = 20;

/** Parses and checks a priors file's text; `source` (the file name) prefixes each problem. */
export function parsePriors(text: string, source = 'priors'): PriorLine[] {
  const out: PriorLine[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && problems.length < MAX_PROBLEMS; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    const entry = parseLine(line);
    if (typeof entry === 'string') {
      problems.push(`${where}: ${entry}`);
      continue;
    }
    const id = `${entry.campaign}\u0000${priorField(entry.segment, entry.arm)}`;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push(`${where}: a second prior for the same campaign, segment and arm (line ${first})`);
      continue;
    }
    seen.set(id, i + 1);
    out.push(entry);
  }
  if (problems.length > 0) throw new PriorsFileError(problems);
  return out;
}

function parseLine(line: string): PriorLine | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !FIELDS.has(k));
  if (unknown !== undefined) return `unknown field "${unknown}" (fields: campaign, arm, segment, mean, n)`;
  for (const k of ['campaign', 'arm'] as const)
    if (typeof o[k] !== 'string' || o[k] === '') return `"${k}" must be a non-empty string`;
  if (o.segment !== undefined && (typeof o.segment !== 'string' || o.segment === ''))
    return '"segment" must be a non-empty string (leave it out for the arm across segments)';
  if (typeof o.mean !== 'number' || !Number.isFinite(o.mean)) return '"mean" must be a finite number';
  if (typeof o.n !== 'number' || !Number.isFinite(o.n) || o.n < 0)
    return '"n" must be a finite number, 0 or more';
  return {
    campaign: o.campaign as string,
    arm: o.arm as string,
    ...(o.segment !== undefined && { segment: o.segment as string }),
    mean: o.mean,
    n: o.n,
  };
}

/** The lines of a file, by campaign (in the order of their first line). */
export function priorsByCampaign(lines: readonly PriorLine[]): Map<string, PriorEntry[]> {
  const out = new Map<string, PriorEntry[]>();
  for (const { campaign, ...entry } of lines) {
    let list = out.get(campaign);
    if (!list) out.set(campaign, (list = []));
    list.push(entry);
  }
  return out;
}

/**
 * The field of a (segment, arm) pair: `<segment>|<arm>`, or `|<arm>` without a segment. A `%` or
 * `|` in the segment is escaped (`%25`, `%7C`), so the first `|` always ends the segment.
 */
export function priorField(segment: string | undefined, arm: string): string {
  return `${segment === undefined ? '' : segment.replace(/%/g, '%25').replace(/\|/g, '%7C')}|${arm}`;
}

/** The (segment, arm) pair of a field `priorField` made. */
export function parsePriorField(field: string): { segment?: string; arm: string } {
  const bar = field.indexOf('|');
  const seg = field.slice(0, bar);
  const arm = field.slice(bar + 1);
  return seg === '' ? { arm } : { segment: seg.replace(/%7C|%25/g, (m) => (m === '%7C' ? '|' : '%')), arm };
}

/** Priors in a stable order: without a segment first, then by segment, then by arm. */
export function comparePriors(a: PriorEntry, b: PriorEntry): number {
  const sa = a.segment ?? '';
  const sb = b.segment ?? '';
  if (sa !== sb) return a.segment === undefined ? -1 : b.segment === undefined ? 1 : sa < sb ? -1 : 1;
  return a.arm < b.arm ? -1 : a.arm > b.arm ? 1 : 0;
}
