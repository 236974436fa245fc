/**
 * Evaluates spike alerts.
 *
 *   npm run eval:alerts -- [--scenario FILE] [--seeds N [--hours H] [--rate R]] [--json]
 *   npm run eval:alerts -- --data posts.jsonl --time-field F --brands brands.json [--text-field F] [--window 1m]
 *   npm run eval:alerts -- --series counts.csv --time-field F --value-field F [--window 5m]
 *
 * Scenarios (every shipped scenario with spikes, by default) are generated, enriched and run
 * through the same stage-2 code as the app (the `spikes` operator, the alerts stage's detection);
 * the alerts are scored against the scenario's true spikes: precision, recall, median detection
 * delay and alerts per spike. `--seeds N` adds N generated runs of `--hours` hours with spikes of
 * various sizes over the four default brands. `--data` replays real posts in time order through
 * the same code and lists the alerts that would have fired; `--series` runs the volume detector
 * on a series of counts, one row per window. With --json the last line is one JSON object.
 */
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { RulesSentiment, type SentimentScorer } from '../../engines/sentiment/index.js';
import { SpikeMonitor, type AlertUpdate } from '../../engines/spikes/index.js';
import { Random } from '../../engines/stats/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import {
  loadScenario,
  resolveScenario,
  ScenarioError,
  SyntheticGenerator,
  type GeneratorConfig,
  type SpikeSpec,
} from '../../ingest/synthetic/index.js';
import { loadLinearSentiment, normalizeSocialEvent, parseWindow } from '../../stream/index.js';
import { isMain, numberFlag, parseFlags, runTool, UsageError, type FlagOptions } from '../flags.js';
import { PROJECT_ROOT } from '../paths.js';
import { readBrands, readPosts, readSeries, type Skipped } from './alert-inputs.js';
import { AlertPipeline, postEvent } from './alert-pipeline.js';
import {
  alertsOf,
  pooled,
  score,
  type AlertFigures,
  type ScoredAlert,
  type TrueSpike,
} from './alert-scoring.js';
import { DEFAULT_LINEAR_WEIGHTS } from './sentiment-data.js';

const USAGE = `usage: npm run eval:alerts -- [--scenario FILE] [--seeds N [--hours H] [--rate R]] [--sentiment linear|rules] [--json]
       npm run eval:alerts -- --data posts.jsonl --time-field F --brands brands.json [--text-field F] [--window 1m] [--json]
       npm run eval:alerts -- --series counts.csv --time-field F --value-field F [--window 5m] [--json]`;

const OPTIONS = {
  scenario: { type: 'string' },
  seeds: { type: 'string' },
  hours: { type: 'string' },
  rate: { type: 'string' },
  data: { type: 'string' },
  series: { type: 'string' },
  brands: { type: 'string' },
  'time-field': { type: 'string' },
  'text-field': { type: 'string', default: 'text' },
  'value-field': { type: 'string' },
  window: { type: 'string' },
  sentiment: { type: 'string', default: 'linear' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

const MIN = 60_000;
/** Scenarios with a relative start are pinned here, 17 s into a minute as a real start would be. */
const PINNED_NOW = Date.UTC(2025, 5, 2, 12, 0, 17);
/** The embedded default generates this much history at start (--synthetic-backfill-minutes). */
const BACKFILL_MS = 30 * MIN;
/** Event time generated (and pushed through the pipeline) at once: as the synthetic source's batches. */
const CHUNK_MS = 1_000;
const PROGRESS_MS = 5_000;
const ALERT_WINDOW_MS = MIN;

type Log = (line: string) => void;

export async function main(argv: readonly string[], log: Log = console.log, progress: Log = console.error) {
  const { values: f } = parseFlags(argv, OPTIONS);
  if (f.help) {
    log(USAGE);
    return 0;
  }
  if (f.data !== undefined && f.series !== undefined)
    throw new UsageError('give --data or --series, not both');
  if (f.data !== undefined) return dataMode(f, log, progress);
  if (f.series !== undefined) return seriesMode(f, log, progress);
  return scenarioMode(f, log, progress);
}

type Flags = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];

function windowMs(flag: string | undefined, fallback: number): number {
  if (flag === undefined) return fallback;
  try {
    return parseWindow(flag).sizeMs;
  } catch (err) {
    throw new UsageError(`--window: ${(err as Error).message}`);
  }
}

function required(value: string | undefined, flag: string, mode: string): string {
  if (value === undefined || value === '') throw new UsageError(`${mode} needs ${flag}`);
  return value;
}

async function scorer(name: string): Promise<SentimentScorer> {
  if (name === 'rules') return new RulesSentiment();
  if (name === 'linear') return loadLinearSentiment(DEFAULT_LINEAR_WEIGHTS);
  throw new UsageError(`--sentiment must be linear or rules, got "${name}"`);
}

const iso = (ms: number) => new Date(ms).toISOString();
const f2 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));

