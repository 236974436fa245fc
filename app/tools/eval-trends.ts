/**
 * Evaluates trending terms.
 *
 *   npm run eval:trends -- [--seed N] [--windows N] [--warmup N] [--rate R] [--json]
 *
 * Generates posts about the four default brands in 5-minute windows over a few days of event time
 * (the generator's daily volume curve included), injects trends at known windows (new hashtags that
 * grow, background hashtags that jump, each at a few % of the brand's posts) and decoys that must
 * not trend (a hashtag that is always frequent, one with a daily rhythm of its own), and runs the
 * posts through the path production uses: terms of the tokenized text, a TrendDetector per brand in
 * each of 4 partitions (by author), the partitions' rows of each closed window summed per brand and
 * term and judged by isTrending. One detector per brand without partitions is scored as well.
 *
 * Figures: recall (injected trends flagged within their first K windows), precision and false
 * positives per day (runs of trending windows of a term that was not injected then, counted once
 * per run), and the median detection delay in windows. With --json the last line is one JSON object.
 */
import { Random } from '../../engines/stats/index.js';
import {
  InfluencerBoard,
  isTrending,
  SpaceSaving,
  TrendDetector,
  trendOptions,
  type TrendOptions,
} from '../../engines/trends/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { partitionOf } from '../../stream/index.js';
import { isMain, numberFlag, parseFlags, runTool, type FlagOptions, type FlagValues } from '../flags.js';
import { describeScenario, runScenario, type ScenarioRunOptions } from './trend-scenario.js';
import {
  ALWAYS_TAG,
  DAILY_TAG,
  planTrends,
  trendWindows,
  WINDOW_MS,
  type InjectedTrend,
} from './trend-stream.js';

const USAGE =
  'usage: npm run eval:trends -- [--seed N] [--windows N] [--warmup N] [--rate R] [--partitions N]\n' +
  '                              [--top N] [--span N] [--peak-half-life N]\n' +
  '                              [--threshold Z] [--min-count N] [--min-ratio R] [--json]\n' +
  '       npm run eval:trends -- --scenario FILE [--windows N] [--window-minutes M] [--partitions N]\n' +
  '                              [--warmup N] [--show N] [--json]';

