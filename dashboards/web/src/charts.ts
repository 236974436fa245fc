// The three time-series charts (uPlot): posts, mean sentiment and negative share per window.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { byId } from './dom.js';
import { negativeShare, shownWindows, state } from './state.js';
import type { WindowAggregate } from './types.js';

type Pick = (w: WindowAggregate) => number | null;

interface Chart {
  id: string;
  plot: uPlot;
  pick: Pick;
}

const charts: Chart[] = [];
const HEIGHT = 220;
const AXIS = { stroke: '#9aa5b4', grid: { stroke: '#243040' }, ticks: { stroke: '#243040' } };

/**
 * [x (s), two series per brand]: its final windows (solid), and its open ones (dashed), joined to
 * the brand's last final window before them so the line runs on. An open window is still counting
 * (the current minute's posts are a part of the minute); dashed, it does not read as a drop.
 */
function seriesData(pick: Pick): uPlot.AlignedData {
  const all = new Set<number>();
  for (const b of state.brands.values()) for (const s of shownWindows(b).keys()) all.add(s);
  const xs = [...all].sort((x, y) => x - y);
  const out: uPlot.AlignedData[number][] = [xs.map((s) => s / 1000)];
  for (const b of state.brands.values()) {
    const ws = shownWindows(b);
    const at = xs.map((s) => ws.get(s));
    const firstOpen = at.findIndex((w) => w !== undefined && !w.final);
    // the brand's last final window before its first open one (a quiet brand has gaps)
    let joined = -1;
    for (let i = firstOpen - 1; i >= 0 && joined < 0; i--) if (at[i]) joined = i;
    out.push(
      at.map((w) => (w?.final ? pick(w) : null)),
      at.map((w, i) => (w && (!w.final || i === joined) ? pick(w) : null)),
    );
  }
  return out as uPlot.AlignedData;
}

/** The least span of the time axis (s): one window's time would otherwise stretch the axis over years. */
const MIN_SPAN_S = 10 * 60;

/**
 * The time axis: as uPlot has it (the windows' times, or a zoom), at least MIN_SPAN_S around them.
 * For one time alone uPlot gives a day's worth of its unit from it, which in seconds is 1000 days.
 */
function timeRange(u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  const xs = u.data[0];
  if (xs.length === 1) min = max = xs[0]!;
  if (min === null || max === null || max - min >= MIN_SPAN_S) return [min, max];
  const pad = (MIN_SPAN_S - (max - min)) / 2;
  return [min - pad, max + pad];
}

function makeChart(id: string, pick: Pick, range?: uPlot.Range.MinMax): void {
  const target = byId(id);
  const series: uPlot.Series[] = [{}];
  for (const b of state.brands.values())
    series.push(
      { label: b.info.name, stroke: b.color, width: 2 },
      // the open windows: no legend row of their own, shown and hidden with the brand's
      {
        label: `${b.info.name}, open windows`,
        stroke: b.color,
        width: 2,
        dash: [6, 5],
        class: 'open-series',
        // from the last final window across the minutes a quiet brand had no post in
        spanGaps: true,
      },
    );
  const plot = new uPlot(
    {
      width: target.clientWidth || 800,
      height: HEIGHT,
      series,
      // the legend names the brands; values under the cursor would only repeat the axes
      legend: { live: false },
      scales: { x: { time: true, range: timeRange }, ...(range && { y: { range } }) },
      axes: [AXIS, AXIS],
      hooks: {
        // for tests: how many seconds the time axis spans
        setScale: [
          (u, key) => {
            if (key === 'x') target.dataset.xSpan = String((u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0));
          },
        ],
        setSeries: [
          (u, i) => {
            // a brand's open windows (even series) are shown and hidden with its final ones (odd),
            // whichever of them a legend click (or a ctrl-click isolating a brand) changed
            if (i === null || i === 0) return;
            const solid = i % 2 === 1 ? i : i - 1;
            const shown = u.series[solid]?.show;
            if (u.series[solid + 1]?.show !== shown) u.setSeries(solid + 1, { show: shown });
          },
        ],
      },
    },
    seriesData(pick),
    target,
  );
  charts.push({ id, plot, pick });
  // the chart follows its box (the page stacks sections on a phone), not the other way round
  new ResizeObserver(() => plot.setSize({ width: target.clientWidth, height: HEIGHT })).observe(target);
}

export function makeCharts(): void {
  makeChart('chart-volume', (w) => w.posts);
  makeChart('chart-sentiment', (w) => w.sentiment_mean, [-1, 1]);
  makeChart('chart-negative', negativeShare, [0, 1]);
}

/**
 * Redraws every chart from the windows shown now. The volume chart's box also says, for tests and
 * screen readers' sake, what it holds: the range, the number of windows, each brand's posts and
 * its windows still open (drawn dashed); the negative chart's box, each brand's latest share.
 */
export function renderCharts(): void {
  for (const c of charts) c.plot.setData(seriesData(c.pick));
  const box = byId('chart-volume');
  const posts: Record<string, number> = {};
  const open: Record<string, number> = {};
  let windows = 0;
  for (const b of state.brands.values()) {
    const ws = [...shownWindows(b).values()];
    windows = Math.max(windows, ws.length);
    posts[b.info.id] = ws.reduce((n, w) => n + w.posts, 0);
    open[b.info.id] = ws.filter((w) => !w.final).length;
  }
  // and the negative chart's box, each brand's share in its latest window (null: none scored)
  const latest: Record<string, number | null> = {};
  for (const b of state.brands.values()) {
    const last = [...shownWindows(b).values()].reduce<WindowAggregate | undefined>(
      (x, w) => (x && x.start > w.start ? x : w),
      undefined,
    );
    if (last) latest[b.info.id] = negativeShare(last);
  }
  byId('chart-negative').dataset.latest = JSON.stringify(latest);
  box.dataset.range = state.range.kind;
  box.dataset.windows = String(windows);
  box.dataset.posts = JSON.stringify(posts);
  box.dataset.open = JSON.stringify(open);
  const stillOpen = Math.max(0, ...Object.values(open));
  byId('charts-summary').textContent =
    `${state.range.kind === 'live' ? 'Live, the last hour' : state.range.label}: ` +
    [...state.brands.values()].map((b) => `${b.info.name} ${posts[b.info.id]} posts`).join(', ') +
    (stillOpen > 0
      ? `; the latest ${stillOpen === 1 ? 'window is' : `${stillOpen} windows are`} still open`
      : '');
}
