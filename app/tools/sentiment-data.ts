import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SentimentLabel } from '../../engines/sentiment/index.js';
import { UsageError } from '../flags.js';
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
