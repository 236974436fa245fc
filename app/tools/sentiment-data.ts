import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SentimentLabel } from '../../engines/sentiment/index.js';
import { PROJECT_ROOT } from '../paths.js';

/** The shared data folder beside this repository (../shared/data). */
export const SHARED_DATA = join(PROJECT_ROOT, '..', 'shared', 'data');
/** Where the committed linear tier weights live. */
export const DEFAULT_LINEAR_WEIGHTS = join(
  PROJECT_ROOT,
  'engines',
  'sentiment',
  'models',
  'sentiment-linear-v1.bin',
);

export interface DataRow {
  text: string;
  label?: SentimentLabel;
  score?: number;
}

/** A problem with the command line or the input: printed as is, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const LABELS = new Set(['negative', 'neutral', 'positive']);
const ESCAPE = /\\u([0-9a-fA-F]{4})/g;

/**
 * Literal `\uXXXX` sequences (six characters) as some TweetEval texts carry them: live posts have
 * the characters themselves, so they are decoded before training and scoring (SOURCES.md).
 */
export function decodeEscapes(text: string): string {
  return text.includes('\\u')
    ? text.replace(ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : text;
}

/**
 * Reads a JSON Lines file of `{text, label}` (negative/neutral/positive) or `{text, score}` rows.
 * Every line must be one or the other; the first bad line stops the read with its line number.
 */
export async function readRows(file: string, need: 'label' | 'label-or-score'): Promise<DataRow[]> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const rows: DataRow[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`${where}: not valid JSON`);
    }
    const o = value as { text?: unknown; label?: unknown; score?: unknown };
    if (typeof value !== 'object' || value === null || typeof o.text !== 'string')
      throw new UsageError(`${where}: expected an object with a string "text"`);
    if (typeof o.label === 'string' && LABELS.has(o.label)) {
      rows.push({ text: decodeEscapes(o.text), label: o.label as SentimentLabel });
    } else if (need === 'label-or-score' && typeof o.score === 'number' && Number.isFinite(o.score)) {
      rows.push({ text: decodeEscapes(o.text), score: o.score });
    } else {
      throw new UsageError(
        `${where}: expected "label" (negative, neutral or positive)${need === 'label-or-score' ? ' or a numeric "score"' : ''}`,
      );
    }
  }
  if (rows.length === 0) throw new UsageError(`${file}: no rows`);
  const labelled = rows.filter((r) => r.label !== undefined).length;
  if (labelled !== 0 && labelled !== rows.length)
    throw new UsageError(`${file}: mixes rows with "label" and rows with "score"; use one kind per file`);
  return rows;
}

/** A tiny flag parser: `--name value`, `--name=value`, and bare boolean flags listed in `booleans`. */
export function parseFlags(
  argv: readonly string[],
  known: readonly string[],
  booleans: readonly string[] = [],
): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg : arg.slice(0, eq)).slice(2);
    if (!known.includes(name) && !booleans.includes(name)) throw new UsageError(`unknown flag --${name}`);
    if (booleans.includes(name)) {
      out.set(name, eq === -1 ? 'true' : arg.slice(eq + 1));
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--')))
      throw new UsageError(`--${name} needs a value`);
    out.set(name, value);
  }
  return out;
}

export function numberFlag(
  flags: Map<string, string>,
  name: string,
  fallback: number,
  min = -Infinity,
): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min)
    throw new UsageError(`--${name}: expected a number${min > -Infinity ? ` ≥ ${min}` : ''}, got "${raw}"`);
  return n;
}

/** Whether the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && resolve(script) === fileURLToPath(moduleUrl);
}

/** Runs a tool's main: exit code 2 with the usage for a UsageError, 1 with the stack for anything else. */
export function runTool(name: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(`${name}: ${err.message}\n${usage}`);
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
