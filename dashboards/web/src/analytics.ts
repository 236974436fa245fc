// The chosen brand's analytics: topics, trending terms, share of voice, influencers, and the audience
// segments. Live from the WebSocket (`analytics:<brand id>`, `segments`), or a past range over REST.
import { getJson, rangeQuery } from './api.js';
import { refreshBestTimes } from './best-times.js';
import { badge, byId, clock, el, num, sentimentClass, signed } from './dom.js';
import { state, type Range } from './state.js';
import type {
  AnalyticsView,
  Influencer,
  Segment,
  StreamMessage,
  Topic,
  TrendWindow,
  Voice,
} from './types.js';

function showPanel(id: string): void {
  byId(id).hidden = false;
  byId('analytics').hidden = false;
}

function renderTopics(topics: Topic[]): void {
  showPanel('topics');
  byId('topics-empty').hidden = topics.length > 0;
  byId('topic-list').replaceChildren(
    ...topics.map((x) => {
      const item = el(
        'li',
        { className: 'topic' },
        el('strong', { className: 'topic-label', textContent: x.label }),
        x.emerging ? badge('emerging', 'emerging') : null,
        el('div', { className: 'topic-terms muted', textContent: x.terms.map((w) => w.term).join(' · ') }),
        el(
          'div',
          { className: 'topic-stats' },
          el('span', { className: 'topic-docs', textContent: `${num(x.docs)} posts` }),
          ' · sentiment ',
          el('span', {
            className: `topic-sentiment ${sentimentClass(x.sentiment_mean)}`,
            textContent: signed(x.sentiment_mean),
          }),
        ),
      );
      item.dataset.topic = x.id;
      item.dataset.docs = String(x.docs);
      item.dataset.emerging = String(x.emerging);
      return item;
    }),
  );
}

function renderTrends(windows: TrendWindow[]): void {
  showPanel('trends');
  // the latest window with terms (a window that just opened may have none yet)
  const w = windows.find((x) => x.terms.length > 0);
  byId('trends-empty').hidden = w !== undefined;
  byId('trend-table').hidden = w === undefined;
  byId('trends-caption').textContent = w
    ? `window ${clock(w.start)}–${clock(w.end)} UTC${w.final ? '' : ', open'}`
    : '';
  byId('trend-list').replaceChildren(
    ...(w?.terms ?? []).map((x) => {
      const row = el(
        'tr',
        { className: x.trending ? 'trending' : '' },
        el('th', { scope: 'row', className: 'term', textContent: x.term }),
        el('td', { className: 'count', textContent: num(x.count) }),
        el('td', { className: 'baseline', textContent: num(x.baseline, 1) }),
        el('td', { className: 'score', textContent: num(x.score, 1) }),
        el('td', {}, x.trending ? badge('trending', 'trending') : null),
      );
      row.dataset.term = x.term;
      row.dataset.trending = String(x.trending);
      return row;
    }),
  );
}

function renderVoice(voice: Voice): void {
  showPanel('voice');
  const total = voice.brands.reduce((n, b) => n + b.posts, 0);
  byId('voice-caption').textContent =
    total > 0 ? `${total} posts, the brand against its group` : 'No posts in this range.';
  byId('voice-list').replaceChildren(
    ...voice.brands.map((b, i) => {
      const share = b.share ?? 0;
      const bar = el('span', { className: 'voice-bar' });
      bar.style.width = `${Math.round(100 * share)}%`;
      bar.style.background = state.brands.get(b.name)?.color ?? '#58a6ff'; // the brand's colour in the charts
      const item = el(
        'li',
        { className: `voice ${i === 0 ? 'voice-self' : ''}` },
        el('span', {
          className: 'voice-name',
          textContent: `${b.name}${b.kind === 'competitor' ? ' (competitor)' : ''}`,
        }),
        el('span', { className: 'voice-track', role: 'presentation' }, bar),
        el('span', {
          className: 'voice-share',
          textContent: b.share === null ? '–' : `${(100 * share).toFixed(1)}%`,
        }),
        el('span', { className: 'voice-posts muted', textContent: `${b.posts} posts` }),
        el('span', {
          className: `voice-sentiment ${sentimentClass(b.sentiment_mean)}`,
          textContent: `sentiment ${signed(b.sentiment_mean)}`,
        }),
      );
      item.dataset.brand = b.id;
      item.dataset.share = String(share);
      item.dataset.posts = String(b.posts);
      return item;
    }),
  );
}

function renderInfluencers(list: Influencer[], caption = ''): void {
  showPanel('influencers');
  byId('influencers-caption').textContent = caption;
  byId('influencers-empty').hidden = list.length > 0;
  byId('influencer-table').hidden = list.length === 0;
  byId('influencer-list').replaceChildren(
    ...list.map((a) => {
      const row = el(
        'tr',
        {},
        el('th', { scope: 'row', textContent: a.author }),
        el('td', { textContent: num(a.score, 1) }),
        el('td', { textContent: num(a.mentions) }),
        el('td', { textContent: num(a.followers) }),
      );
      row.dataset.author = a.author;
      return row;
    }),
  );
}

