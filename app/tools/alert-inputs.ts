/**
 * The eval's real-data inputs: posts (JSON Lines), a series of counts (CSV or JSON Lines) and a
 * brands file. Times are read as file replay reads them (ingest/replay/timestamps.ts). Rows whose
 * time or value cannot be read are counted, not fatal; a field no row has is a usage error.
 */
import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseCsvRecord } from '../../ingest/replay/csv.js';
import { parseTimestamp } from '../../ingest/replay/timestamps.js';
import type { BrandSpec } from '../../stream/index.js';
import { UsageError } from '../flags.js';

export interface Skipped {
  /** Lines that are not a JSON object or a CSV row. */
  unreadable: number;
  /** Rows without the time field, or whose time is not a time. */
  bad_time: number;
  /** Rows without the text (posts) or whose value is not a number (series). */
  bad_value: number;
}

export interface Post {
  ts: number;
  text: string;
}

export interface SeriesPoint {
  ts: number;
  value: number;
}

async function mustExist(file: string, flag: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new UsageError(`${flag}: no such file ${file}`);
  }
}

/** The value at a dotted path (`user.created_at`) of a decoded JSON object. */
function at(row: unknown, path: string): unknown {
  let v: unknown = row;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Rows of a JSON Lines or CSV file as records of strings or values; `fields` are checked to exist. */
async function* rows(
  file: string,
  flag: string,
  fields: { flag: string; name: string }[],
  skipped: Skipped,
): AsyncGenerator<(path: string) => unknown> {
  await mustExist(file, flag);
  const csv = /\.csv$/i.test(file);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let header: string[] | undefined;
  const seen = new Set<string>();
  let first: string[] | undefined;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (csv) {
      const rec = parseCsvRecord(line);
      if (!rec.ok) {
        skipped.unreadable++;
        continue;
      }
      if (!header) {
        header = rec.fields.map((f) => f.trim());
        for (const f of fields)
          if (!header.includes(f.name))
            throw new UsageError(
              `${f.flag}: unknown field "${f.name}" (the header has ${header.join(', ')})`,
            );
        continue;
      }
      const fieldsOf = rec.fields;
      yield (path) => {
        const i = header!.indexOf(path);
        return i === -1 ? undefined : fieldsOf[i];
      };
      continue;
    }
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      skipped.unreadable++;
      continue;
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      skipped.unreadable++;
      continue;
    }
    first ??= Object.keys(row);
    for (const f of fields) if (at(row, f.name) !== undefined) seen.add(f.name);
    yield (path) => at(row, path);
  }
  if (csv) {
    if (!header) throw new UsageError(`${flag}: ${file} has no header row`);
    return;
  }
  for (const f of fields)
    if (first && !seen.has(f.name))
      throw new UsageError(
        `${f.flag}: unknown field "${f.name}": no row has it (the first has ${first.join(', ')})`,
      );
}

/** Posts with a readable time and a text, sorted by time (stable). */
export async function readPosts(
  file: string,
  timeField: string,
  textField: string,
  progress: (line: string) => void,
): Promise<{ posts: Post[]; skipped: Skipped }> {
  const skipped: Skipped = { unreadable: 0, bad_time: 0, bad_value: 0 };
  const posts: Post[] = [];
  const fields = [
    { flag: '--time-field', name: timeField },
    { flag: '--text-field', name: textField },
  ];
  for await (const get of rows(file, '--data', fields, skipped)) {
    const ts = parseTimestamp(get(timeField));
    const text = get(textField);
    if (ts === undefined) skipped.bad_time++;
    else if (typeof text !== 'string') skipped.bad_value++;
    else posts.push({ ts, text });
    if (posts.length % 500_000 === 0 && posts.length > 0) progress(`read ${posts.length} posts`);
  }
  return { posts: posts.sort((a, b) => a.ts - b.ts), skipped };
}

/** Points with a readable time and a finite number, sorted by time (stable). */
export async function readSeries(
  file: string,
  timeField: string,
  valueField: string,
): Promise<{ points: SeriesPoint[]; skipped: Skipped }> {
  const skipped: Skipped = { unreadable: 0, bad_time: 0, bad_value: 0 };
  const points: SeriesPoint[] = [];
  const fields = [
    { flag: '--time-field', name: timeField },
    { flag: '--value-field', name: valueField },
  ];
  for await (const get of rows(file, '--series', fields, skipped)) {
    const ts = parseTimestamp(get(timeField));
    const raw = get(valueField);
    const value =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (ts === undefined) skipped.bad_time++;
    else if (!Number.isFinite(value) || value < 0) skipped.bad_value++;
    else points.push({ ts, value });
  }
  return { points: points.sort((a, b) => a.ts - b.ts), skipped };
}

/**
 * A brands file: a JSON list of names or of brands ({ name, aliases?, handles? }), or an object
 * with such a list under "brands".
 */
export async function readBrands(file: string): Promise<BrandSpec[]> {
  await mustExist(file, '--brands');
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--brands: ${file} is not JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { brands?: unknown } | null)?.brands;
  if (!Array.isArray(list) || list.length === 0)
    throw new UsageError(
      `--brands: ${file} must hold a list of brands (names, or { "name", "aliases", "handles" })`,
    );
  return list.map((b, i) => {
    if (typeof b === 'string' && b.trim()) return { name: b.trim() };
    const spec = b as Partial<BrandSpec> | null;
    if (!spec || typeof spec.name !== 'string' || !spec.name.trim())
      throw new UsageError(`--brands: entry ${i + 1} of ${file} has no name`);
    const strings = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
    const aliases = strings(spec.aliases);
    const handles = strings(spec.handles);
    return { name: spec.name.trim(), ...(aliases && { aliases }), ...(handles && { handles }) };
  });
}