const OPTIONS = {
  seed: { type: 'string', default: '1' },
  windows: { type: 'string' },
  scenario: { type: 'string' },
  'window-minutes': { type: 'string', default: '5' },
  show: { type: 'string', default: '8' },
  warmup: { type: 'string' },
  rate: { type: 'string', default: '5' },
  partitions: { type: 'string', default: '4' },
  threshold: { type: 'string' },
  'min-count': { type: 'string' },
  'min-ratio': { type: 'string' },
  top: { type: 'string' },
  span: { type: 'string' },
  'peak-half-life': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

/** An injected trend counts as found when flagged within its first this many windows (an hour). */
export const WITHIN_WINDOWS = 12;
/** Flags of one term less than this many windows apart are one run (one trend, counted once). */
const RUN_GAP = 3;
const FROM = Date.UTC(2025, 5, 2);
const DAY_WINDOWS = 86_400_000 / WINDOW_MS;

type Log = (line: string) => void;

/** Per path: the windows in which each (brand, term) was flagged trending. */
type Flags = Map<string, number[]>;

interface Run {
  brand: string;
  term: string;
  first: number;
  last: number;
}

export interface PathFigures {
  recall: number | null;
  precision: number | null;
  false_positives: number;
  false_positives_per_day: number;
  median_delay_windows: number | null;
  injected: number;
  detected: number;
  trend_runs: number;
  by_kind: Record<'new' | 'jump', { injected: number; detected: number }>;
  decoy_runs: Record<string, number>;
}

export async function main(argv: readonly string[], log: Log = console.log, progress: Log = console.error) {
  const { values: f } = parseFlags(argv, OPTIONS);
  if (f.help) {
    log(USAGE);
    return 0;
  }
  if (f.scenario !== undefined) return scenarioMain(f, log, progress);
  const seed = numberFlag('seed', f.seed, { min: 0, integer: true });
  const windows = numberFlag('windows', f.windows, { min: 12, integer: true }) ?? 864;
  const warmup =
    numberFlag('warmup', f.warmup, { min: 0, integer: true }) ??
    Math.min(DAY_WINDOWS, Math.floor(windows / 3));
  const rate = numberFlag('rate', f.rate, { min: 0.1 });
  const partitions = numberFlag('partitions', f.partitions, { min: 1, integer: true });
  const options: Partial<TrendOptions> = {
    threshold: numberFlag('threshold', f.threshold, { min: 0, exclusive: true }),
    minCount: numberFlag('min-count', f['min-count'], { min: 0 }),
    minRatio: numberFlag('min-ratio', f['min-ratio'], { min: 1 }),
    spanWindows: numberFlag('span', f.span, { min: 1, integer: true }),
    peakHalfLife: numberFlag('peak-half-life', f['peak-half-life'], { min: 0 }),
  };
  // Rows each partition writes per brand and window: all (the default, unbiased sums), or the top N
  // by count and the trending ones (sums then miss the partitions where a term was not in the top).
  const top = numberFlag('top', f.top, { min: 0, integer: true });
  const o = trendOptions(options);
  const brands = DEFAULT_BRANDS;
  const injections = planTrends({ seed, windows, warmup, brands });

  const single = new Map(brands.map((b) => [b.name, new TrendDetector(o)]));
  const parts = Array.from(
    { length: partitions },
    () => new Map(brands.map((b) => [b.name, new TrendDetector(o)])),
  );
  const singleFlags: Flags = new Map();
  const partFlags: Flags = new Map();
  let posts = 0;
  let rows = 0;
  /** The reader's sums per brand and term of the last spanWindows windows, oldest first. */
  const recent: Map<string, [number, number]>[] = [];
  let adds = 0;
  let addMs = 0;
  let closeMs = 0;
  let shown = Date.now();
  const flag = (flags: Flags, brand: string, term: string, w: number) => {
    const key = `${brand}\u0000${term}`;
    const list = flags.get(key);
    if (list) list.push(w);
    else flags.set(key, [w]);
  };

  for (const { index, start, posts: batch } of trendWindows(
    { seed, windows, warmup, rate, from: FROM, brands },
    injections,
  )) {
    posts += batch.length;
    const t0 = performance.now();
    for (const p of batch) {
      const part = parts[partitionOf(p.author, partitions)]!;
      for (const brand of p.brands) {
        const s = single.get(brand)!;
        const d = part.get(brand)!;
        for (const term of p.terms) {
          s.add(term);
          d.add(term);
        }
        adds += 2 * p.terms.length;
      }
    }
    const t1 = performance.now();
    for (const [brand, d] of single)
      for (const row of d.closeWindow()) if (row.trending) flag(singleFlags, brand, row.term, index);
    // Production: each partition writes its rows; the reader sums count and baseline per brand and
    // term, and judges the latest window's sums and the sums of the last spanWindows windows.
    const sums = new Map<string, [number, number]>();
    let warm = true;
    for (const part of parts)
      for (const [brand, d] of part) {
        warm &&= d.warm;
        const written = d.closeWindow(top);
        rows += written.length;
        for (const row of written) {
          const key = `${brand}\u0000${row.term}`;
          const s = sums.get(key);
          if (s) {
            s[0] += row.count;
            s[1] += row.baseline;
          } else sums.set(key, [row.count, row.baseline]);
        }
      }
    recent.push(sums);
    if (recent.length > o.spanWindows) recent.shift();
    if (warm)
      for (const [key, [count, baseline]] of sums) {
        let trending = isTrending(count, baseline, o);
        if (!trending && recent.length > 1) {
          let c = 0;
          let b = 0;
          for (const w of recent) {
            const r = w.get(key);
            if (r) {
              c += r[0];
              b += r[1];
            }
          }
          trending = isTrending(c, b, o, recent.length);
        }
        if (trending) {
          const [brand, term] = key.split('\u0000') as [string, string];
          flag(partFlags, brand, term, index);
        }
      }
    closeMs += performance.now() - t1;
    addMs += t1 - t0;
    if (Date.now() - shown >= 5_000) {
      shown = Date.now();
      progress(`window ${index + 1}/${windows} (${new Date(start).toISOString()}), ${posts} posts`);
    }
  }

  const days = ((windows - warmup) * WINDOW_MS) / 86_400_000;
  const prod = score(partFlags, injections, warmup, days);
  const alone = score(singleFlags, injections, warmup, days);
  const bench = microBench(seed);
  const throughput = {
    trend_adds: adds,
    trend_adds_per_sec: Math.round(adds / (addMs / 1000)),
    close_ms_per_window: Number((closeMs / windows).toFixed(2)),
    rows_per_partition_brand_window: Number((rows / windows / partitions / brands.length).toFixed(1)),
    ...bench,
  };

  const news = injections.filter((t) => t.kind === 'new').length;
  const shares = injections.map((t) => t.peakShare * 100);
  const lines = [
    `eval:trends seed ${seed}: ${windows} windows of 5 min (${((windows * WINDOW_MS) / 86_400_000).toFixed(1)} days, the first ${warmup} windows warm-up), ${rate} posts/s, ${brands.length} brands, ${posts.toLocaleString('en-US')} posts`,
    `  injected ${injections.length} trends (${news} new hashtags, ${injections.length - news} jumps of a 0.3% background hashtag), peak ${shares.length ? `${Math.min(...shares).toFixed(1)}-${Math.max(...shares).toFixed(1)}` : 'n/a'}% of the brand's posts; decoys ${ALWAYS_TAG} (5% always), ${DAILY_TAG} (daily rhythm, peak 08:00 UTC)`,
    `  partition rows: ${top === undefined ? 'every term tracked or expected (closeWindow())' : `the top ${top} and the trending ones (closeWindow(${top}))`}; options: minCount ${o.minCount}, minRatio ${o.minRatio}, threshold ${o.threshold}, prior ${o.prior}, spanWindows ${o.spanWindows}, capacity ${o.capacity}, baseline half-life ${o.baselineHalfLife} windows, peak half-life ${o.peakHalfLife} windows; found = flagged within ${WITHIN_WINDOWS} windows`,
    ...describe(`${partitions} partitions by author, rows summed, isTrending on the sums (production)`, prod),
    ...describe('one detector per brand (no partitions)', alone),
    ...missed(prod, partFlags, injections),
    ...falsePositives(partFlags, injections, warmup),
    `  throughput: TrendDetector.add ${throughput.trend_adds_per_sec.toLocaleString('en-US')}/s over ${adds.toLocaleString('en-US')} adds, closeWindow ${throughput.close_ms_per_window} ms per window (all brands and partitions), ${throughput.rows_per_partition_brand_window} rows per partition, brand and window`,
    `              SpaceSaving(200).add ${bench.space_saving_adds_per_sec.toLocaleString('en-US')}/s on Pareto(1.1) keys up to 1M, InfluencerBoard(100).add ${bench.influencer_adds_per_sec.toLocaleString('en-US')}/s`,
  ];
  for (const l of lines) log(l);
  if (f.json)
    log(
      JSON.stringify({
        seed,
        windows,
        warmup,
        rate,
        partitions,
        rows_written: top === undefined ? 'all' : `top ${top}`,
        posts,
        within_windows: WITHIN_WINDOWS,
        days_scored: Number(days.toFixed(3)),
        ...prod,
        single: alone,
        injections: injections.map((t) => ({ ...t, peakShare: Number(t.peakShare.toFixed(4)) })),
        throughput,
      }),
    );
  return 0;
}

/** --scenario: a scenario's own traffic, nothing injected; every trending flag after the warm-up is listed. */
async function scenarioMain(f: FlagValues<typeof OPTIONS>, log: Log, progress: Log): Promise<number> {
  const windows = numberFlag('windows', f.windows, { min: 1, integer: true }) ?? 72;
  const o: ScenarioRunOptions = {
    file: f.scenario!,
    windows,
    windowMs: numberFlag('window-minutes', f['window-minutes'], { min: 1, integer: true })! * 60_000,
    partitions: numberFlag('partitions', f.partitions, { min: 1, integer: true })!,
    start: FROM,
    warmup: numberFlag('warmup', f.warmup, { min: 0, integer: true }) ?? trendOptions().warmupWindows,
    show: numberFlag('show', f.show, { min: 0, integer: true })!,
  };
  const figures = await runScenario(o, progress);
  for (const l of describeScenario(figures, o)) log(l);
  if (f.json) {
    const { per_window: _w, ...summary } = figures;
    log(JSON.stringify(summary));
  }
  return 0;
}

function runsOf(flags: Flags, warmup: number): Run[] {
  const runs: Run[] = [];
  for (const [key, ws] of flags) {
    const [brand, term] = key.split('\u0000') as [string, string];
    let run: Run | undefined;
    for (const w of ws) {
      if (w < warmup) continue;
      if (run && w - run.last <= RUN_GAP) run.last = w;
      else runs.push((run = { brand, term, first: w, last: w }));
    }
  }
  return runs.sort((a, b) => a.first - b.first || (a.brand < b.brand ? -1 : 1) || (a.term < b.term ? -1 : 1));
}

/** The injection a run belongs to: same brand and tag, overlapping the trend (or its first K windows after it). */
function injectionOf(r: Run, injections: readonly InjectedTrend[]): InjectedTrend | undefined {
  return injections.find(
    (t) => t.brand === r.brand && t.tag === r.term && r.first < t.end + WITHIN_WINDOWS && r.last >= t.start,
  );
}

function firstFlag(flags: Flags, t: InjectedTrend): number | undefined {
  return flags.get(`${t.brand}\u0000${t.tag}`)?.find((w) => w >= t.start && w < t.start + WITHIN_WINDOWS);
}

export function score(
  flags: Flags,
  injections: readonly InjectedTrend[],
  warmup: number,
  days: number,
): PathFigures {
  const delays: number[] = [];
  const byKind = { new: { injected: 0, detected: 0 }, jump: { injected: 0, detected: 0 } };
  for (const t of injections) {
    byKind[t.kind].injected++;
    const w = firstFlag(flags, t);
    if (w === undefined) continue;
    byKind[t.kind].detected++;
    delays.push(w - t.start);
  }
  const runs = runsOf(flags, warmup);
  const fps = runs.filter((r) => !injectionOf(r, injections));
  const decoys: Record<string, number> = { [ALWAYS_TAG]: 0, [DAILY_TAG]: 0 };
  for (const r of fps) if (r.term in decoys) decoys[r.term]!++;
  return {
    recall: injections.length ? delays.length / injections.length : null,
    precision: runs.length ? (runs.length - fps.length) / runs.length : null,
    false_positives: fps.length,
    false_positives_per_day: days > 0 ? Number((fps.length / days).toFixed(3)) : 0,
    median_delay_windows: median(delays),
    injected: injections.length,
    detected: delays.length,
    trend_runs: runs.length,
    by_kind: byKind,
    decoy_runs: decoys,
  };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const f2 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));

