/**
 * The inputs of eval:clusters and bench:analytics: a labelled JSON Lines file (any label and text
 * fields, an optional time field), or the synthetic generator's posts under the topic scenario
 * below, labelled with the topic each post was written from.
 */
import { readFile } from 'node:fs/promises';
import {
  BUILTIN_TOPICS,
  GENERAL_TOPIC,
  parseScenario,
  resolveScenario,
  SyntheticGenerator,
  type Scenario,
} from '../../ingest/synthetic/index.js';
import { parseTimestamp } from '../../ingest/replay/timestamps.js';
import { UsageError } from '../flags.js';
import { Random } from '../../engines/stats/index.js';
import { decodeEscapes } from './sentiment-data.js';
import type { BrandSpec } from '../../stream/model/index.js';

export interface LabelledText {
  label: string | number;
  text: string;
  /** Event time (ms). */
  ts: number;
  /**
   * A finer label where the generator knows one: for the synthetic topic scenario's `general` posts,
   * the template each was written from (the topics' posts keep their topic).
   */
  subject?: string;
}

export interface ReadReport {
  rows: LabelledText[];
  /** Lines that are not a JSON object. */
  unreadable: number;
  /** Rows without a usable label or text (null, a number for a text, …), skipped. */
  incomplete: number;
  /** The first skipped row's line, for the message. */
  firstIncomplete?: number;
  /** Rows whose time could not be read (they take the previous row's time). */
  badTime: number;
}

export interface ReadOptions {
  labelField: string;
  textField: string;
  timeField?: string;
  /** Time between rows (ms) when there is no time field: row i is at i × intervalMs. */
  intervalMs: number;
  limit?: number;
}

/** The start of generated (and untimed) streams: a fixed instant, so every run is the same. */
export const STREAM_START = Date.UTC(2025, 5, 2, 12, 0, 0);

/**
 * Reads a labelled JSON Lines file in file order. A field the first object lacks is a usage error
 * naming the line and the fields it has; later rows without a usable label or text are counted
 * and skipped, as are lines that are not JSON objects.
 */
export async function readLabelled(file: string, o: ReadOptions): Promise<ReadReport> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `--data: no such file ${file}` : `--data: cannot read ${file} (${code ?? err})`,
    );
  }
  const report: ReadReport = { rows: [], unreadable: 0, incomplete: 0, badTime: 0 };
  let checked = false;
  let lastTs = STREAM_START;
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (o.limit !== undefined && report.rows.length >= o.limit) break;
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      report.unreadable++;
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      report.unreadable++;
      continue;
    }
    const row = value as Record<string, unknown>;
    if (!checked) {
      checked = true;
      const fields = Object.keys(row).join(', ') || 'none';
      for (const [flag, name] of [
        ['--label-field', o.labelField],
        ['--text-field', o.textField],
        ...(o.timeField === undefined ? [] : [['--time-field', o.timeField]]),
      ] as const)
        if (!Object.hasOwn(row, name))
          throw new UsageError(
            `${flag}: line ${i + 1} of ${file} has no field "${name}" (its fields: ${fields})`,
          );
    }
    const label = row[o.labelField];
    const text = row[o.textField];
    if (
      typeof text !== 'string' ||
      !(typeof label === 'string' || (typeof label === 'number' && Number.isFinite(label)))
    ) {
      report.incomplete++;
      report.firstIncomplete ??= i + 1;
      continue;
    }
    let ts: number;
    if (o.timeField !== undefined) {
      const t = parseTimestamp(row[o.timeField]);
      if (t === undefined) report.badTime++;
      ts = t ?? lastTs;
    } else ts = STREAM_START + report.rows.length * o.intervalMs;
    lastTs = ts;
    report.rows.push({ label, text: decodeEscapes(text), ts });
  }
  return report;
}

/** Topics one after another (stable by label), as the "-T" streams of MStream's evaluation. */
export function byLabel(rows: readonly LabelledText[], intervalMs: number): LabelledText[] {
  const sorted = rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => compareLabels(a.r.label, b.r.label) || a.i - b.i)
    .map(({ r }) => r);
  return sorted.map((r, i) => ({ ...r, ts: STREAM_START + i * intervalMs }));
}