function renderSegments(segments: Segment[]): void {
  showPanel('segments');
  byId('segments-empty').hidden = segments.length > 0;
  byId('segment-list').replaceChildren(
    ...segments.map((s) => {
      const item = el(
        'li',
        { className: 'segment' },
        el('strong', { className: 'segment-label', textContent: s.label || `segment ${s.id}` }),
        el('span', { className: 'segment-authors', textContent: ` ${s.authors} authors` }),
        el('span', { className: 'muted', textContent: ` · ${s.posts} posts · sentiment ` }),
        el('span', {
          className: `segment-sentiment ${sentimentClass(s.sentiment_mean)}`,
          textContent: signed(s.sentiment_mean),
        }),
      );
      item.dataset.segment = String(s.id);
      item.dataset.authors = String(s.authors);
      return item;
    }),
  );
}

function render(view: Partial<AnalyticsView>): void {
  if (view.topics) renderTopics(view.topics);
  if (view.trends) renderTrends(view.trends);
  if (view.voice) renderVoice(view.voice);
  if (view.influencers) renderInfluencers(view.influencers);
  if (view.segments) renderSegments(view.segments);
}

/** A live analytics message: shown while the page is live and for the brand chosen now. */
export function applyAnalytics(msg: Extract<StreamMessage, { type: 'analytics' }>): void {
  if (state.range.kind !== 'live') return;
  byId('analytics').hidden = false;
  if (msg.channel === 'segments') return render({ segments: msg.segments ?? [] });
  if (msg.channel !== `analytics:${state.brand}`) return;
  byId('analytics-range').textContent = liveLabel(msg.window_ms, msg.as_of);
  render(msg);
  refreshBestTimes();
}

/** Behind the wall clock by more than this, the live panels say up to when they show. */
const BEHIND_MS = 5 * 60_000;

/** `last hour` (with the window size), or the hour up to the pipeline's event time when it is behind. */
export function liveLabel(windowMs: number | undefined, asOf: number | undefined, now = Date.now()): string {
  const hour =
    asOf !== undefined && now - asOf > BEHIND_MS
      ? `the hour up to ${new Date(asOf).toISOString().slice(0, 16).replace('T', ' ')} UTC (event time)`
      : 'last hour';
  return windowMs ? `${hour}, ${Math.round(windowMs / 60000)}-minute windows` : hour;
}

const DAY_MS = 86_400_000;
/** The widest ranges the API serves the analytics over (api/routes/analytics.ts). */
const TRENDS_MAX_MS = DAY_MS;
const WEEK_MS = 7 * DAY_MS;

/** Counts the reads of past analytics: only the latest one started may draw. */
let pastReads = 0;

/**
 * The chosen brand's analytics over the past range, read over REST; routes not served stay hidden.
 * Only the latest read draws, and only while its range and brand are still the ones chosen: an older,
 * slower read (of a wider range, or another brand) never lands under the newer one's label.
 */
export async function loadPastAnalytics(range: Extract<Range, { kind: 'past' }>): Promise<void> {
  const brand = state.brand;
  if (!brand) return;
  const read = ++pastReads;
  const base = `/v1/brands/${encodeURIComponent(brand)}`;
  // The end of the range, at most `ms` of it: the API reads every row of a range, so it serves a
  // week at most (the trends panel shows the latest window anyway: a day).
  const tail = (ms: number) => rangeQuery({ from: Math.max(range.from, range.to - ms), to: range.to });
  const clipped = range.to - range.from > WEEK_MS;
  const [topics, trends, voice, influencers, segments] = await Promise.all([
    getJson<{ topics: Topic[] }>(`${base}/topics?${tail(WEEK_MS)}`),
    getJson<{ windows: TrendWindow[] }>(`${base}/trends?${tail(TRENDS_MAX_MS)}`),
    getJson<Voice>(`${base}/share-of-voice?${tail(WEEK_MS)}`),
    getJson<{ influencers: Influencer[] }>(`${base}/influencers?${tail(WEEK_MS)}`),
    getJson<{ segments: Segment[] }>(`/v1/segments?${tail(WEEK_MS)}`),
  ]);
  if (read !== pastReads || state.brand !== brand || state.range !== range) return; // the user moved on
  byId('analytics-range').textContent = clipped
    ? `${range.label}: topics, share of voice, influencers and segments over its last 7 days`
    : range.label;
  render({
    topics: topics?.topics,
    trends: trends?.windows,
    voice,
    segments: segments?.segments,
  });
  if (influencers) renderInfluencers(influencers.influencers, clipped ? 'the last 7 days of the range' : '');
}

/** What shows the chosen brand's analytics over the range shown. */
const ANALYTICS_PARTS = [
  'topic-list',
  'trend-list',
  'trends-caption',
  'voice-list',
  'voice-caption',
  'influencer-list',
  'influencers-caption',
];

/** Empties the brand's panels and captions, best times included (another brand is coming). */
export function clearBrandPanels(): void {
  for (const id of [...ANALYTICS_PARTS, 'best-hours', 'best-times-error', 'heatmap-body'])
    byId(id).replaceChildren();
}

/**
 * Empties every panel and caption bound to the range shown (another range is coming), so nothing of
 * the old range shows under the new one. Best times are all-time: they stay.
 */
export function clearRangePanels(): void {
  for (const id of [...ANALYTICS_PARTS, 'segment-list', 'analytics-range']) byId(id).replaceChildren();
}
