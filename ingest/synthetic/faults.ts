import type { Random } from '../../engines/stats/index.js';
import type { SocialEventInput } from '../../stream/model/index.js';
import { checkShare, invalidConfig } from './config-checks.js';
import type { GeneratedEvent, GeneratedPost, MalformedReason, Slotted, SocialSlot } from './events.js';
import { slotRandom, STREAM_FAULTS } from './slots.js';

/**
 * Injected faults: late posts, re-sent copies and malformed lines. They draw from a random stream
 * of their own, so turning them on changes nothing else; with them off the output is what it was
 * before they existed.
 */

/** Injected late posts are at most this much older than their send time. */
export const MAX_LATE_MS = 86_400_000;
/** Re-sent copies follow their original by at most this much (well inside the pipeline's dedup window). */
export const MAX_DUPLICATE_DELAY_MS = 60_000;
/**
 * No late posts during this long after `faultsFrom`: a post is late only against the traffic ahead
 * of it (the watermark), so a run that starts at the scenario's start has a minute of it first.
 */
export const LATE_WARMUP_MS = 60_000;

/** The faults of a generator config. */
export interface FaultSpec {
  /** ms epoch from which late, duplicate and malformed posts are injected (a scenario's start); default: always. */
  faultsFrom?: number;
  /** A `share` of brand posts gets a ts `minDelayMs..maxDelayMs` before it is sent, past the pipeline's allowed lateness. */
  late?: { share: number; minDelayMs: number; maxDelayMs: number };
  /** A `share` of valid posts is sent again (same source and id) up to `maxDelayMs` later. */
  duplicates?: { share: number; maxDelayMs: number };
  /** A `share` of posts is sent as a line that is not JSON or fails the schema, instead of the post. */
  malformed?: { share: number };
}

/** Checked faults; a fault with a share of 0 is absent. */
export interface FaultPlan {
  from: number;
  late: { share: number; minDelayMs: number; maxDelayMs: number } | undefined;
  duplicates: { share: number; maxDelayMs: number } | undefined;
  malformed: { share: number } | undefined;
}

export function normalizeFaults(c: FaultSpec): FaultPlan {
  const delay = (name: string, v: number, min: number, max: number): number => {
    if (!Number.isInteger(v) || v < min || v > max)
      invalidConfig(`${name} must be an integer in ${min}..${max} ms (got ${v})`);
    return v;
  };
  if (c.faultsFrom !== undefined && !Number.isFinite(c.faultsFrom))
    invalidConfig('faultsFrom must be a finite ms epoch');
  const late = c.late && {
    share: checkShare('late.share', c.late.share, 0),
    minDelayMs: delay('late.minDelayMs', c.late.minDelayMs, 1, MAX_LATE_MS),
    maxDelayMs: delay('late.maxDelayMs', c.late.maxDelayMs, 1, MAX_LATE_MS),
  };
  if (late && late.maxDelayMs < late.minDelayMs) invalidConfig('late.maxDelayMs must be >= late.minDelayMs');
  const duplicates = c.duplicates && {
    share: checkShare('duplicates.share', c.duplicates.share, 0),
    maxDelayMs: delay('duplicates.maxDelayMs', c.duplicates.maxDelayMs, 0, MAX_DUPLICATE_DELAY_MS),
  };
  const malformed = c.malformed && { share: checkShare('malformed.share', c.malformed.share, 0) };
  // a share of 0 is the same as no fault at all, and keeps the output of a config without them
  return {
    from: c.faultsFrom ?? Number.NEGATIVE_INFINITY,
    late: late && late.share > 0 ? late : undefined,
    duplicates: duplicates && duplicates.share > 0 ? duplicates : undefined,
    malformed: malformed && malformed.share > 0 ? malformed : undefined,
  };
}

/**
 * Turns some of a slot's posts into faults, each post in turn: a malformed line instead of the
 * post, or a late ts (brand posts only: a post without a tracked brand is in no window, so it
 * cannot be late), and a copy re-sent a little later.
 */
export function injectFaults(seed: number, faults: FaultPlan, slot: number, posts: Slotted[]): SocialSlot {
  const { late, duplicates, malformed } = faults;
  if (!late && !duplicates && !malformed) return { sent: posts, copies: [] };
  const rng = slotRandom(seed, slot, STREAM_FAULTS);
  const sent: Slotted[] = [];
  const copies: Slotted[] = [];
  for (const p of posts) {
    const item = p.item as GeneratedPost;
    if (p.at < faults.from) {
      sent.push(p);
      continue;
    }
    if (malformed && rng.chance(malformed.share)) {
      sent.push({ at: p.at, item: malformedLine(rng, item.event, p.at) });
      continue;
    }
    if (
      late &&
      item.truth.brands.length > 0 &&
      p.at >= faults.from + LATE_WARMUP_MS &&
      rng.chance(late.share)
    ) {
      const lateMs = late.minDelayMs + rng.int(late.maxDelayMs - late.minDelayMs + 1);
      item.event.ts = p.at - lateMs;
      item.truth = { ...item.truth, lateMs };
    }
    sent.push(p);
    if (duplicates && rng.chance(duplicates.share)) {
      const at = p.at + rng.int(duplicates.maxDelayMs + 1);
      const copy: GeneratedPost = {
        kind: 'social',
        event: { ...item.event },
        truth: { ...item.truth, copy: { sentAt: at, originalSentAt: p.at } },
      };
      copies.push({ at, item: copy });
    }
  }
  return { sent, copies };
}

/**
 * A line ingest must refuse, made from the post it replaces: cut short or not JSON at all
 * (`invalid_json`), or JSON with a wrong field type or a missing field (`schema`).
 */
function malformedLine(rng: Random, event: SocialEventInput, at: number): GeneratedEvent {
  const of = event.id;
  const json = JSON.stringify(event);
  const make = (reason: MalformedReason, line: string): GeneratedEvent => ({
    kind: 'malformed',
    line,
    truth: { reason, of, at },
  });
  switch (rng.int(4)) {
    case 0: {
      // any proper prefix of a JSON object is invalid JSON; never cut a surrogate pair in two
      let cut = 1 + rng.int(json.length - 1);
      if (/[\uD800-\uDBFF]/.test(json.charAt(cut - 1))) cut--;
      return make('invalid_json', json.slice(0, cut));
    }
    case 1:
      // a CSV row sent to the NDJSON endpoint
      return make(
        'invalid_json',
        `${of},${event.author.id},"${event.text.replace(/"/g, '""').replace(/[\r\n]/g, ' ')}"`,
      );
    case 2:
      return make('schema', JSON.stringify({ ...event, ts: new Date(event.ts).toISOString() }));
    default: {
      const { author: _author, ...rest } = event;
      return make('schema', JSON.stringify(rest));
    }
  }
}
