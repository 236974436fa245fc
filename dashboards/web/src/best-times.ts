// Best times to post: the best hours of the week and a day × hour heat map (all time, over REST).
import { getJson } from './api.js';
import { byId, el } from './dom.js';
import { state } from './state.js';
import type { BestTimes } from './types.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
/** Best times are all-time statistics: re-read when the brand's data moves, at most this often. */
const EVERY_MS = 5000;

let readAt = 0;
let pending = false;

function render(view: BestTimes): void {
  byId('best-times').hidden = false;
  byId('best-times-empty').hidden = view.hours.length > 0;
  byId('best-hours').replaceChildren(
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
  const byHour = new Map(view.hours.map((h) => [h.hour, h]));
  const top = Math.max(0, ...view.hours.map((h) => h.mean));
  byId('heatmap-body').replaceChildren(
    ...DAYS.map((day, d) => {
      const cells: HTMLTableCellElement[] = [];
      for (let hod = 0; hod < 24; hod++) {
        const h = byHour.get(d * 24 + hod);
        const cell = el(
          'td',
          {
            className: h ? 'cell' : 'cell none',
            title: h
              ? `${day} ${hod}:00 UTC: ${h.mean.toFixed(1)} per post, ${h.posts} posts`
              : `${day} ${hod}:00 UTC: no posts`,
          },
          el('span', { className: 'sr-only', textContent: h ? h.mean.toFixed(1) : 'none' }),
        );
        cell.style.setProperty('--level', (h && top > 0 ? h.mean / top : 0).toFixed(3));
        cells.push(cell);
      }
      return el('tr', {}, el('th', { scope: 'row', textContent: day }), ...cells);
    }),
  );
}

export async function loadBestTimes(brand: string): Promise<void> {
  readAt = Date.now();
  const path = `/v1/brands/${encodeURIComponent(brand)}/best-times`;
  const outcome = await getJson<BestTimes>(path).then(
    (view) => ({ view }),
    (err: Error) => ({ error: err.message }),
  );
  if (state.brand !== brand) return; // another brand is chosen now
  const error = byId('best-times-error');
  error.hidden = !('error' in outcome);
  if ('error' in outcome) {
    byId('best-times').hidden = byId('analytics').hidden = false;
    error.textContent = `Could not read the best times: ${outcome.error}`;
  } else if (outcome.view) render(outcome.view); // undefined: not served here
}

/** Re-reads best times a while after the brand's live data moved (coalesced). */
export function refreshBestTimes(): void {
  if (pending || !state.brand) return;
  pending = true;
  setTimeout(
    () => {
      pending = false;
      if (state.brand) void loadBestTimes(state.brand);
    },
    Math.max(0, readAt + EVERY_MS - Date.now()),
  );
}
