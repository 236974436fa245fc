// The built-in live page: history from the REST API, then live window updates over the WebSocket.
'use strict';

const WINDOW = '1m';
const HISTORY_WINDOWS = 60;
const COLORS = ['#58a6ff', '#f0883e', '#a371f7', '#3fb950', '#ff7b72', '#d29922', '#79c0ff', '#db61a2'];

/** brand name → { info, color, windows: Map<start, aggregate> } */
const brands = new Map();
const charts = {};
let dirty = false;

/**
 * An API key, when the server needs one: given once as `?api_key=` in the page URL, kept for this
 * tab in sessionStorage and taken out of the address bar. REST calls send it as a Bearer header;
 * the WebSocket, which cannot carry headers from a browser, sends it in its URL.
 */
const API_KEY = (() => {
  const params = new URLSearchParams(location.search);
  const given = params.get('api_key');
  if (given) {
    window.sessionStorage.setItem('pulsewatch.apiKey', given);
    params.delete('api_key');
    const query = params.toString();
    window.history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }
  return window.sessionStorage.getItem('pulsewatch.apiKey');
})();

async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}), ...(API_KEY ? { authorization: `Bearer ${API_KEY}` } : {}) };
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401 || res.status === 403)
    throw new Error(`${res.status}: open this page as /?api_key=<a key with scope read>`);
  return res;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, attrs);
  for (const c of children) node.append(c);
  return node;
}

function setStatus(state, text) {
  const s = document.getElementById('status');
  s.dataset.state = state;
  s.textContent = text;
}

function upsert(agg) {
  const b = brands.get(agg.brand);
  if (!b || agg.window !== WINDOW) return;
  b.windows.set(agg.start, agg);
  // Keep the chart to the last HISTORY_WINDOWS windows.
  const starts = [...b.windows.keys()].sort((x, y) => x - y);
  for (const s of starts.slice(0, Math.max(0, starts.length - HISTORY_WINDOWS))) b.windows.delete(s);
  dirty = true;
}

function fmt(n, digits = 0) {
  return n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
}

function renderCards() {
  const cards = document.getElementById('cards');
  cards.replaceChildren();
  for (const b of brands.values()) {
    const starts = [...b.windows.keys()].sort((x, y) => x - y);
    const cur = b.windows.get(starts[starts.length - 1]);
    const negShare = cur && cur.posts > 0 ? (100 * cur.negative) / cur.posts : null;
    const card = el(
      'article',
      { className: 'card', id: `card-${b.info.id}` },
      el('h2', { textContent: b.info.name }),
      el('span', { className: 'kind', textContent: b.info.kind }),
      el(
        'dl',
        {},
        el('dt', { textContent: 'posts this minute' }),
        el('dd', { className: 'posts', textContent: cur ? String(cur.posts) : '0' }),
        el('dt', { textContent: 'mean sentiment' }),
        el('dd', {
          className: cur && cur.sentiment_mean < 0 ? 'neg' : 'pos',
          textContent: fmt(cur ? cur.sentiment_mean : null, 2),
        }),
        el('dt', { textContent: 'negative' }),
        el('dd', { className: 'neg', textContent: negShare === null ? '–' : `${fmt(negShare, 0)}%` }),
        el('dt', { textContent: 'authors' }),
        el('dd', { textContent: cur ? String(cur.authors) : '0' }),
      ),
    );
    card.style.setProperty('--color', b.color);
    cards.append(card);
  }
}

function seriesData(pick) {
  const all = new Set();
  for (const b of brands.values()) for (const s of b.windows.keys()) all.add(s);
  const xs = [...all].sort((x, y) => x - y);
  const data = [xs.map((s) => s / 1000)];
  for (const b of brands.values())
    data.push(xs.map((s) => (b.windows.has(s) ? pick(b.windows.get(s)) : null)));
  return data;
}

function makeChart(id, pick, opts = {}) {
  const target = document.getElementById(id);
  const series = [{}];
  for (const b of brands.values())
    series.push({ label: b.info.name, stroke: b.color, width: 2, spanGaps: false });
  const chart = new uPlot(
    {
      width: target.clientWidth || 800,
      height: 220,
      series,
      scales: opts.scales || {},
      axes: [
        { stroke: '#8b96a5', grid: { stroke: '#243040' } },
        { stroke: '#8b96a5', grid: { stroke: '#243040' } },
      ],
    },
    seriesData(pick),
    target,
  );
  charts[id] = { chart, pick };
}

