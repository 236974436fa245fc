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

import type { BrandDirectory } from './brands.js';

export type AlertListener = (alert: AlertRecord) => void;

/** What people did to an alert by hand, as a record carries it (see withActions). */
const MANUAL_FIELDS = ['acked_at', 'acked_by', 'resolved_by_hand_at', 'resolved_by'] as const;

/**
 * The live side of alerts: the alerts stage's updates (`live.alerts`) fanned out to WebSocket
 * channels `alerts` (every brand) and `alerts:<brand id>`, and the current alerts for a client's
 * first snapshot (loaded from the store at start, see `preload`). History and filters are
 * GET /v1/alerts (the store).
 */
export class AlertHub {
  /** Resolved alerts kept for a new client's snapshot, beside every open one. */
  static readonly RECENT_RESOLVED = 50;
  private readonly latest = new Map<string, AlertRecord>();
  private readonly listeners = new Set<AlertListener>();
  private subscription: Subscription | undefined;

  constructor(private readonly o: { bus: Bus; brands: BrandDirectory }) {}

  start(): void {
    const sub = this.o.bus.subscribe(Subjects.liveAlerts);
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

  /** A new update of an alert: kept (with what people did to it by hand so far) and pushed. */
  apply(update: AlertRecord): void {
    const known = this.latest.get(update.id);
    if (known && known.update >= update.update) return; // a repeat or an older update
    const alert = known ? carryManual(known, update) : update;
    this.latest.delete(alert.id);
    this.latest.set(alert.id, alert);
    this.trim();
    for (const l of this.listeners) l(alert);
  }

  /**
   * The alerts a process starting up finds in the store (with their manual actions), so that a
   * client's first snapshot lists the open ones although their updates were pushed before this
   * process ran. An update the hub already holds is not replaced by an older stored one; nothing
   * is pushed.
   */
  preload(alerts: readonly AlertRecord[]): void {
    for (const a of [...alerts].sort((x, y) => x.updated_at - y.updated_at)) {
      const known = this.latest.get(a.id);
      if (known && known.update >= a.update) {
        this.latest.set(a.id, carryManual(a, known));
        continue;
      }
      this.latest.set(a.id, known ? carryManual(known, a) : a);
    }
    this.trim();
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

  /** `alerts`, or `alerts:<id>` of a tracked brand (its id as GET /v1/brands gives it). */
  isChannel(channel: string): boolean {
    if (channel === 'alerts') return true;
    if (!channel.startsWith('alerts:')) return false;
    const id = channel.slice('alerts:'.length);
    return this.o.brands.find(id)?.id === id;
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
    for (const a of resolved.slice(0, Math.max(0, resolved.length - AlertHub.RECENT_RESOLVED)))
      this.latest.delete(a.id);
  }
}

/** `update` with the manual actions `from` carries (an update from the stage carries none). */
function carryManual(from: AlertRecord, update: AlertRecord): AlertRecord {
  const manual = from as Partial<Record<(typeof MANUAL_FIELDS)[number], unknown>>;
  const out: Record<string, unknown> = { ...update };
  for (const f of MANUAL_FIELDS) if (manual[f] !== undefined && out[f] === undefined) out[f] = manual[f];
  return out as unknown as AlertRecord;
}