function compareLabels(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

// ---- the synthetic topic stream ------------------------------------------------------------------

const BRANDS = [
  { name: 'Northwind Coffee', aliases: ['Northwind', 'Northwind Café'], handles: ['northwindcoffee'] },
];
const COMPETITORS = [
  { name: 'Bluebird Roasters', aliases: ['Bluebird', 'Bluebird Coffee'], handles: ['bluebirdroasters'] },
  { name: 'Cafe Aurora', aliases: ['Café Aurora', 'Aurora Cafe'], handles: ['cafeaurora'] },
  { name: 'Harbor Brew', aliases: ['Harbor Brew Co', 'Harbour Brew'], handles: ['harborbrew'] },
];
/** The topic scenario's brands and competitors: the pipeline tracks them and leaves them out of topic terms. */
export const TOPIC_SCENARIO_BRANDS: readonly BrandSpec[] = [...BRANDS, ...COMPETITORS];

/**
 * The eval's topic scenario: the default scenario's four brands for an hour at 6 posts/s, the topic
 * mix changing every ten minutes over the eight built-in topics and `general` (the everyday
 * templates, about a fifth of the posts throughout). Topics appear (outage at 10 min, recall and
 * price hike at 20, data breach at 30, store opening at 30), fade and come back (seasonal menu at
 * 40), so a clusterer must create, keep and forget clusters. 5 % of the posts arrive up to 3 s out
 * of order; brandless posts are general too.
 */
export function topicScenario(seed: number): Scenario {
  return parseScenario(
    {
      name: 'topic-clusters',
      description:
        'The topic mix of four coffee brands drifting every ten minutes over the built-in topics, for eval:clusters.',
      seed,
      rate: 6,
      start: new Date(STREAM_START).toISOString(),
      duration: '1h',
      brands: BRANDS,
      competitors: COMPETITORS,
      dailyAmplitude: 0,
      brandlessShare: 0.05,
      topicPhases: [
        { at: '0m', weights: { loyalty: 3, 'seasonal-menu': 3, sustainability: 2, general: 2 } },
        { at: '10m', weights: { outage: 4, loyalty: 2, 'seasonal-menu': 1, sustainability: 2, general: 2 } },
        { at: '20m', weights: { outage: 1, recall: 3, 'price-hike': 3, loyalty: 2, general: 2 } },
        { at: '30m', weights: { 'data-breach': 4, 'price-hike': 1, 'store-opening': 3, general: 2 } },
        {
          at: '40m',
          weights: { 'store-opening': 2, 'seasonal-menu': 3, loyalty: 2, sustainability: 1, general: 2 },
        },
        {
          at: '50m',
          weights: { 'seasonal-menu': 1, recall: 1, outage: 2, loyalty: 3, sustainability: 2, general: 2 },
        },
      ],
    },
    'topic scenario',
  );
}

/** The topics the scenario draws from: the built-in ones and `general`. */
export const SCENARIO_TOPICS = [...Object.keys(BUILTIN_TOPICS), GENERAL_TOPIC];

/** The scenario's posts in the order they are sent (re-sent copies left out), each labelled with its topic. */
export function syntheticTopicPosts(seed: number, limit?: number): LabelledText[] {
  const scenario = resolveScenario(topicScenario(seed), STREAM_START);
  const generator = new SyntheticGenerator(scenario.config);
  const out: LabelledText[] = [];
  for (const g of generator.generate(scenario.start, scenario.end!)) {
    if (g.kind !== 'social' || g.truth.copy) continue;
    const { topic, template } = g.truth;
    const subject = topic === GENERAL_TOPIC ? `${GENERAL_TOPIC}: ${template}` : topic;
    out.push({ label: topic, text: g.event.text, ts: g.event.ts, subject });
    if (limit !== undefined && out.length >= limit) break;
  }
  return out;
}

/** Topics of the many-topics stream. */
export const MANY_TOPICS = 150;

/**
 * A stream shaped like the labelled tweet and news benchmarks of the MStream papers: 150 topics of
 * 30 to 180 posts each (about 16,000 in all), each post a few words. A topic's posts mostly (80%)
 * carry its key word, one to four of its 30 own words (Zipf: a few are common), sometimes (30%) a
 * word of a sibling topic, and up to three of 300 words every topic uses (Zipf). In shuffled order
 * (the topics all live at once); `--order label` gives one topic after another (drift). Words are
 * made up ("key12", "t12w3", "c5"): what it tests is the shape (many small topics, shared words),
 * not language. Posts are a second apart.
 */
export function manyTopicPosts(seed: number, limit?: number): LabelledText[] {
  const rng = new Random(seed);
  const zipf = (n: number) => Math.min(n - 1, Math.floor(Math.pow(n + 1, rng.next())) - 1);
  const rows: { label: number; text: string }[] = [];
  for (let t = 0; t < MANY_TOPICS; t++) {
    const n = 30 + rng.int(150);
    for (let i = 0; i < n; i++) {
      const words: string[] = [];
      if (rng.chance(0.8)) words.push(`key${t}`);
      const own = 1 + rng.int(4);
      for (let k = 0; k < own; k++) words.push(`t${t}w${zipf(30)}`);
      if (rng.chance(0.3)) words.push(`t${t ^ 1}w${zipf(30)}`);
      const common = rng.int(4);
      for (let k = 0; k < common; k++) words.push(`c${zipf(300)}`);
      rows.push({ label: t, text: words.join(' ') });
    }
  }
  for (let i = rows.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const out = rows.map((r, i) => ({ ...r, ts: STREAM_START + i * 1000 }));
  return limit === undefined ? out : out.slice(0, limit);
}