function renderCharts() {
  for (const { chart, pick } of Object.values(charts)) chart.setData(seriesData(pick));
}

function frame() {
  if (dirty) {
    dirty = false;
    renderCards();
    renderCharts();
  }
  requestAnimationFrame(frame);
}

/** alert id → the latest update of it; open alerts are listed first. */
const alerts = new Map();

function applyAlert(a) {
  const known = alerts.get(a.id);
  if (known && known.update > a.update) return;
  alerts.set(a.id, { ...known, ...a });
  renderAlerts();
}

const KIND_TEXT = { negative_share: 'negative share', negative_count: 'negative posts', volume: 'volume' };

function describe(a) {
  const value = (v) => (a.kind === 'negative_share' ? `${fmt(v * 100)}%` : fmt(v));
  return `${KIND_TEXT[a.kind] ?? a.kind} ${value(a.observed)} against ${value(a.baseline)} expected`;
}

function renderAlerts() {
  const list = document.getElementById('alert-list');
  const sorted = [...alerts.values()].sort((x, y) =>
    x.state === y.state ? y.updated_at - x.updated_at : x.state === 'open' ? -1 : 1,
  );
  document.getElementById('alerts-empty').hidden = sorted.length > 0;
  list.replaceChildren(
    ...sorted.slice(0, 20).map((a) => {
      const acked = a.acked_at !== undefined;
      const button = el('button', {
        type: 'button',
        className: 'ack',
        textContent: acked ? 'acknowledged' : 'acknowledge',
        disabled: acked || a.state !== 'open',
        onclick: () => acknowledge(a.id),
      });
      button.setAttribute(
        'aria-label',
        `acknowledge the ${KIND_TEXT[a.kind] ?? a.kind} alert for ${a.brand}`,
      );
      const item = el(
        'li',
        { className: `alert alert-${a.state} severity-${a.severity}` },
        el('span', { className: 'alert-severity', textContent: a.severity }),
        el('strong', { className: 'alert-brand', textContent: a.brand }),
        el('span', { className: 'alert-what', textContent: ` ${describe(a)}` }),
        el('span', {
          className: 'alert-when',
          textContent: ` · ${a.state === 'open' ? 'since' : 'resolved, opened'} ${new Date(a.opened_at).toLocaleTimeString()}`,
        }),
        el('span', {
          className: 'alert-terms',
          textContent: a.top_terms?.length ? ` · ${a.top_terms.slice(0, 5).join(', ')}` : '',
        }),
        button,
      );
      item.dataset.alertId = a.id;
      return item;
    }),
  );
}

