/**
 * Trending terms of a scenario's steady traffic (`npm run eval:trends -- --scenario FILE`): the
 * synthetic generator's posts of a scenario (default: scenarios/default.json, what `npm start` runs)
 * through stage 2's trends operator itself, as the running app runs it, without a bus: each second
 * of generated traffic is one batch (the synthetic source's chunk), its posts checked and
 * normalized as ingest does, partitioned by author (`partitionOf`, as ingest publishes them), and
 * per partition de-duplicated (`DedupIndex`), enriched (`enrichEvent`: stage 1's tokens and brand
 * matches) and folded into a `PartitionOperators` host of the registry's `trends` operator
 * (`selectOperators`), with the app's default watermark, lateness, dedup and trend warm-up settings;
 * after each batch the host's rows (open windows' updates and final rows, `warm` included) go into
 * the embedded default's store (`MemoryStore`). Once every partition's watermark has closed a
 * window, it is read back as the API reads it (`readTrends`: sums over the partitions, the span of
 * the last windows, no trending term while a partition was warming up). The last window is closed
 * by moving the watermarks past it, as time passing would.
 *
 * Nothing is injected: a steady scenario should show no trending term except where its spikes or
 * topic phases change what is said. Prints, per window, the terms flagged trending.
 */
import type { SentimentScorer } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { loadScenario, resolveScenario, SyntheticGenerator } from '../../ingest/synthetic/index.js';
import {
  DedupIndex,
  enrichEvent,
  eventKey,
  MemoryStore,
  PartitionOperators,
  partitionOf,
  readTrends,
  selectOperators,
  SentimentTiers,
  validateSocialEvent,
  type SocialEvent,
  type TableSpec,
} from '../../stream/index.js';
import { TREND_CAPACITY } from '../../stream/operators/trends.js';
import { loadConfig } from '../config.js';

export interface ScenarioRunOptions {
  file: string;
  /** Windows run (from the scenario's start). */
  windows: number;
  /** Analytics window, ms. */
  windowMs: number;
  partitions: number;
  /** ms epoch the scenario starts at (its relative times count from here). */
  start: number;
  /** Windows not counted in the summary (the detectors' warm-up). */
  warmup: number;
  /** Terms shown per window. */
  show: number;
}

export interface ScenarioWindow {
  index: number;
  start: number;
  /** Posts of the window per brand. */
  posts: Record<string, number>;
  /** Per brand: the trending terms with count and baseline (sums over the partitions). */
  trending: Record<string, { term: string; count: number; baseline: number }[]>;
}

export interface ScenarioFigures {
  scenario: string;
  windows: number;
  warmup: number;
  posts: number;
  /** Trending (brand, term, window) flags in the first `warmup` windows and after them. */
  flags_in_warmup: number;
  flags_after_warmup: number;
  /** After the warm-up: windows of a brand with at least one trending term, of all brand windows. */
  brand_windows_with_trends: number;
  brand_windows: number;
  /** After the warm-up: trending flags per term (brand/term), most first. */
  terms: [string, number][];
  per_window: ScenarioWindow[];
}

/** Generated traffic per batch (ms): the synthetic source's default chunk. */
const BATCH_MS = 1_000;

/**
 * Sentiment is not scored: the trends operator does not read it, and every post gets the same
 * neutral label. (Enrichment still finds tokens and brands as stage 1 does.)
 */
const UNSCORED: SentimentScorer = {
  model: 'unscored',
  score: () => ({ label: 'neutral', score: 0 }),
};

/** The app's defaults for what the trends operator is run with (`pulsewatch start` without flags). */
function appDefaults() {
  const c = loadConfig([], {});
  return {
    outOfOrdernessMs: c.outOfOrdernessMs,
    allowedLatenessMs: c.allowedLatenessMs,
    dedupWindowMs: c.dedupWindowSeconds * 1000,
    trendWarmupWindows: c.trendWarmupWindows,
  };
}

