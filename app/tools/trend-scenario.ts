/**
 * Trending terms of a scenario's steady traffic (`npm run eval:trends -- --scenario FILE`): the
 * synthetic generator's posts of a scenario (default: scenarios/default.json, what `npm start` runs),
 * through the path production takes: stage 1's tokens and brand matches, partitions by author, per
 * partition and brand the trends operator's sketch of each analytics window (Space-Saving,
 * TREND_CAPACITY terms) closed into the brand's TrendDetector (`closeTrendWindow`), the rows written
 * and read back as the API reads them (`scoreTrends`: sums over the partitions, the span of the last
 * windows). Nothing is injected: a steady scenario should show no trending term except where its
 * spikes or topic phases change what is said. Prints, per window, the terms flagged trending.
 */
import { BrandMatcher, STOPWORDS, tokenize } from '../../engines/text/index.js';
import { SpaceSaving, TrendDetector, trendTerms } from '../../engines/trends/index.js';
import { loadScenario, resolveScenario, SyntheticGenerator } from '../../ingest/synthetic/index.js';
import { partitionOf } from '../../stream/index.js';
import { scoreTrends, TREND_SPAN } from '../../stream/analytics/read-trends.js';
import type { TrendWindowRow } from '../../stream/analytics/tables.js';
import { closeTrendWindow, TREND_CAPACITY } from '../../stream/operators/trends.js';

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
  const detectors = Array.from({ length: o.partitions }, () => new Map<string, TrendDetector>());
  const rows: TrendWindowRow[] = [];
  const out: ScenarioWindow[] = [];
  const termFlags = new Map<string, number>();
  let posts = 0;
  let inWarmup = 0;
  let afterWarmup = 0;
  let brandWindows = 0;
  let withTrends = 0;
  // Per window start: per partition and brand, the operator's sketch. Posts may carry a ts up to 3 s
  // before they are generated: a window is closed once the next one has been generated.
  const open = new Map<number, Map<string, SpaceSaving>[]>();
  const postsOf = new Map<number, Record<string, number>>();
  const sketches = (w: number) => {
    let s = open.get(w);
    if (!s) {
      open.set(w, (s = Array.from({ length: o.partitions }, () => new Map())));
      postsOf.set(w, {});
    }
    return s;
  };
  const first = o.start;
  let shown = Date.now();
  for (let w = 0; w <= o.windows; w++) {
    const from = first + w * o.windowMs;
    if (w < o.windows)
      for (const g of generator.generate(from, from + o.windowMs)) {
        if (g.kind !== 'social') continue;
        const e = g.event;
        const at = Math.floor((e.ts - first) / o.windowMs);
        if (at < Math.max(0, w - 1) || at > w) continue;
        const tokens = tokenize(e.text);
        const matched = matcher.match(e.text, tokens);
        if (matched.length === 0) continue;
        const terms = trendTerms(tokens, STOPWORDS, matcher.mentionMask(tokens));
        const part = sketches(at)[partitionOf(e.author.id, o.partitions)]!;
        const counted = postsOf.get(at)!;
        for (const brand of matched) {
          counted[brand] = (counted[brand] ?? 0) + 1;
          if (terms.length === 0) continue;
          let s = part.get(brand);
          if (!s) part.set(brand, (s = new SpaceSaving(TREND_CAPACITY)));
          for (const t of terms) s.add(t);
        }
        posts++;
      }
    if (w === 0) continue;
    const index = w - 1;
    const start = first + index * o.windowMs;
    const parts = sketches(index);
    for (let p = 0; p < o.partitions; p++)
      for (const { name: brand } of brands) {
        let d = detectors[p]!.get(brand);
        if (!d) detectors[p]!.set(brand, (d = new TrendDetector()));
        const counts = parts[p]!.get(brand) ?? new SpaceSaving(TREND_CAPACITY);
        const warm = d.warm ? 1 : 0;
        for (const r of closeTrendWindow(d, counts))
          rows.push({
            brand,
            term: r.term,
            count: r.count,
            baseline: r.baseline,
            warm,
            start,
            size_ms: o.windowMs,
            partition: p,
            final: 1,
            version: 1,
          });
      }
    open.delete(index);
    // Read as the API does: this window with the TREND_SPAN - 1 before it as history.
    const history = rows.filter((r) => r.start > start - TREND_SPAN * o.windowMs);
    rows.length = 0;
    rows.push(...history);
    const win: ScenarioWindow = { index, start, posts: postsOf.get(index) ?? {}, trending: {} };
    postsOf.delete(index);
    for (const { name: brand } of brands) {
      const [view] = scoreTrends(
        history.filter((r) => r.brand === brand),
        Number.MAX_SAFE_INTEGER,
        { from: start, to: start + o.windowMs },
      );
      const flagged = (view?.terms ?? [])
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
    if (Date.now() - shown >= 5_000) {
      shown = Date.now();
      progress(`window ${index + 1}/${o.windows}, ${posts} posts`);
    }
  }
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
    `eval:trends --scenario ${f.scenario}: ${f.windows} windows of ${minutes} min from ${new Date(o.start).toISOString()}, ${o.partitions} partitions by author, ${f.posts.toLocaleString('en-US')} brand posts; operator sketches of ${TREND_CAPACITY} terms, rows read by scoreTrends`,
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
