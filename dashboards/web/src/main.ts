// The built-in live page: history from the REST API, then live updates over the WebSocket; or a past
// range over REST, until "Back to live".
import '../style.css';
import { applyAnalytics, clearBrandPanels, clearRangePanels, loadPastAnalytics } from './analytics.js';
import { applyAlert } from './alerts.js';
import { ApiError, getJson } from './api.js';
import { loadBestTimes } from './best-times.js';
import { setUpBrandPicker } from './brand-picker.js';
import { applyCampaigns } from './campaigns.js';
import { renderCards } from './cards.js';
import { makeCharts, renderCharts } from './charts.js';
import { byId } from './dom.js';
import { setUpRangePicker } from './range.js';
import {
  addBrands,
  dropStaleLive,
  LIVE_WINDOW,
  markLiveStale,
  pruneLive,
  state,
  upsertLive,
  type BrandState,
  type Range,
} from './state.js';
import { clearGapError, showConnection, showError, showGapError } from './status.js';
import { backoffMs, StreamClient } from './stream.js';
import type { Alert, BrandInfo, StreamMessage, WindowAggregate } from './types.js';

const metricsPath = (b: BrandInfo, window: string, range?: { from: number; to: number }) =>
  `/v1/brands/${encodeURIComponent(b.id)}/metrics?window=${window}` +
  (range ? `&from=${range.from}&to=${range.to}` : '');

/** Live updates mark what to redraw; one animation frame draws it, however many updates came. */
const dirty = { cards: false, charts: false };
let framePending = false;
let interactive = false;
/** What must be applied before the charts box says `data-loaded="1"` (what tests wait for). */
const loaded = { snapshot: false, history: false, marked: false };

function redraw(what: { cards?: boolean; charts?: boolean }): void {
  dirty.cards ||= what.cards ?? false;
  dirty.charts ||= what.charts ?? false;
  if (framePending) return;
  framePending = true;
  requestAnimationFrame(frame);
}

function frame(): void {
  framePending = false;
  if (dirty.cards) renderCards();
  if (dirty.charts) renderCharts();
  dirty.cards = dirty.charts = false;
  if (loaded.snapshot && loaded.history && !loaded.marked) {
    loaded.marked = true;
    byId('chart-volume').dataset.loaded = '1'; // the first snapshot and the live history are drawn
  }
  const drawn = [...state.brands.values()].some((b) => b.live.size > 0);
  if (!interactive && drawn && document.getElementById('status')?.dataset.state === 'live') {
    interactive = true;
    performance.mark('pulsewatch:interactive'); // live and drawn with data: what bench:page times
  }
}

/** Notes a first load step done; with both, the next frame draws everything and marks the page loaded. */
function noteLoaded(step: 'snapshot' | 'history'): void {
  if (loaded[step]) return;
  loaded[step] = true;
  if (loaded.snapshot && loaded.history) redraw({ cards: true, charts: true });
}

/**
 * At each turn of the minute, without waiting for an event: the cards move on to the new minute's
 * window, and the windows that left the hour go.
 */
function everyMinute(): void {
  redraw({ cards: true, charts: pruneLive() && state.range.kind === 'live' });
  setTimeout(everyMinute, 60_000 - (Date.now() % 60_000) + 20);
}

function upsert(windows: WindowAggregate[]): void {
  let kept = false;
  for (const w of windows) kept = upsertLive(w) || kept;
  if (kept) redraw({ cards: true, charts: state.range.kind === 'live' });
}

/** Counts the reads of the live history: a newer one (after a reconnect) takes over one still trying. */
let historyRead = 0;

/**
 * The last LIVE_WINDOWS live windows of every brand over REST: at start, and the gap after a
 * reconnect. Each brand is read on its own, and `onRead` follows each that came. A brand whose read
 * failed is read again with backoff, the status saying meanwhile what is missing (the live updates
 * flow on); once every brand is read, the page is loaded and the status plain "live" again. A
 * refused key (401, 403) is not tried again: it rejects.
 */
async function readLiveHistory(
  what: string,
  onRead: (b: BrandState) => void = () => undefined,
): Promise<void> {
  const read = ++historyRead;
  let pending = [...state.brands.values()];
  for (let attempt = 0; ; attempt++) {
    const results = await Promise.allSettled(
      pending.map(async (b) => {
        const view = await getJson<{ windows: WindowAggregate[] }>(metricsPath(b.info, LIVE_WINDOW));
        if (read !== historyRead) return; // a newer read took over: what it reads counts
        upsert(view?.windows ?? []);
        onRead(b);
      }),
    );
    if (read !== historyRead) return;
    const failed = pending.filter((_, i) => results[i]?.status === 'rejected');
    if (failed.length === 0) {
      clearGapError();
      noteLoaded('history');
      return;
    }
    const reason: unknown = results.find((r) => r.status === 'rejected')?.reason;
    if (reason instanceof ApiError && reason.needsKey) throw reason;
    const names = failed.map((b) => b.info.name).join(', ');
    const message = reason instanceof Error ? reason.message : String(reason);
    showGapError(`${what} of ${names} could not be read (${message}); trying again`);
    await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    if (read !== historyRead) return;
    pending = failed;
  }
}

