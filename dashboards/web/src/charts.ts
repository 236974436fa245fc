// The three time-series charts (uPlot): posts, mean sentiment and negative share per window.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { byId } from './dom.js';
import { shownWindows, state } from './state.js';
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

/** [x (s), one series per brand] over every window start any brand has. */
function seriesData(pick: Pick): uPlot.AlignedData {
  const all = new Set<number>();
  for (const b of state.brands.values()) for (const s of shownWindows(b).keys()) all.add(s);
  const xs = [...all].sort((x, y) => x - y);
  return [
    xs.map((s) => s / 1000),
    ...[...state.brands.values()].map((b) => {
      const ws = shownWindows(b);
      return xs.map((s) => {
        const w = ws.get(s);
        return w ? pick(w) : null;
      });
    }),
  ];
}

function makeChart(id: string, pick: Pick, range?: uPlot.Range.MinMax): void {
  const target = byId(id);
  const series: uPlot.Series[] = [
    {},
    ...[...state.brands.values()].map((b) => ({ label: b.info.name, stroke: b.color, width: 2 })),
  ];
  const plot = new uPlot(
    {
      width: target.clientWidth || 800,
      height: HEIGHT,
      series,
      // the legend names the brands; values under the cursor would only repeat the axes
      legend: { live: false },
      scales: range ? { y: { range } } : {},
      axes: [AXIS, AXIS],
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
  makeChart('chart-negative', (w) => (w.posts > 0 ? w.negative / w.posts : null), [0, 1]);
}

/**
 * Redraws every chart from the windows shown now. The volume chart's box also says, for tests and
 * screen readers' sake, what it holds: the range, the number of windows and each brand's posts.
 */
export function renderCharts(): void {
  for (const c of charts) c.plot.setData(seriesData(c.pick));
  const box = byId('chart-volume');
  const posts: Record<string, number> = {};
  let windows = 0;
  for (const b of state.brands.values()) {
    const ws = shownWindows(b);
    windows = Math.max(windows, ws.size);
    posts[b.info.id] = [...ws.values()].reduce((n, w) => n + w.posts, 0);
  }
  box.dataset.range = state.range.kind;
  box.dataset.windows = String(windows);
  box.dataset.posts = JSON.stringify(posts);
  byId('charts-summary').textContent =
    `${state.range.kind === 'live' ? 'Live, the last hour' : state.range.label}: ` +
    [...state.brands.values()].map((b) => `${b.info.name} ${posts[b.info.id]} posts`).join(', ');
}
