// The alert feed: open alerts first, each with acknowledge and resolve buttons; new alerts are announced.
import { errorOf, postJson } from './api.js';
import { byId, el, num } from './dom.js';
import type { Alert } from './types.js';

/** alert id → the latest update of it: every open alert, and the newest KEPT_CLOSED others. */
const alerts = new Map<string, Alert>();
const SHOWN = 20;
/** Resolved alerts kept: a long-lived tab must not hold (and sort) every alert it ever saw. */
const KEPT_CLOSED = 100;

/**
 * What a person can do to an open alert from the page, each by `POST /v1/alerts/:id/<action>` (scope
 * `admin`): its button's label before and after, the word for a failure, and whether an alert
 * shows it done (by anyone: the server's updates say so).
 */
const ACTIONS = {
  ack: {
    label: 'acknowledge',
    doneLabel: 'acknowledged',
    failing: 'Acknowledging',
    isDone: (a: Alert) => a.acked_at !== undefined,
  },
  resolve: {
    label: 'resolve',
    doneLabel: 'resolved',
    failing: 'Resolving',
    isDone: (a: Alert) => a.resolved_by_hand_at !== undefined,
  },
} as const;
type Action = keyof typeof ACTIONS;

/** The API's answer to an action: what was done to the alert by hand so far. */
interface ActionsReply {
  acked_at?: number;
  resolved_at?: number;
}

/** `<action> <alert id>` of each action on its way: its button stays disabled, whatever re-renders. */
const sending = new Set<string>();
/** alert id → why the last action on it failed, shown with the alert until the next attempt. */
const failures = new Map<string, { action: Action; message: string }>();

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

/**
 * Open as the page lists it: the detector has not resolved it, and nobody resolved it by hand (a
 * resolve by hand leaves the detector's `state` open; the alert says `resolved_by_hand_at`).
 */
const isOpen = (a: Alert) => a.state === 'open' && a.resolved_by_hand_at === undefined;

export function applyAlert(a: Alert): void {
  const known = alerts.get(a.id);
  if (known && known.update > a.update) return;
  const merged = { ...known, ...a };
  alerts.set(a.id, merged);
  if (!isOpen(merged)) dropOldClosed();
  // a screen reader hears of an alert that opens, not of every update of the list
  if (!known && isOpen(merged))
    byId('alert-announce').textContent = `New ${a.severity} alert for ${a.brand}: ${describe(a)}`;
  renderAlerts();
}

function dropOldClosed(): void {
  const closed = [...alerts.values()].filter((a) => !isOpen(a));
  if (closed.length <= KEPT_CLOSED) return;
  closed.sort((x, y) => y.updated_at - x.updated_at);
  for (const a of closed.slice(KEPT_CLOSED)) {
    alerts.delete(a.id);
    failures.delete(a.id);
  }
}

/** An action's button: disabled once done, on an alert no longer open, and while its request is on its way. */
function actionButton(a: Alert, action: Action): HTMLButtonElement {
  const { label, doneLabel, isDone } = ACTIONS[action];
  const done = isDone(a);
  const button = el('button', {
    type: 'button',
    className: `alert-action ${action}`,
    textContent: done ? doneLabel : label,
    disabled: done || !isOpen(a) || sending.has(`${action} ${a.id}`),
  });
  button.onclick = () => {
    button.disabled = true; // at once: a double click sends one request
    void act(a.id, action);
  };
  button.setAttribute('aria-label', `${label} the ${kindText(a)} alert for ${a.brand}`);
  return button;
}

function alertItem(a: Alert): HTMLLIElement {
  const open = isOpen(a);
  const when = a.state !== 'open' ? 'resolved, opened' : open ? 'since' : 'resolved by hand, opened';
  const item = el(
    'li',
    { className: `alert alert-${open ? 'open' : 'resolved'} severity-${a.severity}` },
    el('span', { className: 'alert-severity', textContent: a.severity }),
    el('strong', { className: 'alert-brand', textContent: a.brand }),
    el('span', { className: 'alert-what', textContent: ` ${describe(a)}` }),
    el('span', {
      className: 'alert-when',
      textContent: ` · ${when} ${new Date(a.opened_at).toLocaleTimeString()}`,
    }),
    el('span', {
      className: 'alert-terms',
      textContent: a.top_terms?.length ? ` · ${a.top_terms.slice(0, 5).join(', ')}` : '',
    }),
    // resolve only while open; acknowledge stays, disabled, to say whether it was
    el(
      'span',
      { className: 'alert-actions' },
      actionButton(a, 'ack'),
      open ? actionButton(a, 'resolve') : null,
    ),
  );
  const failed = failures.get(a.id);
  if (failed !== undefined && open && !ACTIONS[failed.action].isDone(a))
    item.append(el('p', { className: 'alert-error error', textContent: failed.message }));
  item.dataset.alertId = a.id;
  return item;
}

function renderAlerts(): void {
  const sorted = [...alerts.values()].sort((x, y) =>
    isOpen(x) === isOpen(y) ? y.updated_at - x.updated_at : isOpen(x) ? -1 : 1,
  );
  byId('alerts-empty').hidden = sorted.length > 0;
  byId('alert-list').replaceChildren(...sorted.slice(0, SHOWN).map(alertItem));
}

/**
 * Acknowledges or resolves an alert; its button stays disabled until the answer, and is usable
 * again if it failed. The answer (what was done to the alert by hand so far) shows at once: an
 * acknowledged alert says so, a resolved one leaves the open list; the WebSocket brings the same as
 * an update of the alert, to this page and every other. A failure shows next to the alert (a read
 * key can do neither: the routes need scope `admin`) and is announced to screen readers.
 */
async function act(id: string, action: Action): Promise<void> {
  const key = `${action} ${id}`;
  if (sending.has(key)) return;
  sending.add(key);
  failures.delete(id);
  renderAlerts();
  let failed: string | undefined;
  let reply: ActionsReply = {};
  try {
    const res = await postJson(
      `/v1/alerts/${encodeURIComponent(id)}/${action}`,
      { by: 'live page' },
      'admin',
    );
    // an answer the page cannot read still means done: the WebSocket update will show it
    if (res.ok) reply = (await res.json().catch(() => ({}))) as ActionsReply;
    else failed = (await errorOf(res)).message;
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
  }
  sending.delete(key);
  const a = alerts.get(id);
  if (failed !== undefined) {
    const { failing } = ACTIONS[action];
    failures.set(id, { action, message: `${failing} failed: ${failed}` });
    byId('alert-announce').textContent =
      `${failing} failed (${a ? `the alert for ${a.brand}` : id}): ${failed}`;
  } else if (a) {
    alerts.set(id, {
      ...a,
      ...(reply.acked_at !== undefined && { acked_at: reply.acked_at }),
      ...(reply.resolved_at !== undefined && { resolved_by_hand_at: reply.resolved_at }),
    });
    dropOldClosed();
  }
  renderAlerts();
}
