// The connection state in the header: connecting, live, reconnecting in N s, offline, or an error.
// It is a live region: screen readers hear each change of state, not each tick of the countdown.
import { byId, el } from './dom.js';
import type { Connection } from './stream.js';

let countdown: ReturnType<typeof setInterval> | undefined;

function show(state: string, text: string): HTMLElement {
  clearInterval(countdown);
  countdown = undefined;
  const s = byId('status');
  s.dataset.state = state;
  s.textContent = text;
  return s;
}

/** What the live history lacks now (a read that failed and is tried again): said while live. */
let gap: string | undefined;

const liveText = () => (gap === undefined ? 'live' : `live, but ${gap}`);

export function showConnection(c: Connection): void {
  if (c.state === 'connecting') return void show('connecting', 'connecting…');
  if (c.state === 'live') return void show('live', liveText());
  if (c.state === 'offline') return void show('offline', 'offline: waiting for the network');
  const seconds = el('span', { className: 'countdown' });
  seconds.setAttribute('aria-hidden', 'true');
  show('reconnecting', 'reconnecting').append(seconds);
  const tick = () => {
    const s = Math.ceil((c.at - Date.now()) / 1000);
    seconds.textContent = s > 0 ? ` in ${s} s` : '…';
  };
  tick();
  countdown = setInterval(tick, 1000);
}

/** A failure the page cannot get past by itself (no key, the API unreachable at start). */
export function showError(text: string): void {
  show('error', text);
}

/**
 * Live, but some of the history could not be read (at start, or the minutes missed while
 * reconnecting): the charts may have a gap. Said while live, until `clearGapError`.
 */
export function showGapError(message: string): void {
  if (gap === message) return; // said already: a screen reader hears it once
  gap = message;
  if (byId('status').dataset.state === 'live') show('live', liveText());
}

/** The history is read in full again: plain "live". */
export function clearGapError(): void {
  if (gap === undefined) return;
  gap = undefined;
  if (byId('status').dataset.state === 'live') show('live', liveText());
}