export async function runScenario(
  o: ScenarioRunOptions,
  progress: (line: string) => void = () => {},
): Promise<ScenarioFigures> {
  const scenario = await loadScenario(o.file);
  const resolved = resolveScenario(scenario, o.start, o.start);
  const config = resolved.config;
  const brands = config.brands;
  const generator = new SyntheticGenerator(config);
  const matcher = new BrandMatcher(brands);
  const scorer = new SentimentTiers({ fast: UNSCORED, languageCheck: false });
  const settings = appDefaults();
  const operators = selectOperators(['trends']);
  const parts = Array.from({ length: o.partitions }, (_, partition) => ({
    host: new PartitionOperators({
      partition,
      windows: [],
      outOfOrdernessMs: settings.outOfOrdernessMs,
      allowedLatenessMs: settings.allowedLatenessMs,
      brands,
      analytics: { windowMs: o.windowMs, trendWarmupWindows: settings.trendWarmupWindows },
      operators,
    }),
    dedup: new DedupIndex(settings.dedupWindowMs),
    batch: [] as SocialEvent[],
  }));
  const store = new MemoryStore();
  let version = 0;
  let batches = 0;
  // Every partition's rows since its last emit, into the store (versions grow with each emit).
  const emit = async () => {
    for (const { host } of parts)
      // a write pairs a table with its own rows; the spec's row type is erased (as stage 2 writes)
      for (const w of host.emit(++version).writes)
        await store.write(w.table as TableSpec<{ version: number }>, w.rows);
  };

  const first = o.start;
  const end = first + o.windows * o.windowMs;
  const postsOf = Array.from({ length: o.windows }, () => ({}) as Record<string, number>);
  const out: ScenarioWindow[] = [];
  const termFlags = new Map<string, number>();
  let posts = 0;
  let inWarmup = 0;
  let afterWarmup = 0;
  let brandWindows = 0;
  let withTrends = 0;
  let next = 0; // the next window to read
  // Reads the windows every partition's watermark has closed (final at end + allowed lateness); a
  // partition that has had no post yet has no rows to wait for.
  const readClosed = async () => {
    const marks = parts.map((p) => p.host.watermark.current).filter((w) => Number.isFinite(w));
    if (marks.length === 0) return;
    const watermark = Math.min(...marks);
    for (; next < o.windows; next++) {
      const index = next;
      const start = first + index * o.windowMs;
      if (start + o.windowMs + settings.allowedLatenessMs > watermark) break;
      const win: ScenarioWindow = { index, start, posts: postsOf[index]!, trending: {} };
      for (const { name: brand } of brands) {
        const { windows } = await readTrends(
          store,
          brand,
          { from: start, to: start + o.windowMs },
          Number.MAX_SAFE_INTEGER,
        );
        const flagged = (windows[0]?.terms ?? [])
          .filter((t) => t.trending)
          .map(({ term, count, baseline }) => ({ term, count, baseline }));
        win.trending[brand] = flagged;
        if (index < o.warmup) inWarmup += flagged.length;
        else {
          afterWarmup += flagged.length;
          brandWindows++;
          if (flagged.length > 0) withTrends++;
          for (const t of flagged) {
            const key = `${brand}/${t.term}`;
            termFlags.set(key, (termFlags.get(key) ?? 0) + 1);
          }
        }
      }
      out.push(win);
    }
  };

  let shown = Date.now();
  for (let from = first; from < end; from += BATCH_MS) {
    const to = Math.min(end, from + BATCH_MS);
    // Ingest: valid posts (malformed lines are refused), to the partition of their author.
    for (const g of generator.generate(from, to)) {
      if (g.kind !== 'social') continue;
      const checked = validateSocialEvent(g.event, to);
      if (!checked.ok) continue;
      parts[partitionOf(checked.value.author.id, o.partitions)]!.batch.push(checked.value);
    }
    // Stage 2, per partition: one batch (one bus message), repeats dropped, enriched, folded.
    batches++;
    for (const p of parts) {
      p.dedup.advance(batches, to);
      for (const e of p.batch) {
        if (p.dedup.seen(eventKey(e))) continue;
        const enriched = enrichEvent(e, matcher, scorer);
        const late = p.host.fold(enriched);
        const index = Math.floor((e.ts - first) / o.windowMs);
        if (enriched.brands.length === 0 || late.length > 0 || index < 0 || index >= o.windows) continue;
        const counted = postsOf[index]!;
        for (const brand of enriched.brands) counted[brand] = (counted[brand] ?? 0) + 1;
        posts++;
      }
      p.batch.length = 0;
    }
    await emit();
    await readClosed();
    if (Date.now() - shown >= 5_000) {
      shown = Date.now();
      progress(`window ${Math.floor((to - first) / o.windowMs) + 1}/${o.windows}, ${posts} posts`);
    }
  }
  // The end of the run: time passes until the last window is final.
  for (const { host } of parts) host.watermark.advanceTo(end + settings.allowedLatenessMs);
  await emit();
  await readClosed();

  return {
    scenario: resolved.name,
    windows: o.windows,
    warmup: o.warmup,
    posts,
    flags_in_warmup: inWarmup,
    flags_after_warmup: afterWarmup,
    brand_windows_with_trends: withTrends,
    brand_windows: brandWindows,
    terms: [...termFlags].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    per_window: out,
  };
}

/** The report's lines: a summary, then per window and brand the trending terms (at most `show`). */
export function describeScenario(f: ScenarioFigures, o: ScenarioRunOptions): string[] {
  const minutes = o.windowMs / 60_000;
  const lines = [
    `eval:trends --scenario ${f.scenario}: ${f.windows} windows of ${minutes} min from ${new Date(o.start).toISOString()}, ${o.partitions} partitions by author, ${f.posts.toLocaleString('en-US')} brand posts; the trends operator (sketches of ${TREND_CAPACITY} terms), rows read by readTrends`,
    `  first ${f.warmup} windows (warm-up): ${f.flags_in_warmup} trending flags`,
    `  after: ${f.flags_after_warmup} trending flags; ${f.brand_windows_with_trends} of ${f.brand_windows} brand windows with a trending term`,
    `  terms flagged after the warm-up (brand/term windows): ${f.terms.length ? f.terms.map(([t, n]) => `${t} ${n}`).join(', ') : 'none'}`,
  ];
  for (const w of f.per_window) {
    const at = new Date(w.start).toISOString().slice(11, 16);
    for (const [brand, terms] of Object.entries(w.trending)) {
      if (terms.length === 0) continue;
      const shown = terms
        .slice(0, o.show)
        .map((t) => `${t.term} ${t.count}/${t.baseline.toFixed(1)}`)
        .join(', ');
      const more = terms.length > o.show ? `, … ${terms.length - o.show} more` : '';
      lines.push(
        `    window ${w.index} (${at}) ${brand} (${w.posts[brand] ?? 0} posts): ${terms.length} trending: ${shown}${more}`,
      );
    }
  }
  return lines;
}
