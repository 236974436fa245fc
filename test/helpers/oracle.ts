import type { SentimentScorer } from '../../engines/sentiment/index.js';
import { BrandMatcher, type BrandSpec } from '../../engines/text/index.js';
import { SyntheticGenerator, type SpikeSpec } from '../../ingest/synthetic/index.js';
import {
  enrichEvent,
  validateSocialEvent,
  type FeedbackEvent,
  type SocialEvent,
  type WindowAggregate,
} from '../../stream/index.js';

/**
 * The offline computation the pipeline's results are checked against: the same engines over the
 * same input, counted in a plain loop, with no bus, no windows operator and no store.
 */
export interface Expected {
  posts: number;
  positive: number;
  neutral: number;
  negative: number;
  unsupported: number;
  sum: number;
  likes: number;
  shares: number;
  replies: number;
  authors: Set<string>;
}

/** Seeded synthetic posts with event times in [from, to), validated as ingest would. */
export function seededEvents(
  seed: number,
  brands: BrandSpec[],
  ratePerSec: number,
  from: number,
  to: number,
  spikes: SpikeSpec[] = [],
): SocialEvent[] {
  const out: SocialEvent[] = [];
  for (const g of new SyntheticGenerator({ seed, brands, ratePerSec, spikes }).generate(from, to)) {
    if (g.kind !== 'social') continue;
    const v = validateSocialEvent(g.event, to);
    if (!v.ok) throw new Error(`generator produced an invalid event: ${v.detail}`);
    out.push(v.value);
  }
  return out;
}

/** Expected aggregates by `brand|windowStart`. */
export function directCount(
  events: SocialEvent[],
  brands: BrandSpec[],
  scorer: SentimentScorer,
  windowMs: number,
): Map<string, Expected> {
  const matcher = new BrandMatcher(brands);
  const expected = new Map<string, Expected>();
  for (const input of events) {
    const e = enrichEvent(input, matcher, scorer);
    for (const brand of e.brands) {
      const key = `${brand}|${Math.floor(e.ts / windowMs) * windowMs}`;
      let a = expected.get(key);
      if (!a) {
        a = {
          posts: 0,
          positive: 0,
          neutral: 0,
          negative: 0,
          unsupported: 0,
          sum: 0,
          likes: 0,
          shares: 0,
          replies: 0,
          authors: new Set(),
        };
        expected.set(key, a);
      }
      a.posts++;
      a[e.sentiment.label]++;
      if (e.sentiment.label !== 'unsupported') a.sum += e.sentiment.score;
      a.likes += e.engagement.likes;
      a.shares += e.engagement.shares;
      a.replies += e.engagement.replies;
      a.authors.add(e.author.id);
    }
  }
  return expected;
}

export function totalPosts(expected: Map<string, Expected>): number {
  let n = 0;
  for (const a of expected.values()) n += a.posts;
  return n;
}

/** The windows that differ from the direct count, described; empty when every one matches exactly. */
export function mismatches(
  expected: Map<string, Expected>,
  windows: Pick<
    WindowAggregate,
    | 'brand'
    | 'start'
    | 'posts'
    | 'positive'
    | 'neutral'
    | 'negative'
    | 'unsupported'
    | 'sentiment_sum'
    | 'likes'
    | 'shares'
    | 'replies'
    | 'authors'
  >[],
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const w of windows) {
    const key = `${w.brand}|${w.start}`;
    seen.add(key);
    const a = expected.get(key);
    const same =
      a !== undefined &&
      a.posts === w.posts &&
      a.positive === w.positive &&
      a.neutral === w.neutral &&
      a.negative === w.negative &&
      a.unsupported === w.unsupported &&
      a.likes === w.likes &&
      a.shares === w.shares &&
      a.replies === w.replies &&
      a.authors.size === w.authors &&
      Math.abs(a.sum - w.sentiment_sum) < 1e-6;
    if (!same)
      out.push(
        `${key}: got ${JSON.stringify(w)}, expected ${JSON.stringify(a && { ...a, authors: a.authors.size })}`,
      );
  }
  for (const key of expected.keys()) if (!seen.has(key)) out.push(`${key}: missing`);
  return out;
}

/**
 * Expected activity by `brand|hourOfWeek` (posts, negative, engagement), computed with the
 * calendar (Monday 00:00 UTC = 0) rather than the engine's arithmetic.
 */
export function activityCount(
  events: SocialEvent[],
  brands: BrandSpec[],
  scorer: SentimentScorer,
): Map<string, { posts: number; negative: number; engagement: number }> {
  const matcher = new BrandMatcher(brands);
  const out = new Map<string, { posts: number; negative: number; engagement: number }>();
  for (const input of events) {
    const e = enrichEvent(input, matcher, scorer);
    const d = new Date(e.ts);
    const hour = ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours();
    for (const brand of e.brands) {
      const key = `${brand}|${hour}`;
      const a = out.get(key) ?? { posts: 0, negative: 0, engagement: 0 };
      a.posts++;
      if (e.sentiment.label === 'negative') a.negative++;
      a.engagement += e.engagement.likes + e.engagement.shares + e.engagement.replies;
      out.set(key, a);
    }
  }
  return out;
}

/** Per-partition activity rows summed by `brand|hour`, to compare with activityCount. */
export function sumActivity(
  rows: readonly { brand: string; hour: number; posts: number; negative: number; engagement: number }[],
): Map<string, { posts: number; negative: number; engagement: number }> {
  const out = new Map<string, { posts: number; negative: number; engagement: number }>();
  for (const r of rows) {
    const key = `${r.brand}|${r.hour}`;
    const a = out.get(key) ?? { posts: 0, negative: 0, engagement: 0 };
    a.posts += r.posts;
    a.negative += r.negative;
    a.engagement += r.engagement;
    out.set(key, a);
  }
  return out;
}

/**
 * Seeded campaign feedback over [from, to), in time order give or take a few seconds: every kind,
 * most with a decision id (`${prefix.decision}-seed-i`: ingest's message id), values that add up
 * exactly in binary. With `late`, one event in 211 lags 30 minutes (late for its window). With
 * `ids`, every other event without a decision id has an `id` (`${prefix.decision}-id-seed-i`).
 */
export function seededFeedback(
  seed: number,
  from: number,
  to: number,
  n: number,
  o: {
    campaigns: number;
    noDecisionEvery: number;
    late: boolean;
    ids?: boolean;
    prefix: { campaign: string; decision: string };
  },
): FeedbackEvent[] {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const kinds = ['impression', 'impression', 'impression', 'click', 'conversion', 'reward'] as const;
  return Array.from({ length: n }, (_, i) => {
    const kind = kinds[Math.floor(rnd() * kinds.length)]!;
    const at = from + ((to - from) * i) / n;
    return {
      campaign: `${o.prefix.campaign}-${Math.floor(rnd() * o.campaigns)}`,
      arm: `arm-${Math.floor(rnd() * 3)}`,
      ...(i % o.noDecisionEvery !== 0 && { decision_id: `${o.prefix.decision}-${seed}-${i}` }),
      ...(o.ids && i % (2 * o.noDecisionEvery) === 0 && { id: `${o.prefix.decision}-id-${seed}-${i}` }),
      kind,
      ...(kind !== 'impression' && i % 7 !== 0 && { value: Math.floor(rnd() * 40) / 4 }),
      ts: Math.round(o.late ? at - rnd() * 3_000 - (i % 211 === 210 ? 30 * 60_000 : 0) : at + rnd() * 2_000),
    };
  });
}