// ---- scenarios -------------------------------------------------------------------------------

interface Run {
  name: string;
  alerts: ScoredAlert[];
  spikes: TrueSpike[];
  windowMs: number;
  posts: number;
}

async function scenarioMode(f: Flags, log: Log, progress: Log): Promise<number> {
  const sentiment = await scorer(f.sentiment);
  const files = f.scenario ? [resolve(f.scenario)] : await shippedScenarios();
  const seeds = numberFlag('seeds', f.seeds, { min: 0, integer: true }) ?? 0;
  const hours = numberFlag('hours', f.hours, { min: 1 }) ?? 24;
  const rate = numberFlag('rate', f.rate, { min: 0.1 }) ?? 10;
  const runs: Run[] = [];
  for (const file of files) {
    let scenario;
    let relative: boolean;
    try {
      const raw = await loadScenario(file);
      relative = raw.start === 'now' || /^[+-]/.test(raw.start);
      scenario = resolveScenario(raw, PINNED_NOW);
    } catch (err) {
      if (err instanceof ScenarioError) throw new UsageError(`--scenario: ${err.message}`);
      throw err;
    }
    const spikes = scenario.config.spikes ?? [];
    if (spikes.length === 0) {
      progress(`${basename(file)}: no spikes, skipped`);
      continue;
    }
    // As the embedded app runs it: history from `backfill` before the time it starts (now, for a
    // relative start; the scenario's start for a fixed one).
    const from = (relative ? PINNED_NOW : scenario.start) - BACKFILL_MS;
    const to = scenario.end ?? Math.max(...spikes.map((s) => s.start + s.durationMs)) + 30 * MIN;
    runs.push(await generatedRun(scenario.name, scenario.config, from, to, sentiment, progress));
  }
  const generated: Run[] = [];
  for (let i = 0; i < seeds; i++) {
    const { config, from, to } = longRun(i, hours, rate);
    generated.push(await generatedRun(`seed ${config.seed}`, config, from, to, sentiment, progress));
  }

  const lines: string[] = [];
  const json: Record<string, unknown> = {};
  if (runs.length > 0) {
    const all = pooled(runs);
    lines.push(`shipped scenarios (${runs.length}), 1-minute alert window, ${f.sentiment} sentiment:`);
    for (const r of runs) lines.push(...describe(r.name, score(r.alerts, r.spikes, r.windowMs), r));
    lines.push(...describe('all scenarios', all));
    Object.assign(json, headline(all), {
      scenarios: Object.fromEntries(runs.map((r) => [r.name, figures(r)])),
    });
  }
  if (generated.length > 0) {
    const all = pooled(generated);
    lines.push(
      '',
      `generated runs (${generated.length} seeds × ${hours} h at ${rate} posts/s, spikes of various sizes):`,
    );
    for (const r of generated) lines.push(...describe(r.name, score(r.alerts, r.spikes, r.windowMs), r));
    lines.push(...describe('all generated', all));
    json.generated = {
      ...headline(all),
      runs: Object.fromEntries(generated.map((r) => [r.name, figures(r)])),
    };
    if (runs.length === 0) Object.assign(json, headline(all));
  }
  if (runs.length === 0 && generated.length === 0) throw new UsageError('no scenario with spikes to run');
  for (const l of lines) log(l);
  if (f.json) log(JSON.stringify(json));
  return 0;
}

function headline(a: AlertFigures) {
  return {
    precision: a.precision,
    recall: a.recall,
    median_delay_s: a.median_delay_s,
    median_delay_windows: a.median_delay_windows,
    alerts_per_spike: a.alerts_per_spike,
    spikes: a.spikes,
    alerts: a.alerts,
  };
}

function figures(r: Run) {
  return {
    ...score(r.alerts, r.spikes, r.windowMs),
    posts: r.posts,
    alert_list: r.alerts.map((a) => ({
      brand: a.brand,
      kind: a.kind,
      opened_at: iso(a.opened_at),
      severity: a.severity,
    })),
  };
}

