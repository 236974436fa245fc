import {
  alertOrder,
  brandId,
  withActions,
  decodeJson,
  Subjects,
  type AlertActions,
  type AlertRecord,
  type Bus,
  type Subscription,
} from '../stream/index.js';

export type AlertListener = (alert: AlertRecord) => void;

/** Resolved alerts kept for a new client's snapshot, beside every open one. */
const RECENT_RESOLVED = 50;

/**
 * The live side of alerts: the alerts stage's updates (`live.alerts`) fanned out to WebSocket
 * channels `alerts` (every brand) and `alerts:<brand id>`, and the current alerts for a client's
 * first snapshot. History and filters are GET /v1/alerts (the store).
 */
export class AlertHub {
  private readonly latest = new Map<string, AlertRecord>();
  private readonly listeners = new Set<AlertListener>();
  private subscription: Subscription | undefined;

  constructor(private readonly bus: Bus) {}

  start(): void {
    const sub = this.bus.subscribe(Subjects.liveAlerts);
    this.subscription = sub;
    void (async () => {
      for await (const m of sub) {
        try {
          for (const a of decodeJson<AlertRecord[]>(m.data)) this.apply(a);
        } catch {
          // a malformed live message loses one update; the store keeps the truth
        }
      }
    })();
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  apply(alert: AlertRecord): void {
    const known = this.latest.get(alert.id);
    if (known && known.update >= alert.update) return; // a repeat or an older update
    this.latest.delete(alert.id);
    this.latest.set(alert.id, alert);
    this.trim();
    for (const l of this.listeners) l(alert);
  }

  /** Adds what people did by hand (acknowledge, resolve) to a known alert, and pushes it again. */
  annotate(id: string, actions: AlertActions): void {
    const known = this.latest.get(id);
    if (!known) return;
    const annotated = withActions(known, actions);
    this.latest.set(id, annotated);
    for (const l of this.listeners) l(annotated);
  }

  onAlert(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  static isChannel(channel: string): boolean {
    return channel === 'alerts' || /^alerts:[a-z0-9-]+$/.test(channel);
  }

  /** Whether an alert belongs on a channel (`alerts` or `alerts:<brand id>`). */
  static matches(channel: string, alert: AlertRecord): boolean {
    return channel === 'alerts' || channel === `alerts:${brandId(alert.brand)}`;
  }

  /** Open alerts first (newest first), then recently resolved ones. */
  snapshot(channel: string): AlertRecord[] {
    const all = [...this.latest.values()].filter((a) => AlertHub.matches(channel, a));
    return all.sort(alertOrder);
  }

  private trim(): void {
    const resolved = [...this.latest.values()].filter((a) => a.state === 'resolved');
    for (const a of resolved.slice(0, Math.max(0, resolved.length - RECENT_RESOLVED)))
      this.latest.delete(a.id);
  }
}