function describe(name: string, a: PathFigures): string[] {
  return [
    `  ${name}:`,
    `    recall ${f2(a.recall)} (${a.detected}/${a.injected}: new ${a.by_kind.new.detected}/${a.by_kind.new.injected}, jumps ${a.by_kind.jump.detected}/${a.by_kind.jump.injected})  precision ${f2(a.precision)} (${a.trend_runs} runs)  false positives ${a.false_positives} (${a.false_positives_per_day.toFixed(2)}/day; decoys ${ALWAYS_TAG} ${a.decoy_runs[ALWAYS_TAG]}, ${DAILY_TAG} ${a.decoy_runs[DAILY_TAG]})  median delay ${a.median_delay_windows ?? 'n/a'} windows`,
  ];
}

const hhmm = (w: number) => new Date(FROM + w * WINDOW_MS).toISOString().slice(5, 16).replace('T', ' ');

function missed(a: PathFigures, flags: Flags, injections: readonly InjectedTrend[]): string[] {
  const out = injections
    .filter((t) => firstFlag(flags, t) === undefined)
    .map(
      (t) =>
        `    missed: ${t.brand} ${t.tag} (${t.kind}) from ${hhmm(t.start)}, ramp ${t.ramp}, peak ${(t.peakShare * 100).toFixed(1)}%`,
    );
  return a.detected < a.injected ? out : [];
}

