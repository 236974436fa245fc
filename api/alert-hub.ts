import { isDeepStrictEqual } from 'node:util';
import {
  alertOrder,
  brandId,
  withActions,
  decodeJson,
  encodeJson,
  Subjects,
  type AlertActions,
  type AlertRecord,
  type AlertStateStore,
  type Bus,
  type Subscription,
} from '../stream/index.js';

import type { BrandDirectory } from './brands.js';

export type AlertListener = (alert: AlertRecord) => void;

/**
 * The live side of alerts: the alerts stage's updates (`live.alerts`) fanned out to WebSocket
 * channels `alerts` (every brand) and `alerts:<brand id>`, and the current alerts for a client's
 * first snapshot (loaded from the store at start, see `preload`). History and filters are
 * GET /v1/alerts (the store).
 */
export class AlertHub {
  /** Resolved alerts kept for a new client's snapshot, beside every open one. */
  static readonly RECENT_RESOLVED = 50;
  /** The latest update of each alert, as the stage sent it. */
  private readonly latest = new Map<string, AlertRecord>();
  /** What people did to alerts by hand (the store's answer: all of it so far), by alert id. */
  private readonly actions = new Map<string, AlertActions>();
  private readonly listeners = new Set<AlertListener>();
  private readonly subscriptions: Subscription[] = [];

  constructor(private readonly o: { bus: Bus; brands: BrandDirectory }) {}

  start(): void {
    this.follow(Subjects.liveAlerts, (updates: AlertRecord[]) => {
      for (const a of updates) this.apply(a);
    });
    // another API process's acknowledge or resolve, for the pages connected here
    this.follow(Subjects.liveAlertActions, (m: { id: string; actions: AlertActions }) =>
      this.annotate(m.id, m.actions),
    );
  }

  private follow<T>(subject: string, handle: (message: T) => void): void {
    const sub = this.o.bus.subscribe(subject);
    this.subscriptions.push(sub);
    void (async () => {
      for await (const m of sub) {
        try {
          handle(decodeJson<T>(m.data));
        } catch {
          // a malformed live message loses one update; the store keeps the truth
        }
      }
    })();
  }

  stop(): void {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
  }

  /**
   * An acknowledge or resolve done through this process: shown at once on the pages connected here,
   * and told to every other API process (each pushes it to its own pages).
   */
  act(id: string, actions: AlertActions): void {
    this.annotate(id, actions);
    this.o.bus.notify(Subjects.liveAlertActions, encodeJson({ id, actions }));
  }

  /** A new update of an alert: kept, and pushed with what people did to it by hand so far. */
  apply(update: AlertRecord): void {
    const known = this.latest.get(update.id);
    if (known && known.update >= update.update) return; // a repeat or an older update
    this.latest.delete(update.id);
    this.latest.set(update.id, update);
    this.trim();
    this.push(update.id);
  }

  /**
   * The alerts a process starting up finds in the store, with what people did to them, so that a
   * client's first snapshot lists the open ones although their updates were pushed before this
   * process ran. An update the hub already holds is not replaced by an older stored one; nothing
   * is pushed.
   */
  preload(alerts: readonly AlertRecord[], actions: ReadonlyMap<string, AlertActions>): void {
    for (const a of [...alerts].sort((x, y) => x.updated_at - y.updated_at)) {
      const known = this.latest.get(a.id);
      if (!known || known.update < a.update) this.latest.set(a.id, a);
      const stored = actions.get(a.id);
      // the store answers everything done so far: a later answer (annotate) holds at least as much
      if (stored) this.actions.set(a.id, { ...stored, ...this.actions.get(a.id) });
    }
    this.trim();
  }

  /**
   * Reads again, from the store, what people did to the alerts held here, and pushes what changed:
   * for an action told on the bus while this process could not hear it (NATS down).
   */
  async refreshActions(store: Pick<AlertStateStore, 'actions'>): Promise<void> {
    const stored = await store.actions([...this.latest.keys()]);
    for (const [id, actions] of stored) this.annotate(id, actions);
  }

  /**
   * Records what people did by hand (acknowledge, resolve) to a known alert, and pushes it again
   * when that changes what the alert shows (the same actions told twice are pushed once).
   */
  annotate(id: string, actions: AlertActions): void {
    if (!this.latest.has(id)) return;
    const before = this.actions.get(id);
    const after = { ...before, ...actions };
    if (before && isDeepStrictEqual(before, after)) return;
    this.actions.set(id, after);
    this.push(id);
  }

  onAlert(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `alerts`, or `alerts:<id>` of a tracked brand (its id as GET /v1/brands gives it). */
  isChannel(channel: string): boolean {
    if (channel === 'alerts') return true;
    if (!channel.startsWith('alerts:')) return false;
    return this.o.brands.hasId(channel.slice('alerts:'.length));
  }

  /** Whether an alert belongs on a channel (`alerts` or `alerts:<brand id>`). */
  static matches(channel: string, alert: AlertRecord): boolean {
    return channel === 'alerts' || channel === `alerts:${brandId(alert.brand)}`;
  }

  /** Open alerts first (newest first), then recently resolved ones. */
  snapshot(channel: string): AlertRecord[] {
    const all = [...this.latest.values()].filter((a) => AlertHub.matches(channel, a));
    return all.map((a) => this.annotated(a)).sort(alertOrder);
  }

  private annotated(alert: AlertRecord): AlertRecord {
    return withActions(alert, this.actions.get(alert.id));
  }

  private push(id: string): void {
    const alert = this.annotated(this.latest.get(id)!);
    for (const l of this.listeners) l(alert);
  }

  private trim(): void {
    const resolved = [...this.latest.values()].filter((a) => a.state === 'resolved');
    for (const a of resolved.slice(0, Math.max(0, resolved.length - AlertHub.RECENT_RESOLVED))) {
      this.latest.delete(a.id);
      this.actions.delete(a.id);
    }
  }
}
