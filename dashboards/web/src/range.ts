// The time-range picker: Live, or a past range (last 1 h … 7 d, or custom from/to) whose windows and
// analytics are read over REST; "Back to live" returns to the live updates.
import { byId } from './dom.js';
import type { Range } from './state.js';

const HOUR = 3_600_000;
const PRESETS: Record<string, { ms: number; label: string }> = {
  '1h': { ms: HOUR, label: 'the last hour' },
  '6h': { ms: 6 * HOUR, label: 'the last 6 hours' },
  '24h': { ms: 24 * HOUR, label: 'the last 24 hours' },
  '7d': { ms: 7 * 24 * HOUR, label: 'the last 7 days' },
};

/** Minute windows up to a day (1,440 points a brand), hour windows beyond. */
export function windowFor(spanMs: number): string {
  return spanMs <= 24 * HOUR ? '1m' : '1h';
}

function when(ms: number): string {
  return new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

function past(from: number, to: number, label: string): Range {
  return { kind: 'past', from, to, window: windowFor(to - from), label };
}

/** `<input type="datetime-local">` value (local time) of a time, and back. */
function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export interface RangePicker {
  /** Shows the outcome of a change: a message, or '' when the range is shown. */
  say(text: string): void;
}

/** Wires the picker; `onChange` gets each range chosen (Live included). */
export function setUpRangePicker(onChange: (r: Range) => void): RangePicker {
  const select = byId<HTMLSelectElement>('range-select');
  const custom = byId('range-custom');
  const from = byId<HTMLInputElement>('range-from');
  const to = byId<HTMLInputElement>('range-to');
  const back = byId<HTMLButtonElement>('back-to-live');
  const message = byId('range-message');

  const choose = (r: Range) => {
    back.hidden = r.kind === 'live';
    if (r.kind === 'live') select.value = 'live';
    message.textContent = r.kind === 'live' ? '' : `Loading ${r.label}…`;
    onChange(r);
  };

  select.addEventListener('change', () => {
    const v = select.value;
    custom.hidden = v !== 'custom';
    if (v === 'live') return choose({ kind: 'live' });
    if (v === 'custom') {
      const now = Date.now();
      if (!from.value) from.value = toLocalInput(now - HOUR);
      if (!to.value) to.value = toLocalInput(now);
      return;
    }
    const preset = PRESETS[v];
    if (preset) {
      const now = Date.now();
      choose(past(now - preset.ms, now, preset.label));
    }
  });

  byId<HTMLFormElement>('range-custom').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const a = new Date(from.value).getTime();
    const b = new Date(to.value).getTime();
    if (!Number.isFinite(a) || !Number.isFinite(b) || a >= b) {
      message.textContent = 'Choose a “from” before the “to”.';
      return;
    }
    choose(past(a, b, `${when(a)} – ${when(b)}`));
  });

  back.addEventListener('click', () => {
    custom.hidden = true;
    choose({ kind: 'live' });
    select.focus(); // the button hides: keep keyboard focus on the picker
  });

  return { say: (text) => (message.textContent = text) };
}
