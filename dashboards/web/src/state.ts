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
 * Live windows held from before the last reconnect. The server may have restarted since and forgotten
 * them (its store starts empty), so what it sends now replaces them whatever their counts, and those
 * it no longer has go once its history has been re-read (`dropStaleLive`).
 */
const stale = new WeakSet<WindowAggregate>();

/**
 * Keeps a live window of the live size, if it lies in the last hour (a snapshot carries a brand's
 * latest windows, which may be older), and drops those that left it. True when it was kept.
 */
export function upsertLive(w: WindowAggregate, now = Date.now()): boolean {
  const b = state.brands.get(w.brand);
  if (!b || w.window !== LIVE_WINDOW || w.end <= now - LIVE_SPAN_MS) return false;
  const known = b.live.get(w.start);
  if (known && !stale.has(known) && isNewer(known, w)) return false;
  b.live.set(w.start, w);
  pruneLive(now);
  return true;
}

/** Drops the live windows that left the last hour; true when any did. */
export function pruneLive(now = Date.now()): boolean {
  let dropped = false;
  for (const b of state.brands.values())
    for (const [start, x] of b.live)
      if (x.end <= now - LIVE_SPAN_MS) dropped = b.live.delete(start) || dropped;
  return dropped;
}

/** After a reconnect: every live window held now is replaced by what the server sends next. */
export function markLiveStale(): void {
  for (const b of state.brands.values()) for (const w of b.live.values()) stale.add(w);
}

/**
 * Once the server's history of a brand has been re-read: its stale windows the server did not send
 * are gone there. True when any was dropped.
 */
export function dropStaleLive(b: BrandState): boolean {
  let dropped = false;
  for (const [start, w] of b.live) if (stale.has(w)) dropped = b.live.delete(start) || dropped;
  return dropped;
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

/**
 * The brand's live window holding `now` (what its card shows), if it has one: a quiet brand's latest
 * window may be many minutes old, and is not "this minute".
 */
export function currentLive(b: BrandState, now = Date.now()): WindowAggregate | undefined {
  for (const w of b.live.values()) if (w.start <= now && now < w.end) return w;
  return undefined;
}

/**
 * The negative share of a window over its scored posts, as the mean sentiment and Grafana count it:
 * posts in a language the model does not support are not scored. Null when none was scored.
 */
export function negativeShare(w: WindowAggregate): number | null {
  const scored = w.posts - w.unsupported;
  return scored > 0 ? w.negative / scored : null;
}
