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

/** Keeps a live window of the live size; only the last LIVE_WINDOWS of them. True when it was kept. */
export function upsertLive(w: WindowAggregate): boolean {
  const b = state.brands.get(w.brand);
  if (!b || w.window !== LIVE_WINDOW) return false;
  b.live.set(w.start, w);
  if (b.live.size > LIVE_WINDOWS) {
    const starts = [...b.live.keys()].sort((x, y) => x - y);
    for (const s of starts.slice(0, starts.length - LIVE_WINDOWS)) b.live.delete(s);
  }
  return true;
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