/** Every brand's windows of a past range, then the chosen brand's analytics over it. */
async function showPast(r: Extract<Range, { kind: 'past' }>): Promise<void> {
  const views = await Promise.all(
    [...state.brands.values()].map(async (b) => ({
      b,
      windows:
        (await getJson<{ windows: WindowAggregate[] }>(metricsPath(b.info, r.window, r)))?.windows ?? [],
    })),
  );
  if (state.range !== r) return; // another range was chosen meanwhile
  for (const { b, windows } of views) b.past = new Map(windows.map((w) => [w.start, w]));
  renderCharts();
  await loadPastAnalytics(r);
}

/** The analytics channel subscribed on the connection now: the chosen brand's while live, else none. */
let analyticsChannel: string | null = null;

const wantedAnalytics = () =>
  state.range.kind === 'live' && state.brand ? `analytics:${state.brand}` : null;

/**
 * Follows a change of brand or range: drops the channel held, subscribes the one wanted now (a new
 * subscription makes the hub send the current analytics at once).
 */
function resubscribeAnalytics(): void {
  if (analyticsChannel) stream.send('unsubscribe', [analyticsChannel]);
  analyticsChannel = wantedAnalytics();
  if (analyticsChannel) stream.send('subscribe', [analyticsChannel]);
}

/**
 * After a reconnect the server may be a restarted one that forgot what the page holds: what it sends
 * now replaces the live windows, and those its history no longer has go.
 */
function readGap(): void {
  markLiveStale();
  readLiveHistory(
    'the minutes missed while reconnecting',
    (b) => dropStaleLive(b) && redraw({ cards: true, charts: state.range.kind === 'live' }),
  ).catch((err: Error) =>
    showGapError(`the minutes missed while reconnecting could not be read: ${err.message}`),
  );
}

const stream = new StreamClient({
  // a (re)connection starts with no subscription: the analytics channel is the one wanted now
  channels: () => {
    analyticsChannel = wantedAnalytics();
    return ['brands', 'alerts', 'campaigns', 'segments', ...(analyticsChannel ? [analyticsChannel] : [])];
  },
  onMessage,
  onConnection: (c) => {
    showConnection(c);
    if (c.state === 'live') redraw({}); // the frame that marks the page interactive, if data is drawn
  },
  onReconnect: readGap,
});

function onMessage(msg: StreamMessage): void {
  switch (msg.type) {
    case 'alert':
      return applyAlert(msg.alert);
    case 'campaign':
      return applyCampaigns(msg);
    case 'analytics':
      return applyAnalytics(msg);
    case 'snapshot':
      msg.alerts?.forEach(applyAlert);
      upsert(msg.windows ?? []);
      if (msg.channel === 'brands') noteLoaded('snapshot');
      return;
    case 'update':
      return upsert(msg.windows);
    case 'error':
      return console.warn('stream:', msg.code, msg.message);
  }
}

/** Nothing of the range shown before stays on screen while the new one loads, or if its read fails. */
function onRange(r: Range, say: (text: string) => void): void {
  state.range = r;
  for (const b of state.brands.values()) b.past = new Map();
  clearRangePanels();
  renderCharts();
  resubscribeAnalytics();
  if (r.kind === 'live') {
    // subscribing again makes the hub send the current segments at once
    stream.send('unsubscribe', ['segments']);
    stream.send('subscribe', ['segments']);
    return;
  }
  showPast(r).then(
    () => state.range === r && say(`Showing ${r.label} (${r.window} windows).`),
    (err: Error) => state.range === r && say(`Could not read ${r.label}: ${err.message}`),
  );
}

function onBrand(say: (text: string) => void): void {
  clearBrandPanels();
  resubscribeAnalytics();
  const r = state.range;
  if (r.kind === 'past')
    void loadPastAnalytics(r).catch(
      (err: Error) => state.range === r && say(`Could not read ${r.label}: ${err.message}`),
    );
  if (state.brand) void loadBestTimes(state.brand);
}

async function main(): Promise<void> {
  const { brands } = (await getJson<{ brands: BrandInfo[] }>('/v1/brands'))!;
  addBrands(brands);
  const picker = setUpRangePicker((r) => onRange(r, picker.say));
  setUpBrandPicker(brands, () => onBrand(picker.say));
  makeCharts();
  renderCards();
  renderCharts();
  everyMinute();
  // Everything at once: the stream (its snapshot brings the latest windows), the hour of history,
  // alerts and best times over REST. Each section draws when its data comes.
  stream.start();
  void getJson<{ alerts: Alert[] }>('/v1/alerts?limit=20')
    .then((view) => view?.alerts.forEach(applyAlert))
    .catch((err) => console.warn('reading alerts failed', err));
  if (state.brand) void loadBestTimes(state.brand);
  await readLiveHistory('the last hour');
}

main().catch((err: unknown) => {
  showError(
    !(err instanceof ApiError && err.needsKey)
      ? 'error: see the console'
      : err.scope
        ? `needs an API key with scope ${err.scope} (?api_key=)`
        : 'needs an API key (?api_key=)',
  );
  console.error(err);
});
