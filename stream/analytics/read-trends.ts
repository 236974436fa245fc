import { DEFAULT_TREND_OPTIONS, isTrending, trendScore } from '../../engines/trends/trending.js';
import type { Store } from '../store/store.js';
import { finalWindows, num, round, settledRows, startFilter, type TimeRange } from './read-common.js';
import { TREND_WINDOWS_TABLE, type TrendWindowRow } from './tables.js';

/**
 * A brand's trending terms. Each partition writes, per window, its top terms with their counts and
 * the baselines its detector expected; a term is scored on the sums over the partitions (one
 * partition sees only its authors' share of a burst), by engines/trends `trendScore` / `isTrending`.
 */

export interface TrendTermView {
  term: string;
  /** Mentions in the window, over the partitions. */
  count: number;
  /** What the term's history expected, over the partitions. */
  baseline: number;
  /** Poisson-style z of count against baseline. */
  score: number;
  trending: boolean;
}

export interface TrendWindowView {
  start: number;
  end: number;
  /** Every partition that wrote this window has closed it. */
  final: boolean;
  /** Best score first. */
  terms: TrendTermView[];
}

export interface TrendsView {
  window_ms: number | null;
  /** The latest window first. */
  windows: TrendWindowView[];
}

/** Windows a term's burst may be spread over (the engine's default `spanWindows`). */
export const TREND_SPAN = DEFAULT_TREND_OPTIONS.spanWindows;

/** Terms per window returned at most, by default. */
export const DEFAULT_TREND_TERMS = 25;

/**
 * Scores a brand's settled trend rows per window: sums over partitions, then score. Pure. Windows
 * whose start lies outside `answer` are history only: they count in the span of the windows after
 * them (a window's last TREND_SPAN windows), but are not returned.
 */
export function scoreTrends(
  rows: readonly TrendWindowRow[],
  termsPerWindow = DEFAULT_TREND_TERMS,
  answer: TimeRange = { from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY },
): TrendWindowView[] {
  const finals = finalWindows(rows);
  const windows = new Map<number, { end: number; cold: boolean; terms: Map<string, [number, number]> }>();
  for (const r of rows) {
    let w = windows.get(r.start);
    if (!w) windows.set(r.start, (w = { end: r.start + r.size_ms, cold: false, terms: new Map() }));
    // a partition whose detector was still learning its baselines: the window's sums say nothing yet
    if (r.warm === 0) w.cold = true;
    const t = w.terms.get(r.term) ?? [0, 0];
    t[0] += Math.max(0, num(r.count));
    t[1] += Math.max(0, num(r.baseline));
    w.terms.set(r.term, t);
  }
  // A term also trends when its last TREND_SPAN windows together pass (engines/trends `spanWindows`):
  // a burst spread over windows is found sooner than by any one of them.
  const spanOf = (start: number, size: number, term: string): [number, number] | undefined => {
    let count = 0;
    let baseline = 0;
    for (let k = 0; k < TREND_SPAN; k++) {
      const w = windows.get(start - k * size);
      if (!w) return undefined;
      const t = w.terms.get(term);
      count += t?.[0] ?? 0;
      baseline += t?.[1] ?? 0;
    }
    return [count, baseline];
  };
  return [...windows]
    .filter(([start]) => start >= answer.from && start < answer.to)
    .sort((a, b) => b[0] - a[0])
    .map(([start, w]) => ({
      start,
      end: w.end,
      final: finals.get(start) ?? false,
      terms: [...w.terms]
        .map(([term, [count, baseline]]) => {
          const span = spanOf(start, w.end - start, term);
          return {
            term,
            count: round(count),
            baseline: round(baseline),
            score: round(trendScore(count, baseline)),
            trending:
              !w.cold &&
              (isTrending(count, baseline) ||
                (span !== undefined && isTrending(span[0], span[1], undefined, TREND_SPAN))),
          };
        })
        .sort(
          (a, b) =>
            b.score - a.score || b.count - a.count || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0),
        )
        .slice(0, Math.max(0, termsPerWindow)),
    }));
}

/**
 * A brand's (by name) trend windows in a range, the latest first. The windows are scored with the
 * TREND_SPAN - 1 windows before `from` as history, so a window's `trending` does not depend on where
 * the range starts. Two store reads: the range, and (once the rows tell the window size) the
 * history before it.
 */
export async function readTrends(
  store: Store,
  brand: string,
  range: TimeRange,
  termsPerWindow = DEFAULT_TREND_TERMS,
): Promise<TrendsView> {
  const settled = settledRows(
    await store.read(TREND_WINDOWS_TABLE, { brand, start: startFilter(range) }),
    undefined,
    { whole: true },
  );
  const { sizeMs } = settled;
  let history: TrendWindowRow[] = [];
  if (sizeMs !== null && TREND_SPAN > 1 && Number.isFinite(range.from)) {
    // Only rows of the range's window size: rows of another size (before a restart with another
    // --analytics-window) neither count nor change the size the range's rows decided.
    const rows = await store.read(TREND_WINDOWS_TABLE, {
      brand,
      start: { gte: range.from - (TREND_SPAN - 1) * sizeMs, lt: range.from },
    });
    history = settledRows(
      rows.filter((r) => r.size_ms === sizeMs),
      undefined,
      { whole: true },
    ).rows;
  }
  return {
    window_ms: sizeMs,
    windows: scoreTrends([...history, ...settled.rows], termsPerWindow, range),
  };
}
