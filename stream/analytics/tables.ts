import type { TableSpec } from '../store/table.js';

/**
 * The tables of the analyses that run beside the windows (topics, trends, share of voice,
 * influencers, audience segments, best times). Rows are per partition: events are partitioned by
 * author, so every partition sees a share of each brand's posts, and readers (analytics/read.ts)
 * add the partitions up. Windowed rows carry `final` (1 once the watermark has passed the window's
 * end plus the allowed lateness); a reader takes, per partition and window, the rows of the
 * highest `final` it has, since an update row may name a term or author that the final row set no
 * longer holds.
 */

/** Columns every windowed analytics row has. */
export interface WindowedRow {
  /** Window start, ms epoch (event time). */
  start: number;
  /** Window length, ms. */
  size_ms: number;
  partition: number;
  final: number;
  version: number;
}

const WINDOWED = {
  start: 'Int64',
  size_ms: 'UInt32',
  partition: 'UInt32',
  final: 'UInt8',
  version: 'UInt64',
} as const;

/** A topic cluster of one scope (a brand, or `*` for all posts) in one window of one partition. */
export interface TopicWindowRow extends WindowedRow {
  scope: string;
  topic: number;
  docs: number;
  positive: number;
  negative: number;
  /** Sum of the posts' sentiment scores (-1 … 1). */
  sentiment_sum: number;
  /**
   * Posts with a sentiment score (not in an unsupported language): the mean's denominator. Absent
   * in rows made by hand; readers then take every post as scored, as rows before the column were.
   */
  scored?: number;
  /** The cluster's label terms when written, JSON `[[term, weight], ...]`. */
  terms: string;
  /** 1 when the cluster is new and grows fast (see the topics operator). */
  emerging: number;
}

export const TOPIC_WINDOWS_TABLE: TableSpec<TopicWindowRow> = {
  name: 'topic_windows',
  columns: {
    scope: 'String',
    topic: 'UInt32',
    docs: 'UInt64',
    positive: 'UInt64',
    negative: 'UInt64',
    sentiment_sum: 'Float64',
    scored: 'UInt64',
    terms: 'String',
    emerging: 'UInt8',
    ...WINDOWED,
  },
  key: ['scope', 'start', 'size_ms', 'partition', 'topic'],
  asOfEmit: ['terms'],
};

/** A topic cluster as it stands (one row per cluster a partition has held; `live` 0 once forgotten). */
export interface TopicRow {
  scope: string;
  partition: number;
  topic: number;
  docs: number;
  terms: string;
  created_at: number;
  last_seen_at: number;
  live: number;
  version: number;
}

export const TOPICS_TABLE: TableSpec<TopicRow> = {
  name: 'topics',
  columns: {
    scope: 'String',
    partition: 'UInt32',
    topic: 'UInt32',
    docs: 'Float64',
    terms: 'String',
    created_at: 'Int64',
    last_seen_at: 'Int64',
    live: 'UInt8',
    version: 'UInt64',
  },
  key: ['scope', 'partition', 'topic'],
  asOfEmit: ['docs', 'terms'],
};

/** A tracked term (word or `#hashtag`) of a brand in one window: its count and its expected count. */
export interface TrendWindowRow extends WindowedRow {
  brand: string;
  term: string;
  count: number;
  /** What the term's own history expected in this window (before it). */
  baseline: number;
  /**
   * 1 when the partition's detector was past its warm-up (its baselines learned): a window any of
   * whose partitions was not has no trending terms. Rows from before the column are taken as 1.
   */
  warm: number;
}

export const TREND_WINDOWS_TABLE: TableSpec<TrendWindowRow> = {
  name: 'trend_windows',
  columns: {
    brand: 'String',
    term: 'String',
    count: 'Float64',
    baseline: 'Float64',
    warm: 'UInt8',
    ...WINDOWED,
  },
  key: ['brand', 'start', 'size_ms', 'partition', 'term'],
};

/** A brand's voice in one window: posts, sentiment, reach (followers of the posting authors) and engagement. */
export interface VoiceWindowRow extends WindowedRow {
  brand: string;
  posts: number;
  positive: number;
  negative: number;
  sentiment_sum: number;
  /**
   * Posts with a sentiment score (not in an unsupported language): the mean's denominator. Absent
   * in rows made by hand; readers then take every post as scored, as rows before the column were.
   */
  scored?: number;
  reach: number;
  engagement: number;
}

export const VOICE_WINDOWS_TABLE: TableSpec<VoiceWindowRow> = {
  name: 'voice_windows',
  columns: {
    brand: 'String',
    posts: 'UInt64',
    positive: 'UInt64',
    negative: 'UInt64',
    sentiment_sum: 'Float64',
    scored: 'UInt64',
    reach: 'Float64',
    engagement: 'UInt64',
    ...WINDOWED,
  },
  key: ['brand', 'start', 'size_ms', 'partition'],
};

