// The alert feed: open alerts first, each with an acknowledge button; new alerts are announced.
import { errorOf, postJson } from './api.js';
import { byId, el, num } from './dom.js';
import type { Alert } from './types.js';

/** alert id → the latest update of it: every open alert, and the newest KEPT_CLOSED others. */
const alerts = new Map<string, Alert>();
const SHOWN = 20;
/** Resolved alerts kept: a long-lived tab must not hold (and sort) every alert it ever saw. */
const KEPT_CLOSED = 100;
/** Alerts whose acknowledgement is on its way: their button stays disabled, whatever re-renders. */
const acking = new Set<string>();
/** alert id → why its last acknowledgement failed, shown with the alert until the next attempt. */
const ackErrors = new Map<string, string>();

const KIND_TEXT: Record<string, string> = {
  negative_share: 'negative share',
  negative_count: 'negative posts',
  volume: 'volume',
};

const kindText = (a: Alert) => KIND_TEXT[a.kind] ?? a.kind;

function describe(a: Alert): string {
  const value = (v: number) => (a.kind === 'negative_share' ? `${num(v * 100)}%` : num(v));
  return `${kindText(a)} ${value(a.observed)} against ${value(a.baseline)} expected`;
}

export function applyAlert(a: Alert): void {
  const known = alerts.get(a.id);
  if (known && known.update > a.update) return;
  alerts.set(a.id, { ...known, ...a });
  if (a.state !== 'open') dropOldClosed();
  // a screen reader hears of an alert that opens, not of every update of the list
  if (!known && a.state === 'open')
    byId('alert-announce').textContent = `New ${a.severity} alert for ${a.brand}: ${describe(a)}`;
  renderAlerts();
}

function dropOldClosed(): void {
  const closed = [...alerts.values()].filter((a) => a.state !== 'open');
  if (closed.length <= KEPT_CLOSED) return;
  closed.sort((x, y) => y.updated_at - x.updated_at);
  for (const a of closed.slice(KEPT_CLOSED)) {
    alerts.delete(a.id);
    ackErrors.delete(a.id);
  }
}

function alertItem(a: Alert): HTMLLIElement {
  const acked = a.acked_at !== undefined;
  const button = el('button', {
    type: 'button',
    className: 'ack',
    textContent: acked ? 'acknowledged' : 'acknowledge',
    disabled: acked || a.state !== 'open' || acking.has(a.id),
  });
  button.onclick = () => {
    button.disabled = true; // at once: a double click sends one acknowledgement
    void acknowledge(a.id);
  };
  button.setAttribute('aria-label', `acknowledge the ${kindText(a)} alert for ${a.brand}`);
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
  const failed = ackErrors.get(a.id);
  if (failed !== undefined && !acked && a.state === 'open')
    item.append(el('p', { className: 'alert-error error', textContent: failed }));
  item.dataset.alertId = a.id;
  return item;
}

function renderAlerts(): void {
  const sorted = [...alerts.values()].sort((x, y) =>
    x.state === y.state ? y.updated_at - x.updated_at : x.state === 'open' ? -1 : 1,
  );
  byId('alerts-empty').hidden = sorted.length > 0;
  byId('alert-list').replaceChildren(...sorted.slice(0, SHOWN).map(alertItem));
}

/**
 * Acknowledges an alert; its button stays disabled until the answer, and is usable again if it
 * failed. A failure shows next to the alert (a read key cannot acknowledge: the route needs scope
 * `admin`) and is announced to screen readers.
 */
async function acknowledge(id: string): Promise<void> {
  if (acking.has(id)) return;
  acking.add(id);
  ackErrors.delete(id);
  renderAlerts();
  let failed: string | undefined;
  try {
    const res = await postJson(`/v1/alerts/${encodeURIComponent(id)}/ack`, { by: 'live page' }, 'admin');
    if (!res.ok) failed = (await errorOf(res)).message;
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
  }
  acking.delete(id);
  const a = alerts.get(id);
  if (failed !== undefined) {
    ackErrors.set(id, `Acknowledging failed: ${failed}`);
    byId('alert-announce').textContent =
      `Acknowledging failed (${a ? `the alert for ${a.brand}` : id}): ${failed}`;
  } else if (a) alerts.set(id, { ...a, acked_at: Date.now() });
  renderAlerts();
}
