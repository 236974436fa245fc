import { MAX_CONTINUOUS_REWARD } from './definition.js';
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

/**
 * The largest prior mean, either sign: a prior's mean is a mean of rewards, so within the range of
 * continuous rewards; and the largest number of pseudo-observations. With both bounded, n × mean
 * and every reported mean and interval stay finite (a mean of 1e300 made GET /v1/campaigns/:id show
 * the arm's mean as null, Infinity having no JSON).
 */
export const MAX_PRIOR_MEAN = MAX_CONTINUOUS_REWARD;
export const MAX_PRIOR_N = 1e15;

/** What is wrong with a prior's mean or n, or undefined when both are in range. */
export function priorProblem(mean: unknown, n: unknown): string | undefined {
  if (typeof mean !== 'number' || !Number.isFinite(mean) || Math.abs(mean) > MAX_PRIOR_MEAN)
    return `"mean" must be a finite number from ${-MAX_PRIOR_MEAN} to ${MAX_PRIOR_MEAN}`;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > MAX_PRIOR_N)
    return `"n" must be a finite number, 0 or more, up to ${MAX_PRIOR_N}`;
  return undefined;
}

/** Priors a store is given, checked before any is kept (see priorProblem); throws RangeError. */
export function checkPriors(priors: readonly PriorEntry[]): void {
  for (const p of priors) {
    const problem = priorProblem(p.mean, p.n);
    if (problem !== undefined) throw new RangeError(`the prior of arm "${p.arm}": ${problem}`);
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
  const problem = priorProblem(o.mean, o.n);
  if (problem !== undefined) return problem;
  return {
    campaign: o.campaign as string,
    arm: o.arm as string,
    ...(o.segment !== undefined && { segment: o.segment as string }),
    mean: o.mean as number,
    n: o.n as number,
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
