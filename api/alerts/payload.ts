import { brandId, type AlertRecord, type NotificationKind, type SpikeKind } from '../../stream/index.js';
import type { Delivery } from './delivery.js';

/** The JSON body of a webhook (`format: json`): the alert as GET /v1/alerts shows it, and what happened. */
export interface AlertNotification {
  type: `alert.${NotificationKind}`;
  delivery_id: string;
  subscription_id: string;
  alert: AlertRecord & { brand_id: string };
}

export function alertNotification(d: Delivery): AlertNotification {
  return {
    type: `alert.${d.notification}`,
    delivery_id: d.id,
    subscription_id: d.subscription.id,
    alert: { ...d.alert, brand_id: brandId(d.alert.brand) },
  };
}

const KIND_LABELS: Record<SpikeKind, string> = {
  negative_share: 'Negative share',
  negative_count: 'Negative posts',
  volume: 'Post volume',
};

/** A value of the alert's kind as people read it: a share in per cent, a count as a number. */
export function formatValue(kind: SpikeKind, v: number): string {
  if (kind === 'negative_share') return `${(v * 100).toFixed(1)}%`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** The words of a notification, shared by the Slack and e-mail formats. */
export interface AlertSummary {
  title: string;
  /** One sentence: observed against the baseline. */
  summary: string;
  facts: [label: string, value: string][];
  top_terms: string[];
  samples: string[];
}

export function summarize(d: Delivery, maxSamples = 3): AlertSummary {
  const a = d.alert;
  const what = `${KIND_LABELS[a.kind]} spike: ${a.brand}`;
  const title =
    d.notification === 'resolved'
      ? `Resolved: ${what}`
      : d.notification === 'escalated'
        ? `${a.severity.toUpperCase()} (escalated) ${what}`
        : `${a.severity.toUpperCase()} ${what}`;
  const windowEnd = new Date(a.updated_at).toISOString();
  const summary =
    `${formatValue(a.kind, a.observed)} in the ${a.window_ms / 60_000}-minute window ending ${windowEnd}, ` +
    `against a baseline of ${formatValue(a.kind, a.baseline)} (${a.score.toFixed(1)} robust SD above); ` +
    `peak ${formatValue(a.kind, a.peak)}.`;
  const facts: [string, string][] = [
    ['Severity', a.severity],
    ['Kind', a.kind],
    ['Opened', new Date(a.opened_at).toISOString()],
    ['State', a.resolved_at === null ? a.state : `${a.state} at ${new Date(a.resolved_at).toISOString()}`],
    ['Latest window', `${a.posts} posts, ${a.negative} negative`],
    ['Alert', `${a.id} (update ${a.update})`],
  ];
  return {
    title,
    summary,
    facts,
    top_terms: a.top_terms.slice(0, 10),
    samples: a.samples.slice(0, maxSamples).map((s) => s.text),
  };
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
