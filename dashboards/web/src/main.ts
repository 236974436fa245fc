// The built-in live page: history from the REST API, then live updates over the WebSocket; or a past
// range over REST, until "Back to live".
import '../style.css';
import { clearBrandPanels, applyAnalytics, loadPastAnalytics } from './analytics.js';
import { applyAlert } from './alerts.js';
import { ApiError, getJson } from './api.js';
import { loadBestTimes } from './best-times.js';
import { setUpBrandPicker } from './brand-picker.js';
import { applyCampaigns } from './campaigns.js';
import { renderCards } from './cards.js';
import { makeCharts, renderCharts } from './charts.js';
import { setUpRangePicker } from './range.js';
import { addBrands, LIVE_WINDOW, state, upsertLive, type Range } from './state.js';
import { showConnection, showError } from './status.js';
import { StreamClient } from './stream.js';
import type { Alert, BrandInfo, StreamMessage, WindowAggregate } from './types.js';

const metricsPath = (b: BrandInfo, window: string, range?: { from: number; to: number }) =>
  `/v1/brands/${encodeURIComponent(b.id)}/metrics?window=${window}` +
  (range ? `&from=${range.from}&to=${range.to}` : '');

/** Live updates mark what to redraw; one animation frame draws it, however many updates came. */
const dirty = { cards: false, charts: false };
let framePending = false;
let interactive = false;

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
  const drawn = [...state.brands.values()].some((b) => b.live.size > 0);
  if (!interactive && drawn && document.getElementById('status')?.dataset.state === 'live') {
    interactive = true;
    performance.mark('pulsewatch:interactive'); // live and drawn with data: what bench:page times
  }
}

function upsert(windows: WindowAggregate[]): void {
  let kept = false;
  for (const w of windows) kept = upsertLive(w) || kept;
  if (kept) redraw({ cards: true, charts: state.range.kind === 'live' });
}

/** The last LIVE_WINDOWS live windows of every brand over REST: at start, and the gap after a reconnect. */
async function readLiveHistory(): Promise<void> {
  await Promise.all(
    [...state.brands.values()].map(async (b) => {
      const view = await getJson<{ windows: WindowAggregate[] }>(metricsPath(b.info, LIVE_WINDOW));
      upsert(view?.windows ?? []);
    }),
  );
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

function analyticsChannel(): string[] {
  return state.brand ? [`analytics:${state.brand}`] : [];
}

const stream = new StreamClient({
  channels: () => ['brands', 'alerts', 'campaigns', 'segments', ...analyticsChannel()],
  onMessage,
  onConnection: (c) => {
    showConnection(c);
    if (c.state === 'live') redraw({}); // the frame that marks the page interactive, if data is drawn
  },
  onReconnect: () => void readLiveHistory().catch((err) => console.warn('re-reading the gap failed', err)),
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
      return upsert(msg.windows ?? []);
    case 'update':
      return upsert(msg.windows);
    case 'error':
      return console.warn('stream:', msg.code, msg.message);
  }
}

function onRange(r: Range, say: (text: string) => void): void {
  state.range = r;
  if (r.kind === 'live') {
    renderCharts();
    clearBrandPanels();
    // subscribing again makes the hub send the current analytics at once
    stream.send('unsubscribe', ['segments', ...analyticsChannel()]);
    stream.send('subscribe', ['segments', ...analyticsChannel()]);
    return;
  }
  showPast(r).then(
    () => state.range === r && say(`Showing ${r.label} (${r.window} windows).`),
    (err: Error) => state.range === r && say(`Could not read ${r.label}: ${err.message}`),
  );
}

function onBrand(previous: string | null): void {
  clearBrandPanels();
  if (state.range.kind === 'live') {
    if (previous) stream.send('unsubscribe', [`analytics:${previous}`]);
    stream.send('subscribe', analyticsChannel());
  } else void loadPastAnalytics(state.range).catch((err) => console.warn(err));
  if (state.brand) void loadBestTimes(state.brand);
}

async function main(): Promise<void> {
  const { brands } = (await getJson<{ brands: BrandInfo[] }>('/v1/brands'))!;
  addBrands(brands);
  setUpBrandPicker(brands, onBrand);
  const picker = setUpRangePicker((r) => onRange(r, picker.say));
  makeCharts();
  renderCards();
  renderCharts();
  // Everything at once: the stream (its snapshot brings the latest windows), the hour of history,
  // alerts and best times over REST. Each section draws when its data comes.
  stream.start();
  void getJson<{ alerts: Alert[] }>('/v1/alerts?limit=20')
    .then((view) => view?.alerts.forEach(applyAlert))
    .catch((err) => console.warn('reading alerts failed', err));
  if (state.brand) void loadBestTimes(state.brand);
  await readLiveHistory();
}

main().catch((err: unknown) => {
  showError(
    err instanceof ApiError && err.needsKey ? 'needs an API key (?api_key=)' : 'error: see the console',
  );
  console.error(err);
});
