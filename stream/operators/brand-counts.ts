import type { EnrichedEvent } from '../model/events.js';
import type { Aggregator } from '../windows/index.js';

/** Per-brand counters of one window in one partition. Partial rows of all partitions add up. */
export interface BrandCounts {
  posts: number;
  positive: number;
  neutral: number;
  negative: number;
  /** Posts whose language the sentiment models do not support: counted in posts, not in the mean. */
  unsupported: number;
  /** Sum of sentiment scores (-1..1) of supported posts; mean = sentiment_sum / (posts - unsupported). */
  sentiment_sum: number;
  likes: number;
  shares: number;
  replies: number;
  /**
   * Distinct authors, exact. Events are partitioned by author id, so an author is counted in one
   * partition only and the partitions' counts add up to the exact total.
   */
  authors: number;
}

interface BrandAcc extends Omit<BrandCounts, 'authors'> {
  authorIds: Set<string>;
}

/** The counters and their column types, one entry per BrandCounts field. */
export const COUNT_TYPES: Record<keyof BrandCounts, 'UInt64' | 'Float64'> = {
  posts: 'UInt64',
  positive: 'UInt64',
  neutral: 'UInt64',
  negative: 'UInt64',
  unsupported: 'UInt64',
  sentiment_sum: 'Float64',
  likes: 'UInt64',
  shares: 'UInt64',
  replies: 'UInt64',
  authors: 'UInt64',
};

export function emptyCounts(): BrandCounts {
  return {
    posts: 0,
    positive: 0,
    neutral: 0,
    negative: 0,
    unsupported: 0,
    sentiment_sum: 0,
    likes: 0,
    shares: 0,
    replies: 0,
    authors: 0,
  };
}

export const brandAggregator: Aggregator<EnrichedEvent, BrandAcc, BrandCounts> = {
  create: () => ({ ...emptyCounts(), authorIds: new Set<string>() }),
  add(acc, e) {
    acc.posts++;
    // A branch per label, not acc[label]++: a computed key costs a generic property store per window.
    const { label } = e.sentiment;
    if (label === 'positive') acc.positive++;
    else if (label === 'negative') acc.negative++;
    else if (label === 'neutral') acc.neutral++;
    else acc.unsupported++;
    if (label !== 'unsupported') acc.sentiment_sum += e.sentiment.score;
    acc.likes += e.engagement.likes;
    acc.shares += e.engagement.shares;
    acc.replies += e.engagement.replies;
    acc.authorIds.add(e.author.id);
  },
  result(acc) {
    const { authorIds, ...counts } = acc;
    return { ...counts, authors: authorIds.size };
  },
  snapshot(acc) {
    return { ...acc, authorIds: [...acc.authorIds] };
  },
  restore(state) {
    const s = state as Omit<BrandAcc, 'authorIds'> & { authorIds: string[] };
    return { ...s, authorIds: new Set(s.authorIds) };
  },
};

/** Adds `b` into `a`. */
export function addCounts(a: BrandCounts, b: BrandCounts): BrandCounts {
  a.posts += b.posts;
  a.positive += b.positive;
  a.neutral += b.neutral;
  a.negative += b.negative;
  a.unsupported += b.unsupported;
  a.sentiment_sum += b.sentiment_sum;
  a.likes += b.likes;
  a.shares += b.shares;
  a.replies += b.replies;
  a.authors += b.authors;
  return a;
}