function describe(name: string, a: AlertFigures, r?: Run): string[] {
  const kinds = Object.entries(a.by_kind)
    .map(([k, v]) => `${k} ${v.matched}/${v.alerts}`)
    .join(', ');
  return [
    `  ${name}: ${a.spikes} spikes, ${a.alerts} alerts${r ? `, ${r.posts.toLocaleString('en-US')} posts` : ''}`,
    `    precision ${f2(a.precision)}  recall ${f2(a.recall)}  median delay ${a.median_delay_s === null ? 'n/a' : `${a.median_delay_s.toFixed(0)} s (${f2(a.median_delay_windows)} windows)`}  alerts per spike ${f2(a.alerts_per_spike)}${a.early ? `  (${a.early} found before the labelled start)` : ''}`,
    ...(kinds ? [`    matched/alerts by kind: ${kinds}`] : []),
  ];
}

async function shippedScenarios(): Promise<string[]> {
  const dir = join(PROJECT_ROOT, 'scenarios');
  return (await readdir(dir))
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => join(dir, n));
}

/** A day (or more) of the four default brands at `rate` posts/s with spikes of various sizes, kinds and lengths. */
function longRun(
  i: number,
  hours: number,
  rate: number,
): { config: GeneratorConfig; from: number; to: number } {
  const seed = 1000 + i;
  const rng = new Random(seed);
  const from = Date.UTC(2025, 5, 2) + i * 86_400_000 + 17_000;
  const to = from + hours * 3_600_000;
  const brands = DEFAULT_BRANDS;
  const spikes: SpikeSpec[] = [];
  // The first spike after two hours of history; each next one after the last has long resolved.
  for (let t = from + 2 * 3_600_000 + rng.int(3_600_000); ;) {
    const durationMs = (3 + rng.int(43)) * MIN;
    if (t + durationMs > to - 10 * MIN) break;
    spikes.push({
      brand: rng.pick(brands).name,
      start: t,
      durationMs,
      volumeMultiplier: 1.5 + rng.next() * 3.5,
      negativeShare: 0.3 + rng.next() * 0.6,
    });
    t += durationMs + 90 * MIN + rng.int(3 * 3_600_000);
  }
  return { config: { seed, brands, ratePerSec: rate, dailyAmplitude: 0.5, spikes }, from, to };
}

async function generatedRun(
  name: string,
  config: GeneratorConfig,
  from: number,
  to: number,
  sentiment: SentimentScorer,
  progress: Log,
): Promise<Run> {
  const generator = new SyntheticGenerator(config);
  const pipeline = new AlertPipeline({ brands: config.brands, scorer: sentiment, windowMs: ALERT_WINDOW_MS });
  const updates: AlertUpdate[] = [];
  let shown = Date.now();
  for (let a = from; a < to; a += CHUNK_MS) {
    const batch = [];
    for (const g of generator.generate(a, Math.min(a + CHUNK_MS, to))) {
      // Re-sent copies are dropped by stage 2's de-duplication, malformed lines by ingest.
      if (g.kind !== 'social' || g.truth.copy) continue;
      batch.push(normalizeSocialEvent(g.event, g.event.ts));
    }
    updates.push(...pipeline.push(batch));
    if (Date.now() - shown >= PROGRESS_MS) {
      shown = Date.now();
      progress(`${name}: event time ${iso(a)} (${pipeline.posts.toLocaleString('en-US')} posts)`);
    }
  }
  updates.push(...pipeline.finish());
  const spikes = generator
    .spikes()
    .filter((s) => s.start < to && s.end > from)
    .map(({ brand, start, end }) => ({ brand, start, end }));
  progress(
    `${name}: ${pipeline.posts.toLocaleString('en-US')} posts, ${spikes.length} spikes, ${alertsOf(updates).length} alerts`,
  );
  return { name, alerts: alertsOf(updates), spikes, windowMs: ALERT_WINDOW_MS, posts: pipeline.posts };
}

// ---- real data -------------------------------------------------------------------------------

function listAlerts(alerts: ScoredAlert[], log: Log): void {
  if (alerts.length === 0) log('no alerts');
  for (const a of alerts)
    log(`  ${iso(a.opened_at)}  ${a.brand}  ${a.kind}  ${a.severity}  (until ${iso(a.until)})`);
}

function alertJson(alerts: ScoredAlert[]) {
  return alerts.map((a) => ({
    brand: a.brand,
    kind: a.kind,
    opened_at: iso(a.opened_at),
    severity: a.severity,
  }));
}

function skippedLine(s: Skipped, what: string): string {
  return `skipped: ${s.unreadable} unreadable lines, ${s.bad_time} rows without a readable time, ${s.bad_value} without ${what}`;
}