async function acknowledge(id) {
  const res = await api(`/v1/alerts/${encodeURIComponent(id)}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ by: 'live page' }),
  }).catch((err) => ({ ok: false, statusText: err.message }));
  if (!res.ok) return console.warn('acknowledge failed', res.status ?? '', res.statusText);
  const a = alerts.get(id);
  if (a) alerts.set(id, { ...a, acked_at: Date.now() });
  renderAlerts();
}

/** campaign id → its latest summary (GET /v1/campaigns/:id, pushed on the `campaigns` channel). */
const campaigns = new Map();

function pct(x) {
  return `${(100 * x).toFixed(1)}%`;
}

function renderCampaigns() {
  const section = document.getElementById('campaigns');
  section.hidden = campaigns.size === 0;
  const list = document.getElementById('campaign-list');
  list.replaceChildren(
    ...[...campaigns.values()]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((c) => {
        const rows = c.arms
          .filter((a) => !a.retired)
          .map((a) => {
            const row = el(
              'tr',
              { className: a.arm === c.leader ? 'leader' : '' },
              el('th', { scope: 'row', textContent: a.arm === c.leader ? `★ ${a.arm}` : a.arm }),
              el('td', { className: 'pulls', textContent: String(a.pulls) }),
              el('td', {
                className: 'mean',
                textContent: c.reward === 'binary' ? pct(a.mean) : a.mean.toFixed(3),
              }),
              el('td', {
                className: 'interval',
                textContent:
                  c.reward === 'binary'
                    ? `${pct(a.interval[0])} – ${pct(a.interval[1])}`
                    : `${a.interval[0].toFixed(3)} – ${a.interval[1].toFixed(3)}`,
              }),
              el(
                'td',
                { className: 'share' },
                el('span', { className: 'bar', style: `width:${Math.round(60 * a.share)}px` }),
                pct(a.share),
              ),
            );
            row.dataset.arm = a.arm;
            return row;
          });
        const table = el(
          'table',
          { className: 'arms' },
          el('caption', {
            textContent: `${c.id} · ${c.policy} · ${c.pulls} decisions · leader ${c.leader ?? '—'}`,
          }),
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ...['arm', 'pulls', 'mean', '95% interval', 'share'].map((h) =>
                el('th', { scope: 'col', textContent: h }),
              ),
            ),
          ),
          el('tbody', {}, ...rows),
        );
        const card = el('article', { className: 'campaign' }, table);
        card.dataset.campaign = c.id;
        card.dataset.leader = c.leader ?? '';
        return card;
      }),
  );
}

function applyCampaigns(msg) {
  if (msg.campaigns) {
    campaigns.clear();
    for (const c of msg.campaigns) campaigns.set(c.id, c);
  } else if (msg.campaign) campaigns.set(msg.campaign.id, msg.campaign);
  renderCampaigns();
}

// ---- Brand analytics: topics, trends, share of voice, influencers (channel `analytics:<brand id>`),
// audience segments (channel `segments`) and best times (REST, re-read when the brand's data moves).

/** The brand the analytics sections show (its id), the open socket, and when best times were last read. */
const analytics = { brand: null, ws: null, bestTimesAt: 0, bestTimesPending: false };
const BEST_TIMES_EVERY_MS = 5000;

function num(x, digits = 0) {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–';
}

function signed(x) {
  return typeof x === 'number' && Number.isFinite(x) ? `${x > 0 ? '+' : ''}${x.toFixed(2)}` : '–';
}

function sentimentClass(x) {
  return typeof x !== 'number' ? '' : x > 0.05 ? 'pos' : x < -0.05 ? 'neg' : '';
}

function badge(text, kind) {
  return el('span', { className: `badge badge-${kind}`, textContent: text });
}

function showPanel(id, on) {
  document.getElementById(id).hidden = !on;
  if (on) document.getElementById('analytics').hidden = false;
}

function clock(ms) {
  return new Date(ms).toISOString().slice(11, 16);
}

function renderTopics(topics) {
  showPanel('topics', true);
  document.getElementById('topics-empty').hidden = topics.length > 0;
  document.getElementById('topic-list').replaceChildren(
    ...topics.map((x) => {
      const item = el(
        'li',
        { className: 'topic' },
        el('strong', { className: 'topic-label', textContent: x.label }),
        x.emerging ? badge('emerging', 'emerging') : '',
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

function renderTrends(windows) {
  showPanel('trends', true);
  // the latest window with terms (a window that just opened may have none yet)
  const w = windows.find((x) => x.terms.length > 0);
  document.getElementById('trends-empty').hidden = w !== undefined;
  document.getElementById('trend-table').hidden = w === undefined;
  document.getElementById('trends-caption').textContent = w
    ? `window ${clock(w.start)}–${clock(w.end)} UTC${w.final ? '' : ', open'}`
    : '';
  document.getElementById('trend-list').replaceChildren(
    ...(w ? w.terms : []).map((x) => {
      const row = el(
        'tr',
        { className: x.trending ? 'trending' : '' },
        el('th', { scope: 'row', className: 'term', textContent: x.term }),
        el('td', { className: 'count', textContent: num(x.count) }),
        el('td', { className: 'baseline', textContent: num(x.baseline, 1) }),
        el('td', { className: 'score', textContent: num(x.score, 1) }),
        el('td', {}, x.trending ? badge('trending', 'trending') : ''),
      );
      row.dataset.term = x.term;
      row.dataset.trending = String(x.trending);
      return row;
    }),
  );
}

function renderVoice(voice) {
  showPanel('voice', true);
  const total = voice.brands.reduce((n, b) => n + b.posts, 0);
  document.getElementById('voice-caption').textContent =
    total > 0 ? `${total} posts in the last hour, the brand against its group` : 'No posts in the last hour.';
  document.getElementById('voice-list').replaceChildren(
    ...voice.brands.map((b, i) => {
      const share = b.share ?? 0;
      const bar = el('span', { className: 'voice-bar' });
      bar.style.width = `${Math.round(100 * share)}%`;
      bar.style.background = brands.get(b.name)?.color ?? COLORS[i % COLORS.length]; // the brand's colour in the charts
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

function renderInfluencers(list) {
  showPanel('influencers', true);
  document.getElementById('influencers-empty').hidden = list.length > 0;
  document.getElementById('influencer-table').hidden = list.length === 0;
  document.getElementById('influencer-list').replaceChildren(
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

function renderSegments(segments) {
  showPanel('segments', true);
  document.getElementById('segments-empty').hidden = segments.length > 0;
  document.getElementById('segment-list').replaceChildren(
    ...segments.map((s) => {
      const item = el(
        'li',
        { className: 'segment' },
        el('strong', { className: 'segment-label', textContent: s.label || `segment ${s.id}` }),
        el('span', { className: 'segment-authors', textContent: ` ${s.authors} authors` }),
        el('span', { className: 'muted', textContent: ` · ${s.posts} posts in the last hour · sentiment ` }),
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

const HOUR_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function renderBestTimes(view) {
  showPanel('best-times', true);
  document.getElementById('best-times-empty').hidden = view.hours.length > 0;
  document.getElementById('best-hours').replaceChildren(
    ...view.best.map((h) => {
      const item = el(
        'li',
        { className: 'best-hour' },
        el('strong', { textContent: `${h.day} ${String(h.hour_of_day).padStart(2, '0')}:00` }),
        ` ${h.mean.toFixed(1)} engagement per post (95%: ${h.lo.toFixed(1)}–${h.hi.toFixed(1)}), ${h.posts} posts`,
      );
      item.dataset.hour = String(h.hour);
      return item;
    }),
  );
  const means = new Map(view.hours.map((h) => [h.hour, h]));
  const top = Math.max(0, ...view.hours.map((h) => h.mean));
  const rows = HOUR_NAMES.map((day, d) => {
    const cells = [];
    for (let hod = 0; hod < 24; hod++) {
      const h = means.get(d * 24 + hod);
      const level = h && top > 0 ? h.mean / top : 0;
      const cell = el('td', {
        className: h ? 'cell' : 'cell none',
        title: h
          ? `${day} ${hod}:00 UTC: ${h.mean.toFixed(1)} per post, ${h.posts} posts`
          : `${day} ${hod}:00 UTC: no posts`,
      });
      cell.style.setProperty('--level', level.toFixed(3));
      cell.append(el('span', { className: 'sr-only', textContent: h ? `${h.mean.toFixed(1)}` : 'none' }));
      cells.push(cell);
    }
    return el('tr', {}, el('th', { scope: 'row', textContent: day }), ...cells);
  });
  document.getElementById('heatmap-body').replaceChildren(...rows);
}

async function loadBestTimes(brand) {
  analytics.bestTimesAt = Date.now();
  const res = await api(`/v1/brands/${encodeURIComponent(brand)}/best-times`).catch(() => undefined);
  if (!res?.ok || analytics.brand !== brand) return; // not served, or another brand is selected now
  renderBestTimes(await res.json());
}

/** Best times are all-time statistics: re-read when the brand's live data moves, at most every few seconds. */
function refreshBestTimes() {
  if (analytics.bestTimesPending || !analytics.brand) return;
  const wait = Math.max(0, analytics.bestTimesAt + BEST_TIMES_EVERY_MS - Date.now());
  analytics.bestTimesPending = true;
  setTimeout(() => {
    analytics.bestTimesPending = false;
    void loadBestTimes(analytics.brand);
  }, wait);
}

function applyAnalytics(msg) {
  document.getElementById('analytics').hidden = false;
  if (msg.channel === 'segments') return renderSegments(msg.segments);
  if (msg.channel !== `analytics:${analytics.brand}`) return;
  document.getElementById('analytics-range').textContent = msg.window_ms
    ? `last hour, ${Math.round(msg.window_ms / 60000)}-minute windows`
    : 'last hour';
  if (msg.topics) renderTopics(msg.topics);
  if (msg.trends) renderTrends(msg.trends);
  if (msg.voice) renderVoice(msg.voice);
  if (msg.influencers) renderInfluencers(msg.influencers);
  refreshBestTimes();
}

function clearBrandPanels() {
  for (const id of [
    'topic-list',
    'trend-list',
    'voice-list',
    'influencer-list',
    'best-hours',
    'heatmap-body',
  ])
    document.getElementById(id).replaceChildren();
}

function selectBrand(id) {
  const previous = analytics.brand;
  if (previous === id) return;
  analytics.brand = id;
  const params = new URLSearchParams(location.hash.slice(1));
  params.set('brand', id);
  window.history.replaceState(null, '', `${location.pathname}${location.search}#${params}`);
  clearBrandPanels();
  const ws = analytics.ws;
  if (ws && ws.readyState === WebSocket.OPEN) {
    if (previous) ws.send(JSON.stringify({ op: 'unsubscribe', channels: [`analytics:${previous}`] }));
    ws.send(JSON.stringify({ op: 'subscribe', channels: [`analytics:${id}`] }));
  }
  void loadBestTimes(id);
}

function setUpBrandSelect(list) {
  const select = document.getElementById('brand-select');
  select.replaceChildren(
    ...list.map((b) =>
      el('option', {
        value: b.id,
        textContent: `${b.name}${b.kind === 'competitor' ? ' (competitor)' : ''}`,
      }),
    ),
  );
  const wanted = new URLSearchParams(location.hash.slice(1)).get('brand');
  const first = list.find((b) => b.id === wanted) ?? list.find((b) => b.kind === 'own') ?? list[0];
  if (!first) return;
  select.value = first.id;
  select.addEventListener('change', () => selectBrand(select.value));
  analytics.brand = first.id;
  void loadBestTimes(first.id);
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = API_KEY ? `?api_key=${encodeURIComponent(API_KEY)}` : '';
  const ws = new WebSocket(`${proto}//${location.host}/v1/stream${query}`);
  ws.onopen = () => {
    setStatus('live', 'live');
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['brands'] }));
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['alerts'] }));
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['campaigns'] }));
    analytics.ws = ws;
    const channels = ['segments', ...(analytics.brand ? [`analytics:${analytics.brand}`] : [])];
    ws.send(JSON.stringify({ op: 'subscribe', channels }));
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === 'alert') applyAlert(msg.alert);
    else if (msg.type === 'campaign') applyCampaigns(msg);
    else if (msg.type === 'analytics') applyAnalytics(msg);
    else if (msg.type === 'snapshot' && msg.alerts) for (const a of msg.alerts) applyAlert(a);
    else if (msg.type === 'update' || msg.type === 'snapshot') for (const w of msg.windows) upsert(w);
    else if (msg.type === 'error' && msg.code === 'UNKNOWN_CHANNEL')
      console.info('channel not served here', msg.message);
    else if (msg.type === 'error') console.warn('stream error', msg.code, msg.message);
  };
  ws.onclose = () => {
    setStatus('closed', 'reconnecting…');
    setTimeout(connect, 2000);
  };
}

