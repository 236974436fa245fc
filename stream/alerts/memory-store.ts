import { isDeepStrictEqual } from 'node:util';
import type { NotifiedMark } from './cooldown.js';
import {
  DEFAULT_CLAIM_TTL_MS,
  type AlertActions,
  type AlertStateStore,
  type CreateSubscriptionResult,
  type MarkKey,
} from './store.js';
import { compareSubscriptions, type AlertSubscription } from './subscriptions.js';

export interface MemoryAlertStateStoreOptions {
  /** How long a claim (and a cooldown mark) is kept. */
  claimTtlMs?: number;
  now?: () => number;
}

const markId = (k: MarkKey) => `${k.subscription}\u0000${k.brand}\u0000${k.kind}`;

/**
 * The embedded default's alert state, in this process. Expired claims and marks are swept as new
 * ones come, so memory follows the alert rate over the time to live.
 */
export class MemoryAlertStateStore implements AlertStateStore {
  readonly kind = 'memory';
  private readonly subscriptions = new Map<string, AlertSubscription>();
  private readonly claims = new Map<string, number>();
  private readonly marks = new Map<string, { mark: NotifiedMark; expires: number }>();
  /** Alert id → who and when (ms). */
  private readonly acked = new Map<string, { by: string; at: number }>();
  private readonly resolved = new Map<string, { by: string; at: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private nextSweep = 0;

  constructor(o: MemoryAlertStateStoreOptions = {}) {
    this.ttlMs = o.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
    this.now = o.now ?? Date.now;
  }

  async createSubscription(s: AlertSubscription, limit = Infinity): Promise<CreateSubscriptionResult> {
    const cur = this.subscriptions.get(s.id);
    if (cur) return isDeepStrictEqual(cur, s) ? 'created' : 'taken'; // as Redis: the same one again is its own success
    if (this.subscriptions.size >= limit) return 'full';
    this.subscriptions.set(s.id, structuredClone(s));
    return 'created';
  }

  async listSubscriptions(): Promise<AlertSubscription[]> {
    return [...this.subscriptions.values()].sort(compareSubscriptions).map((s) => structuredClone(s));
  }

  async getSubscription(id: string): Promise<AlertSubscription | undefined> {
    const s = this.subscriptions.get(id);
    return s && structuredClone(s);
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return this.subscriptions.delete(id);
  }

  async claim(subscriptionId: string, alertId: string, update: number): Promise<boolean> {
    const now = this.now();
    this.sweep(now);
    const key = `${subscriptionId}\u0000${alertId}\u0000${update}`;
    const expires = this.claims.get(key);
    if (expires !== undefined && expires > now) return false;
    this.claims.set(key, now + this.ttlMs);
    return true;
  }

  async unclaim(subscriptionId: string, alertId: string, update: number): Promise<void> {
    this.claims.delete(`${subscriptionId}\u0000${alertId}\u0000${update}`);
  }

  async getMark(key: MarkKey): Promise<NotifiedMark | undefined> {
    const m = this.marks.get(markId(key));
    return m && m.expires > this.now() ? structuredClone(m.mark) : undefined;
  }

  async updateMark(
    key: MarkKey,
    decide: (current: NotifiedMark | undefined) => NotifiedMark | null | undefined,
  ): Promise<NotifiedMark | null | undefined> {
    // One synchronous read-decide-write: nothing else runs in between.
    const now = this.now();
    const m = this.marks.get(markId(key));
    const next = decide(m && m.expires > now ? structuredClone(m.mark) : undefined);
    if (next === null) this.marks.delete(markId(key));
    else if (next !== undefined)
      this.marks.set(markId(key), { mark: structuredClone(next), expires: now + this.ttlMs });
    return next;
  }

  async ack(alertId: string, by: string): Promise<AlertActions> {
    if (!this.acked.has(alertId)) this.acked.set(alertId, { by, at: this.now() });
    return this.actionsOf(alertId);
  }

  async resolve(alertId: string, by: string): Promise<AlertActions> {
    if (!this.resolved.has(alertId)) this.resolved.set(alertId, { by, at: this.now() });
    return this.actionsOf(alertId);
  }

  async actions(alertIds: readonly string[]): Promise<Map<string, AlertActions>> {
    const out = new Map<string, AlertActions>();
    for (const id of alertIds)
      if (this.acked.has(id) || this.resolved.has(id)) out.set(id, this.actionsOf(id));
    return out;
  }

  async close(): Promise<void> {}

  private actionsOf(alertId: string): AlertActions {
    const a = this.acked.get(alertId);
    const r = this.resolved.get(alertId);
    return {
      ...(a && { acked_at: a.at, acked_by: a.by }),
      ...(r && { resolved_at: r.at, resolved_by: r.by }),
    };
  }

  /** At most once a minute: drops expired claims and marks. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 60_000;
    for (const [k, expires] of this.claims) if (expires <= now) this.claims.delete(k);
    for (const [k, m] of this.marks) if (m.expires <= now) this.marks.delete(k);
  }
}