/** One of a brand's top authors in a window, by reach-weighted mentions. */
export interface InfluencerWindowRow extends WindowedRow {
  brand: string;
  author: string;
  score: number;
  mentions: number;
  followers: number;
}

export const INFLUENCER_WINDOWS_TABLE: TableSpec<InfluencerWindowRow> = {
  name: 'influencer_windows',
  columns: {
    brand: 'String',
    author: 'String',
    score: 'Float64',
    mentions: 'UInt64',
    followers: 'UInt64',
    ...WINDOWED,
  },
  key: ['brand', 'start', 'size_ms', 'partition', 'author'],
};

/** An audience segment of one partition's model as it stands. */
export interface SegmentRow {
  partition: number;
  segment: number;
  label: string;
  authors: number;
  /** The centroid in feature units, JSON `{feature: value}`. */
  centroid: string;
  version: number;
}

export const SEGMENTS_TABLE: TableSpec<SegmentRow> = {
  name: 'segments',
  columns: {
    partition: 'UInt32',
    segment: 'UInt32',
    label: 'String',
    authors: 'UInt64',
    centroid: 'String',
    version: 'UInt64',
  },
  key: ['partition', 'segment'],
};

/** An author's audience segment as of their latest post (written when it changes), for campaign context. */
export interface AuthorSegmentRow {
  author: string;
  partition: number;
  segment: number;
  version: number;
}

export const AUTHOR_SEGMENTS_TABLE: TableSpec<AuthorSegmentRow> = {
  name: 'author_segments',
  columns: { author: 'String', partition: 'UInt32', segment: 'UInt32', version: 'UInt64' },
  key: ['author'],
  maxMemoryRows: 200_000,
};

/** The posts of one audience segment in one window. */
export interface SegmentWindowRow extends WindowedRow {
  segment: number;
  posts: number;
  positive: number;
  negative: number;
  sentiment_sum: number;
  /**
   * Posts with a sentiment score (not in an unsupported language): the mean's denominator. Absent
   * in rows made by hand; readers then take every post as scored, as rows before the column were.
   */
  scored?: number;
  engagement: number;
}

export const SEGMENT_WINDOWS_TABLE: TableSpec<SegmentWindowRow> = {
  name: 'segment_windows',
  columns: {
    segment: 'UInt32',
    posts: 'UInt64',
    positive: 'UInt64',
    negative: 'UInt64',
    sentiment_sum: 'Float64',
    scored: 'UInt64',
    engagement: 'UInt64',
    ...WINDOWED,
  },
  key: ['start', 'size_ms', 'partition', 'segment'],
};

/** A brand's posts and engagement at one hour of the week (UTC), all time, with the sum of squares. */
export interface BestTimeHourRow {
  brand: string;
  partition: number;
  hour: number;
  posts: number;
  engagement: number;
  engagement_sq: number;
  version: number;
}

export const BEST_TIME_HOURS_TABLE: TableSpec<BestTimeHourRow> = {
  name: 'best_time_hours',
  columns: {
    brand: 'String',
    partition: 'UInt32',
    hour: 'UInt8',
    posts: 'UInt64',
    engagement: 'Float64',
    engagement_sq: 'Float64',
    version: 'UInt64',
  },
  key: ['brand', 'partition', 'hour'],
};

/** One hour of a brand's forecast for the next week (step 0 = the hour after the last closed one). */
export interface BestTimeForecastRow {
  brand: string;
  partition: number;
  step: number;
  ts: number;
  posts: number;
  engagement: number;
  version: number;
}

export const BEST_TIME_FORECAST_TABLE: TableSpec<BestTimeForecastRow> = {
  name: 'best_time_forecast',
  columns: {
    brand: 'String',
    partition: 'UInt32',
    step: 'UInt32',
    ts: 'Int64',
    posts: 'Float64',
    engagement: 'Float64',
    version: 'UInt64',
  },
  key: ['brand', 'partition', 'step'],
};

/** Every analytics table, in migration order. */
export const ANALYTICS_TABLES: readonly TableSpec<never>[] = [
  TOPIC_WINDOWS_TABLE,
  TOPICS_TABLE,
  TREND_WINDOWS_TABLE,
  VOICE_WINDOWS_TABLE,
  INFLUENCER_WINDOWS_TABLE,
  SEGMENTS_TABLE,
  SEGMENT_WINDOWS_TABLE,
  AUTHOR_SEGMENTS_TABLE,
  BEST_TIME_HOURS_TABLE,
  BEST_TIME_FORECAST_TABLE,
] as unknown as readonly TableSpec<never>[];
