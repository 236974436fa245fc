import { SEVERITIES, type AlertRecord, type Severity, type SpikeKind } from '../model/alerts.js';
import { brandId } from '../model/brands.js';

/** A signed HTTP POST; `slack` sends a Slack-compatible `{ text, blocks }` body instead of the alert JSON. */
export interface WebhookTarget {
  type: 'webhook';
  url: string;
  /** Key of the HMAC-SHA256 signature; never shown again after the subscription is created. */
  secret: string;
  format?: 'json' | 'slack';
}

export interface EmailTarget {
  type: 'email';
  to: string[];
}

/** The live page's alert feed: nothing is delivered, the WebSocket channel `alerts` filters by it. */
export interface WebSocketTarget {
  type: 'websocket';
}

export type SubscriptionTarget = WebhookTarget | EmailTarget | WebSocketTarget;

/** Who is told about which alerts, and how. */
export interface AlertSubscription {
  id: string;
  /** Brand ids (`brandId`); empty: every brand. */
  brands: string[];
  /** Empty: every kind. */
  kinds: SpikeKind[];
  /** Alerts below it are not notified; an alert that rises to it is. */
  min_severity: Severity;
  target: SubscriptionTarget;
  /** Also notify when an alert this subscriber was told about resolves (by the detector). */
  notify_resolved: boolean;
  /** ms since the epoch. */
  created_at: number;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/**
 * Whether an alert concerns a subscription: its brand (by id, so a name or an id in the alert
 * both match) and kind, and for an open alert its severity. A resolve is not filtered by severity:
 * whether it is notified depends on what the subscriber was told (see cooldown.ts).
 */
export function matchesSubscription(s: AlertSubscription, alert: AlertRecord): boolean {
  if (s.brands.length > 0 && !s.brands.includes(brandId(alert.brand))) return false;
  if (s.kinds.length > 0 && !s.kinds.includes(alert.kind)) return false;
  return alert.state === 'resolved' || severityRank(alert.severity) >= severityRank(s.min_severity);
}

/** Oldest first; ties by id, so every store lists in the same order. */
export function compareSubscriptions(a: AlertSubscription, b: AlertSubscription): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