function falsePositives(flags: Flags, injections: readonly InjectedTrend[], warmup: number): string[] {
  const fps = runsOf(flags, warmup).filter((r) => !injectionOf(r, injections));
  const shown = fps
    .slice(0, 10)
    .map(
      (r) => `    false positive: ${r.brand} ${r.term} at ${hhmm(r.first)} (${r.last - r.first + 1} windows)`,
    );
  return fps.length > 10 ? [...shown, `    … and ${fps.length - 10} more`] : shown;
}

/** add() throughput of the sketches on their own: 500k heavy-tailed (Pareto 1.1) keys up to a million. */
function microBench(seed: number): { space_saving_adds_per_sec: number; influencer_adds_per_sec: number } {
  const rng = new Random(seed);
  const n = 500_000;
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(`k${Math.floor(rng.pareto(1, 1.1)) % 1_000_000}`);
  const followers = keys.map(() => Math.round(rng.pareto(20, 1.1)));
  const ss = new SpaceSaving(200);
  let t0 = performance.now();
  for (const k of keys) ss.add(k);
  const ssRate = n / ((performance.now() - t0) / 1000);
  const board = new InfluencerBoard(100);
  t0 = performance.now();
  for (let i = 0; i < n; i++) board.add(keys[i]!, followers[i]!, i % 7);
  const boardRate = n / ((performance.now() - t0) / 1000);
  return {
    space_saving_adds_per_sec: Math.round(ssRate),
    influencer_adds_per_sec: Math.round(boardRate),
  };
}

if (isMain(import.meta.url)) runTool('eval-trends', USAGE, () => main(process.argv.slice(2)));
