import type { WindowedRow } from './tables.js';

/**
 * What every reader of the analytics tables shares: the time range of a read, the rule that picks a
 * window's rows (the highest `final` of each partition), their sums per window, and numbers made
 * safe for JSON.
 */

/** Windows whose start lies in [from, to), ms since the epoch; either end may be infinite. */
export interface TimeRange {
  from: number;
  to: number;
}

/** The store filter of a range on `start` (infinite ends left out). */
export function startFilter(range: TimeRange): { gte?: number; lt?: number } {
  return {
    ...(Number.isFinite(range.from) && { gte: range.from }),
    ...(Number.isFinite(range.to) && { lt: range.to }),
  };
}

/** A number as counted: not finite is 0. */
export function num(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : 0;
}

/** a / b, or null when b is not above 0 (or the result is not finite). */
export function ratio(a: number, b: number): number | null {
  if (!(b > 0)) return null;
  const r = a / b;
  return Number.isFinite(r) ? r : null;
}

/**
 * The window size the rows were written with lately (a restart with another `--analytics-window`
 * leaves rows of the old size behind, which must not be added to the new ones). Versions count per
 * partition, so each partition's latest row (highest version) says the size it writes now; when
 * partitions disagree (some have not written since the restart), the one whose latest row has the
 * latest window start wins, ties to the higher version. null without rows.
 */
export function currentWindowSize(rows: readonly WindowedRow[]): number | null {
  const latest = new Map<number, WindowedRow>();
  for (const r of rows) {
    const l = latest.get(r.partition);
    if (!l || r.version > l.version) latest.set(r.partition, r);
  }
  let best: WindowedRow | undefined;
  for (const r of latest.values())
    if (!best || r.start > best.start || (r.start === best.start && r.version > best.version)) best = r;
  return best ? best.size_ms : null;
}

/**
 * The rows a reader adds up: those of the current window size and, per group (`groupOf`, e.g. the
 * brand), partition and window start, only the rows of the highest `final` present. A final row
 * set replaces the update rows of its window, which may name a term or author it no longer holds.
 * With `whole` (an analysis that writes a window's whole row set each time: its top authors, its
 * tracked terms), only the rows of the latest write count: an author or term that dropped out of
 * an open window's list keeps no stale row.
 * In one order whatever the store's (window start, group, partition, version), so that sums of
 * floating-point columns come out the same from every store.
 */
export function settledRows<R extends WindowedRow>(
  rows: readonly R[],
  groupOf: (row: R) => string = () => '',
  options: { whole?: boolean } = {},
): { sizeMs: number | null; rows: R[] } {
  const sizeMs = currentWindowSize(rows);
  const sized = rows.filter((r) => r.size_ms === sizeMs);
  const key = (r: R) => `${groupOf(r)}\u0000${r.partition}\u0000${r.start}`;
  // The latest write per key: the highest final, then (whole) the highest version of it.
  const highest = new Map<string, [final: number, version: number]>();
  for (const r of sized) {
    const k = key(r);
    const h = highest.get(k);
    if (!h || r.final > h[0] || (r.final === h[0] && r.version > h[1])) highest.set(k, [r.final, r.version]);
  }
  const settled = sized.filter((r) => {
    const [final, version] = highest.get(key(r))!;
    return r.final === final && (!options.whole || r.version === version);
  });
  const group = new Map(settled.map((r) => [r, groupOf(r)]));
  settled.sort((a, b) => {
    const ga = group.get(a)!;
    const gb = group.get(b)!;
    return (
      a.start - b.start ||
      (ga < gb ? -1 : ga > gb ? 1 : 0) ||
      a.partition - b.partition ||
      a.version - b.version
    );
  });
  return { sizeMs, rows: settled };
}

/** Counted columns added up, and the mean sentiment behind them (null without posts). */
export type CountSums<K extends string> = Record<K, number> & { sentiment_mean: number | null };

/** One window's sums: [start, end) in ms since the epoch. */
export type WindowSums<K extends string> = { start: number; end: number } & CountSums<K>;

/** The posts of a row its mean sentiment is over: those with a score (`scored`; a row without it, all of `posts`). */
export function scoredOf(row: { scored?: number }, posts: number): number {
  return row.scored === undefined ? posts : num(row.scored);
}

/**
 * Adds settled rows up per window and over the range: the `counts` columns (not finite: 0), and the
 * mean sentiment, sentiment_sum / the posts with a score (`scored`; the `per` column, `posts` or
 * `docs`, in rows without it: posts in an unsupported language are never in the mean). Rows are added in
 * the order given, so the same rows in the same order give the same floating-point sums. Windows
 * come oldest first.
 */
export function sumWindows<
  K extends string,
  R extends WindowedRow & Record<K, number> & { sentiment_sum: number; scored?: number },
>(rows: Iterable<R>, counts: readonly K[], per: K): { total: CountSums<K>; windows: WindowSums<K>[] } {
  const zero = () => Object.fromEntries(counts.map((k) => [k, 0])) as Record<K, number>;
  type Acc = { sums: Record<K, number>; sentiment: number; scored: number };
  const total: Acc = { sums: zero(), sentiment: 0, scored: 0 };
  const windows = new Map<number, Acc & { end: number }>();
  for (const r of rows) {
    let w = windows.get(r.start);
    if (!w) windows.set(r.start, (w = { end: r.start + r.size_ms, sums: zero(), sentiment: 0, scored: 0 }));
    for (const t of [w, total]) {
      for (const k of counts) t.sums[k] += num(r[k]);
      t.sentiment += num(r.sentiment_sum);
      t.scored += scoredOf(r, num(r[per]));
    }
  }
  const mean = (t: Acc): CountSums<K> => ({
    ...t.sums,
    sentiment_mean: ratio(t.sentiment, t.scored),
  });
  return {
    total: mean(total),
    windows: [...windows]
      .sort((a, b) => a[0] - b[0])
      .map(([start, w]) => ({ start, end: w.end, ...mean(w) })),
  };
}

/**
 * Whether every partition that wrote rows of a window has closed it: per window start, the AND of
 * the rows' `final`.
 */
export function finalWindows(rows: readonly WindowedRow[]): Map<number, boolean> {
  const out = new Map<number, boolean>();
  for (const r of rows) out.set(r.start, (out.get(r.start) ?? true) && r.final === 1);
  return out;
}

/** A JSON column read back: the parsed value, or `fallback` when it is not valid JSON. */
export function parseJson(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

/** Day names of the hours of the week (hour 0 = Monday 00:00 UTC). */
export const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** An hour of the week as people read it: day name and hour of day (UTC). */
export function hourLabel(hour: number): { day: string; hour_of_day: number } {
  return { day: DAY_NAMES[Math.floor(hour / 24)] ?? '?', hour_of_day: hour % 24 };
}

/** Rounds to `digits` decimals, for stable JSON (not finite: 0). */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
