import type { AlertRecord, Severity } from '../model/alerts.js';
import { severityRank } from './subscriptions.js';

/**
 * What a subscriber was last told about one brand and kind. The cooldown rule reads and replaces
 * it atomically (AlertStateStore.updateMark), so two processes cannot both notify.
 */
export interface NotifiedMark {
  /** The alert last notified. */
  alert: string;
  /** The highest severity notified for it. */
  severity: Severity;
  /** When that notification was sent, ms (wall clock). */
  at: number;
  /**
   * The event time of the update notified (its `updated_at`), ms: the cooldown runs from here, so
   * a backlog of alerts handled seconds apart (after a restart) is judged by when the spikes were.
   * Absent in marks written before it existed: the wall clock (`at`) is used instead.
   */
  event_at?: number;
  /** Its resolve was notified too. */
  resolved: boolean;
  /** The alert update this mark was written for, and what it notified (absent in older marks). */
  update?: number;
  notified?: NotificationKind;
  /**
   * The mark this one replaced, with the one that one replaced, and so on (a chain, newest first,
   * at most MAX_MARK_HISTORY deep), absent when there was none: what the mark goes back to when
   * notifications are given up (undoMark), in whatever order. A delivered notification cuts the
   * chain below its own mark (confirmMark): the mark never goes back past what was told.
   */
  before?: NotifiedMark;
}

/** What a notification tells the subscriber, from the subscriber's point of view. */
export type NotificationKind = 'opened' | 'escalated' | 'resolved';

/** Why an update that passed the filters and the claim is not notified. */
export type Suppression = 'no_change' | 'cooldown' | 'not_notified';

export interface CooldownRule {
  /** No new alert of the same brand and kind within this long of the last notification, unless more severe. */
  cooldownMs: number;
  notifyResolved: boolean;
}

export type CooldownDecision = { kind: NotificationKind; mark: NotifiedMark } | { suppressed: Suppression };

/**
 * The cooldown rule, per (subscription, brand, kind):
 * - an alert the subscriber has not been told about is notified (`opened`), unless another alert
 *   of the same brand and kind was notified at the same or a higher severity, from an update less
 *   than `cooldownMs` apart in event time (`updated_at`) (`cooldown`);
 * - a later update of a notified alert is notified only when its severity rises above what was
 *   notified (`escalated`, at once, cooldown or not); new peaks and scores alone are not;
 * - a resolve is notified when the subscription asks for it and the alert was notified.
 * So each alert reaches a subscriber once, plus once per severity step up, plus its resolve.
 */
export function cooldownDecision(
  prev: NotifiedMark | undefined,
  alert: Pick<AlertRecord, 'id' | 'state' | 'severity' | 'updated_at' | 'update'>,
  now: number,
  rule: CooldownRule,
): CooldownDecision {
  const same = prev?.alert === alert.id;
  // The mark this very update wrote (the write's reply lost and the write sent again, or the
  // update handled again after a failure): the decision it recorded stands.
  if (same && prev.update === alert.update && prev.notified !== undefined)
    return { kind: prev.notified, mark: prev };
  const before = prev && { before: linked(chainOf(prev).slice(0, MAX_MARK_HISTORY))! };
  if (alert.state === 'resolved') {
    if (!rule.notifyResolved || !same || prev.resolved) return { suppressed: 'not_notified' };
    return {
      kind: 'resolved',
      mark: { ...prev, resolved: true, update: alert.update, notified: 'resolved', ...before },
    };
  }
  const mark: NotifiedMark = {
    alert: alert.id,
    severity: alert.severity,
    at: now,
    event_at: alert.updated_at,
    resolved: false,
    update: alert.update,
    ...before,
  };
  const higher = prev === undefined || severityRank(alert.severity) > severityRank(prev.severity);
  if (same)
    return higher
      ? { kind: 'escalated', mark: { ...mark, notified: 'escalated' } }
      : { suppressed: 'no_change' };
  const since =
    prev === undefined
      ? Infinity
      : prev.event_at === undefined
        ? now - prev.at
        : alert.updated_at - prev.event_at;
  if (!higher && Math.abs(since) < rule.cooldownMs) return { suppressed: 'cooldown' };
  return { kind: 'opened', mark: { ...mark, notified: 'opened' } };
}

function withoutBefore(m: NotifiedMark): NotifiedMark {
  const { before: _, ...rest } = m;
  return rest;
}

/** Whether `m` is the mark written for `written`'s update (the same alert, update and notification). */
function sameWrite(m: NotifiedMark | undefined, written: NotifiedMark): boolean {
  return (
    m !== undefined &&
    m.alert === written.alert &&
    m.update === written.update &&
    m.notified !== undefined &&
    m.notified === written.notified
  );
}

/**
 * How many marks a mark keeps below it at most (`before`). Only the marks of notifications still
 * being delivered stay there (a delivered one cuts what is below it), so this bounds the state of a
 * subscriber with that many notifications in flight; past it the oldest is dropped, and a mark
 * given up with all that were above it goes back to none, not to that one.
 */
export const MAX_MARK_HISTORY = 16;

/** A mark and the ones below it, newest first, each without its `before`. */
function chainOf(m: NotifiedMark): NotifiedMark[] {
  const out: NotifiedMark[] = [];
  for (let x: NotifiedMark | undefined = m; x !== undefined; x = x.before) out.push(withoutBefore(x));
  return out;
}

/** The inverse of chainOf: each mark with the rest below it; undefined for none. */
function linked(chain: readonly NotifiedMark[]): NotifiedMark | undefined {
  let m: NotifiedMark | undefined;
  for (let i = chain.length - 1; i >= 0; i--)
    m = m === undefined ? { ...chain[i]! } : { ...chain[i]!, before: m };
  return m;
}

/**
 * The mark to write when the notification of the update that wrote `written` is given up
 * (dead-lettered): nothing reached the subscriber, so the cooldown rule must not count it. For
 * AlertStateStore.updateMark: `null` deletes the mark, `undefined` leaves it.
 * `written` (the same alert, update and notification) is taken out of the chain wherever it is: the
 * mark itself (it goes back to the one it replaced, or is deleted when there was none) or one below
 * a newer update's mark (written meanwhile, by this process or another: that one stays, and no
 * longer goes back to `written`). So however many are given up, in whatever order, the mark ends
 * as the newest one not given up. Not found (a delivered one cut it off, or it was undone
 * already): left as it is.
 */
export function undoMark(
  current: NotifiedMark | undefined,
  written: NotifiedMark,
): NotifiedMark | null | undefined {
  if (current === undefined) return undefined;
  const chain = chainOf(current);
  const i = chain.findIndex((m) => sameWrite(m, written));
  if (i < 0) return undefined;
  return linked(chain.filter((_, j) => j !== i)) ?? null;
}

/**
 * The mark to write when the notification of the update that wrote `written` was delivered: the
 * marks below it are dropped (the mark never goes back past one that was told), so the chain holds
 * only the notifications still in flight. `undefined` (leave it) when there is nothing to drop.
 */
export function confirmMark(
  current: NotifiedMark | undefined,
  written: NotifiedMark,
): NotifiedMark | undefined {
  if (current === undefined) return undefined;
  const chain = chainOf(current);
  const i = chain.findIndex((m) => sameWrite(m, written));
  if (i < 0 || i === chain.length - 1) return undefined;
  return linked(chain.slice(0, i + 1));
}
