import type { EnrichedEvent } from '../model/events.js';
import type { Aggregator, WindowEmission } from '../windows/index.js';
import { WindowOperator, windowLabel } from '../windows/index.js';
import type { WindowedRow } from './tables.js';

/** Posts, sentiment and engagement of some posts in one window: what topics, voice and segments count. */
export interface PostCounts {
  posts: number;
  positive: number;
  negative: number;
  /** Sum of the sentiment scores (-1 … 1); unsupported languages add 0. */
  sentiment_sum: number;
  /** Posts with a sentiment score (not in an unsupported language): what the mean is taken over. */
  scored: number;
  /** Likes, shares and replies, added up. */
  engagement: number;
  /** Followers of the posting authors, added up (an author posting twice counts twice). */
  reach: number;
}

/**
 * Counts above this are read as this: ingest accepts no more (a JSON number beyond it is not an
 * exact integer), and sums of many such counts, or of their squares, stay finite.
 */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** Likes, shares and replies added up; each at most MAX_COUNT. */
export function engagementOf(event: EnrichedEvent): number {
  const e = event.engagement;
  return Math.min(e.likes, MAX_COUNT) + Math.min(e.shares, MAX_COUNT) + Math.min(e.replies, MAX_COUNT);
}

/** Followers as a count: a missing, negative or non-finite number is 0; at most MAX_COUNT. */
export function followersOf(event: EnrichedEvent): number {
  const f = event.author.followers;
  return Number.isFinite(f) && f > 0 ? Math.min(f, MAX_COUNT) : 0;
}

export const postCountsAggregator: Aggregator<EnrichedEvent, PostCounts, PostCounts> = {
  create: () => ({
    posts: 0,
    positive: 0,
    negative: 0,
    sentiment_sum: 0,
    scored: 0,
    engagement: 0,
    reach: 0,
  }),
  add(acc, e) {
    acc.posts++;
    if (e.sentiment.label === 'positive') acc.positive++;
    else if (e.sentiment.label === 'negative') acc.negative++;
    if (e.sentiment.label !== 'unsupported' && Number.isFinite(e.sentiment.score)) {
      acc.sentiment_sum += e.sentiment.score;
      acc.scored++;
    }
    acc.engagement += engagementOf(e);
    acc.reach += followersOf(e);
  },
  result: (acc) => ({ ...acc }),
  snapshot: (acc) => [
    acc.posts,
    acc.positive,
    acc.negative,
    acc.sentiment_sum,
    acc.engagement,
    acc.reach,
    acc.scored,
  ],
  restore(state) {
    // Without `scored` (a checkpoint from before it): every post is taken as scored.
    const [posts, positive, negative, sentiment_sum, engagement, reach, scored] = state as number[];
    return {
      posts: posts!,
      positive: positive!,
      negative: negative!,
      sentiment_sum: sentiment_sum!,
      scored: scored ?? posts!,
      engagement: engagement!,
      reach: reach!,
    };
  },
};

/** What an analysis reports an event too late for its analytics window as (`fold`'s late windows). */
export function analyticsLate(sizeMs: number): readonly string[] {
  return [`analytics ${windowLabel(sizeMs)}`];
}

/** Tumbling windows per key (event time) of one analysis, in the analytics window. */
export function analyticsWindows<I, A, R>(
  sizeMs: number,
  allowedLatenessMs: number,
  aggregator: Aggregator<I, A, R>,
): WindowOperator<I, A, R> {
  return new WindowOperator({ spec: { name: `${sizeMs}ms`, sizeMs }, allowedLatenessMs, aggregator });
}

/** Tumbling windows of post counts per key (event time), for one analysis. */
export function postCountWindows(
  sizeMs: number,
  allowedLatenessMs: number,
): WindowOperator<EnrichedEvent, PostCounts, PostCounts> {
  return analyticsWindows(sizeMs, allowedLatenessMs, postCountsAggregator);
}

/** The columns every windowed row has, from an emission. */
export function windowedColumns(
  e: Pick<WindowEmission<unknown>, 'start' | 'final'>,
  sizeMs: number,
  partition: number,
  version: number,
): WindowedRow {
  return { start: e.start, size_ms: sizeMs, partition, final: e.final ? 1 : 0, version };
}