async function dataMode(f: Flags, log: Log, progress: Log): Promise<number> {
  const timeField = required(f['time-field'], '--time-field', '--data');
  const brandsFile = required(f.brands, '--brands FILE', '--data');
  const window = windowMs(f.window, ALERT_WINDOW_MS);
  const brands = await readBrands(resolve(brandsFile));
  const sentiment = await scorer(f.sentiment);
  const { posts, skipped } = await readPosts(resolve(f.data!), timeField, f['text-field'], progress);
  if (posts.length === 0)
    throw new UsageError(`--data: no post with a readable time and text (${skippedLine(skipped, 'a text')})`);
  progress(`replaying ${posts.length} posts, ${iso(posts[0]!.ts)} .. ${iso(posts[posts.length - 1]!.ts)}`);
  const pipeline = new AlertPipeline({ brands, scorer: sentiment, windowMs: window });
  const updates: AlertUpdate[] = [];
  let shown = Date.now();
  for (let i = 0; i < posts.length; i += 1000) {
    const batch = posts.slice(i, i + 1000).map((p, k) => postEvent(`row-${i + k}`, p.ts, p.text, 'replay'));
    updates.push(...pipeline.push(batch));
    if (Date.now() - shown >= PROGRESS_MS) {
      shown = Date.now();
      progress(`replayed ${i} of ${posts.length} posts`);
    }
  }
  updates.push(...pipeline.finish());
  const alerts = alertsOf(updates);
  log(
    `${posts.length} posts (${pipeline.unbranded} name no brand of ${brandsFile}), ${window / 1000} s windows, ${f.sentiment} sentiment`,
  );
  log(skippedLine(skipped, 'a text'));
  log(`${alerts.length} alerts would have fired:`);
  listAlerts(alerts, log);
  if (f.json)
    log(
      JSON.stringify({
        mode: 'data',
        posts: posts.length,
        unbranded: pipeline.unbranded,
        skipped,
        window_ms: window,
        alerts: alertJson(alerts),
      }),
    );
  return 0;
}

async function seriesMode(f: Flags, log: Log, progress: Log): Promise<number> {
  const timeField = required(f['time-field'], '--time-field', '--series');
  const valueField = required(f['value-field'], '--value-field', '--series');
  const file = resolve(f.series!);
  const { points, skipped } = await readSeries(file, timeField, valueField);
  if (points.length === 0)
    throw new UsageError(
      `--series: no row with a readable time and value (${skippedLine(skipped, 'a number')})`,
    );
  const window = windowMs(f.window, inferredWindow(points.map((p) => p.ts)));
  if (f.window === undefined)
    progress(`--window not given: ${window / 1000} s, the usual step of the series`);
  const brand = basename(file).replace(/\.[^.]+$/, '');
  const monitor = new SpikeMonitor({ windowMs: window });
  // Windows are aligned to the first row, so an alert opens at a row's own time.
  const origin = points[0]!.ts;
  const updates: AlertUpdate[] = [];
  let start = origin;
  let posts = 0;
  for (const p of points) {
    const s = origin + Math.floor((p.ts - origin) / window) * window;
    if (s !== start) {
      updates.push(...monitor.observe(brand, { start, posts, negative: 0 }));
      start = s;
      posts = 0;
    }
    posts += p.value;
  }
  updates.push(...monitor.observe(brand, { start, posts, negative: 0 }));
  const alerts = alertsOf(updates);
  log(
    `${points.length} rows of ${basename(file)}, ${iso(origin)} .. ${iso(points[points.length - 1]!.ts)}, ${window / 1000} s windows`,
  );
  log(skippedLine(skipped, 'a number'));
  log(`${alerts.length} alerts would have fired:`);
  listAlerts(alerts, log);
  if (f.json)
    log(
      JSON.stringify({
        mode: 'series',
        rows: points.length,
        skipped,
        window_ms: window,
        alerts: alertJson(alerts),
      }),
    );
  return 0;
}

/** The most common step between rows, in whole seconds (at least 1 s). */
function inferredWindow(ts: number[]): number {
  const steps = new Map<number, number>();
  for (let i = 1; i < ts.length; i++) {
    const d = Math.round((ts[i]! - ts[i - 1]!) / 1000) * 1000;
    if (d > 0) steps.set(d, (steps.get(d) ?? 0) + 1);
  }
  let best = ALERT_WINDOW_MS;
  let n = 0;
  for (const [d, c] of steps) if (c > n || (c === n && d < best)) [best, n] = [d, c];
  return Math.max(1000, best);
}

if (isMain(import.meta.url)) runTool('eval-alerts', USAGE, () => main(process.argv.slice(2)));