async function main() {
  const { brands: list } = await (await api('/v1/brands')).json();
  list.forEach((info, i) =>
    brands.set(info.name, { info, color: COLORS[i % COLORS.length], windows: new Map() }),
  );
  await Promise.all(
    list.map(async (info) => {
      const res = await api(`/v1/brands/${encodeURIComponent(info.id)}/metrics?window=${WINDOW}`);
      if (res.ok) for (const w of (await res.json()).windows) upsert(w);
    }),
  );
  makeChart('chart-volume', (w) => w.posts);
  makeChart('chart-sentiment', (w) => w.sentiment_mean, { scales: { y: { range: [-1, 1] } } });
  makeChart('chart-negative', (w) => (w.posts > 0 ? w.negative / w.posts : null), {
    scales: { y: { range: [0, 1] } },
  });
  renderCards();
  setUpBrandSelect(list);
  const history = await api('/v1/alerts?limit=20').catch(() => undefined);
  if (history?.ok) for (const a of (await history.json()).alerts) applyAlert(a);
  connect();
  requestAnimationFrame(frame);
  window.addEventListener('resize', () => {
    for (const [id, { chart }] of Object.entries(charts))
      chart.setSize({ width: document.getElementById(id).clientWidth, height: 220 });
  });
}

main().catch((err) => {
  setStatus('closed', /^40[13]:/.test(err.message) ? 'needs an API key (?api_key=)' : 'error');
  console.error(err);
});
