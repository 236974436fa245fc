// What the page knows: the brands and their windows (live and of a past range), and the range shown.
import type { BrandInfo, WindowAggregate } from './types.js';

/** The window the cards and the live charts show, and how many of them the live charts keep. */
export const LIVE_WINDOW = '1m';
export const LIVE_WINDOWS = 60;

/** Brand colours: light enough on the dark panels (over 3:1, what WCAG AA asks of graphics). */
export const COLORS = [
  '#58a6ff',
  '#f0883e',
  '#bc8cff',
  '#3fb950',
  '#ff7b72',
  '#d29922',
  '#79c0ff',
  '#f778ba',
];

export interface BrandState {
  info: BrandInfo;
  color: string;
  /** window start → the latest aggregate of the live window (REST history, then the WebSocket). */
  live: Map<number, WindowAggregate>;
  /** window start → aggregate of the past range being shown. */
  past: Map<number, WindowAggregate>;
}

/** What the charts and analytics show: live updates, or a past range read over REST. */
export type Range =
  { kind: 'live' } | { kind: 'past'; from: number; to: number; window: string; label: string };

export const state = {
  /** brand name (as windows carry it) → its state */
  brands: new Map<string, BrandState>(),
  range: { kind: 'live' } as Range,
  /** the brand the analytics panels show (its id) */
  brand: null as string | null,
};

export function addBrands(list: BrandInfo[]): void {
  list.forEach((info, i) =>
    state.brands.set(info.name, {
      info,
      color: COLORS[i % COLORS.length]!,
      live: new Map(),
      past: new Map(),
    }),
  );
}

/** The live windows cover the last hour: LIVE_WINDOWS windows of LIVE_WINDOW (1 minute). */
const LIVE_SPAN_MS = LIVE_WINDOWS * 60_000;

/**
 * Keeps a live window of the live size, if it lies in the last hour (a snapshot carries a brand's
 * latest windows, which may be older), and drops those that left it. True when it was kept.
 */
export function upsertLive(w: WindowAggregate, now = Date.now()): boolean {
  const b = state.brands.get(w.brand);
  if (!b || w.window !== LIVE_WINDOW || w.end <= now - LIVE_SPAN_MS) return false;
  const known = b.live.get(w.start);
  if (known && isNewer(known, w)) return false;
  b.live.set(w.start, w);
  for (const [start, x] of b.live) if (x.end <= now - LIVE_SPAN_MS) b.live.delete(start);
  return true;
}

/**
 * Whether `a` is a later state of the same window than `b`. REST and the stream race at start and
 * after a reconnect; a window only grows until it is final, so the final or larger one is newer.
 */
function isNewer(a: WindowAggregate, b: WindowAggregate): boolean {
  if (a.final !== b.final) return a.final;
  return a.posts > b.posts;
}

/** The windows the charts show now: live, or those of the past range. */
export function shownWindows(b: BrandState): Map<number, WindowAggregate> {
  return state.range.kind === 'live' ? b.live : b.past;
}

/** The brand's latest live window (what its card shows). */
export function latestLive(b: BrandState): WindowAggregate | undefined {
  let best: WindowAggregate | undefined;
  for (const w of b.live.values()) if (!best || w.start > best.start) best = w;
  return best;
}
