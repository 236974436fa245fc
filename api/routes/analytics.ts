import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  PipelineError,
  readBestTimes,
  readInfluencers,
  readSegments,
  readShareOfVoice,
  readTopics,
  readTrends,
  type Store,
  type TimeRange,
} from '../../stream/index.js';
import type { BrandDirectory, BrandInfo } from '../brands.js';
import { timeParam } from './alerts.js';
import { ErrorReply, TimeParam } from './brands.js';

export interface AnalyticsRoutesOptions {
  brands: BrandDirectory;
  store: Store;
  /** The analyses stage 2 runs: each route is served when its operator is among them. */
  operators: readonly string[];
  /** `global`: every brand's topics route serves the global topic model (`--topic-scope`). Default `brand`. */
  topicScope?: 'brand' | 'global';
  now?: () => number;
}

/** The operator behind each analytics route. */
export const ANALYTICS_OPERATORS = [
  'topics',
  'trends',
  'voice',
  'influencers',
  'segments',
  'best-times',
] as const;

/** Range of a query without from: the hour before `to`. */
export const DEFAULT_RANGE_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Widest range one query may ask for. */
export const MAX_RANGE_MS = 31 * DAY_MS;
/**
 * Narrower for the analyses that write many rows per window, which a read holds at once (the store
 * returns rows; the partitions are added up in the API process): trends, every tracked term of every
 * partition (a month was 7 million rows, 40 s and 3.6 GB); influencers, the top 20 authors of every
 * partition; topics, every topic with posts of every partition (a month of 5-minute windows, 4
 * partitions and 30 topics was 1.07 million rows, 26 s and 0.5 GB; 60 topics, 2 GB); share of voice,
 * every brand of every partition (a month of 20 brands, 0.7 million rows); segments, every segment of
 * every partition (a month of 50 segments, 1.8 million rows, 13 s and a 56 MB answer). A week of
 * topics at 30 topics is 0.24 million rows.
 */
export const MAX_TRENDS_RANGE_MS = DAY_MS;
export const MAX_INFLUENCERS_RANGE_MS = 7 * DAY_MS;
export const MAX_TOPICS_RANGE_MS = 7 * DAY_MS;
export const MAX_VOICE_RANGE_MS = 7 * DAY_MS;
export const MAX_SEGMENTS_RANGE_MS = 7 * DAY_MS;

/** The scope of the global topic model (stream/operators/topics.ts GLOBAL_SCOPE). */
const GLOBAL_SCOPE = '*';

/** `from`/`to` of a query: defaults the hour before now; INVALID_RANGE when not times, reversed or wider than `maxMs`. */
export function queryRange(q: { from?: string; to?: string }, now: number, maxMs = MAX_RANGE_MS): TimeRange {
  const to = timeParam(q.to) ?? now;
  const from = timeParam(q.from) ?? to - DEFAULT_RANGE_MS;
  if (from >= to) throw new PipelineError('INVALID_RANGE', 'from must be before to');
  if (to - from > maxMs) {
    const days = maxMs / DAY_MS;
    throw new PipelineError(
      'INVALID_RANGE',
      `at most ${days} day${days === 1 ? '' : 's'} per query; narrow the range`,
    );
  }
  return { from, to };
}

// ---- schemas (what /docs shows) ----

const BrandParams = Type.Object({ brand: Type.String({ description: 'Brand id or name', maxLength: 200 }) });
const RangeQuery = {
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
};
const Mean = Type.Union([Type.Number(), Type.Null()], {
  description:
    'sentiment_sum / the posts with a sentiment score (posts in an unsupported language are not in the mean), -1 … 1; null without them',
});
const WindowMs = Type.Union([Type.Integer(), Type.Null()], {
  description: 'The analytics window of the rows (ms); null without rows',
});
const Range = {
  from: Type.Integer({ description: 'Windows whose start lies in [from, to), ms' }),
  to: Type.Integer(),
  window_ms: WindowMs,
};
const BrandHead = { brand: Type.String({ description: 'Brand id' }), name: Type.String() };

const TopicWindow = Type.Object({
  start: Type.Integer(),
  end: Type.Integer(),
  docs: Type.Number(),
  positive: Type.Number(),
  negative: Type.Number(),
  sentiment_mean: Mean,
  emerging: Type.Boolean(),
});
export const TopicSchema = Type.Object({
  id: Type.String({ description: '<partition>-<topic> of the largest partition topic merged into it' }),
  label: Type.String({ description: 'The first terms' }),
  terms: Type.Array(Type.Object({ term: Type.String(), weight: Type.Number() })),
  docs: Type.Number({ description: 'Posts in the range' }),
  positive: Type.Number(),
  negative: Type.Number(),
  sentiment_mean: Mean,
  emerging: Type.Boolean({ description: 'New and growing fast in a window of the range' }),
  live: Type.Boolean({ description: 'A cluster the topic models hold now' }),
  members: Type.Array(Type.String(), { description: 'The partitions’ topics merged into this one' }),
  windows: Type.Array(TopicWindow),
});

const TrendTerm = Type.Object({
  term: Type.String({ description: 'A word, or #hashtag' }),
  count: Type.Number({ description: 'Mentions in the window, all partitions' }),
  baseline: Type.Number({ description: 'Mentions the term’s own history expected' }),
  score: Type.Number({ description: 'Poisson-style z of count against baseline' }),
  trending: Type.Boolean(),
});
export const TrendWindowSchema = Type.Object({
  start: Type.Integer(),
  end: Type.Integer(),
  final: Type.Boolean(),
  terms: Type.Array(TrendTerm, { description: 'Best score first' }),
});

const VoiceBrand = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('own'), Type.Literal('competitor')]),
  posts: Type.Number(),
  positive: Type.Number(),
  negative: Type.Number(),
  sentiment_mean: Mean,
  reach: Type.Number({ description: 'Followers of the posting authors, added up' }),
  engagement: Type.Number(),
  share: Type.Union([Type.Number(), Type.Null()], { description: 'Posts / the group’s posts' }),
  reach_share: Type.Union([Type.Number(), Type.Null()], { description: 'Reach / the group’s reach' }),
});
export const VoiceSchema = {
  group: Type.Array(Type.String(), {
    description:
      'Brand names: the brand, then every competitor (an own brand) or every other brand (a competitor)',
  }),
  brands: Type.Array(VoiceBrand, { description: 'Totals over the range' }),
  windows: Type.Array(
    Type.Object({
      start: Type.Integer(),
      end: Type.Integer(),
      final: Type.Boolean(),
      brands: Type.Array(VoiceBrand),
    }),
  ),
};

export const InfluencerSchema = Type.Object({
  author: Type.String(),
  score: Type.Number({ description: 'Reach-weighted mentions, added over the windows' }),
  mentions: Type.Number(),
  followers: Type.Number(),
  windows: Type.Integer({ description: 'Windows the author was among the top' }),
});

const Hour = {
  hour: Type.Integer({
    description: 'Hour of the week, UTC: 0 = Monday 00:00-01:00 … 167 = Sunday 23:00-24:00',
  }),
  day: Type.String({ description: 'Mon … Sun' }),
  hour_of_day: Type.Integer({ description: '0 … 23, UTC' }),
};
export const BestHourSchema = Type.Object({
  ...Hour,
  posts: Type.Number(),
  mean: Type.Number({ description: 'Mean engagement (likes, shares, replies) per post' }),
  lo: Type.Number({ description: '95% interval of the mean, lower end (the ranking score)' }),
  hi: Type.Number(),
});
const ForecastHour = Type.Object({
  ts: Type.Integer({ description: 'Start of the hour, ms' }),
  ...Hour,
  posts: Type.Number(),
  engagement: Type.Number(),
  engagement_per_post: Type.Union([Type.Number(), Type.Null()]),
});

const SegmentWindow = Type.Object({
  start: Type.Integer(),
  end: Type.Integer(),
  posts: Type.Number(),
  positive: Type.Number(),
  negative: Type.Number(),
  sentiment_mean: Mean,
  engagement: Type.Number(),
});
export const SegmentSchema = Type.Object({
  id: Type.Integer({ description: 'The same segment in every partition' }),
  label: Type.String(),
  authors: Type.Number({ description: 'Authors in the segment now' }),
  centroid: Type.Record(Type.String(), Type.Number(), {
    description: 'Feature → value: activity, sentiment, engagement, reach, brands',
  }),
  posts: Type.Number({ description: 'Posts in the range' }),
  positive: Type.Number(),
  negative: Type.Number(),
  sentiment_mean: Mean,
  engagement: Type.Number(),
  windows: Type.Array(SegmentWindow),
});

const errors = { 400: ErrorReply, 404: ErrorReply };

/**
 * The analytics routes (topics, trends, share of voice, influencers, audience segments, best times):
 * the read model (stream/analytics/read.ts) over the store, each route only when its operator runs.
 */
export const analyticsRoutes: FastifyPluginAsyncTypebox<AnalyticsRoutesOptions> = async (app, o) => {
  const now = o.now ?? Date.now;
  const runs = (operator: (typeof ANALYTICS_OPERATORS)[number]) => o.operators.includes(operator);
  const brandOf = (key: string): BrandInfo => {
    const brand = o.brands.find(key);
    if (!brand) throw new PipelineError('UNKNOWN_BRAND', `unknown brand "${key}"; see GET /v1/brands`);
    return brand;
  };
  const config = { scope: 'read' } as const;
  const tags = ['analytics'];

  if (runs('topics'))
    app.get(
      '/v1/brands/:brand/topics',
      {
        config,
        schema: {
          summary: 'Topic clusters of one brand over a time range, the partitions’ topics merged',
          description:
            'Windows whose start lies in [from, to); default: the last hour, at most 7 days. Largest first. With `--topic-scope global` every brand gets the topics of all posts.',
          tags,
          params: BrandParams,
          querystring: Type.Object({
            ...RangeQuery,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
          }),
          response: {
            200: Type.Object({
              ...BrandHead,
              scope: Type.String({ description: 'The brand’s name, or * for the global model' }),
              ...Range,
              topics: Type.Array(TopicSchema),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const brand = brandOf(req.params.brand);
        const range = queryRange(req.query, now(), MAX_TOPICS_RANGE_MS);
        const scope = o.topicScope === 'global' ? GLOBAL_SCOPE : brand.name;
        const view = await readTopics(o.store, scope, range, { limit: req.query.limit ?? 20 });
        return { brand: brand.id, name: brand.name, scope, ...range, ...view };
      },
    );

  if (runs('trends'))
    app.get(
      '/v1/brands/:brand/trends',
      {
        config,
        schema: {
          summary: 'Trending words and hashtags of one brand, per window, the latest window first',
          description:
            'Windows whose start lies in [from, to); default: the last hour, at most a day. Each term’s count and baseline are added over the partitions, then scored; `trending` needs enough mentions, a real growth and a significant rise.',
          tags,
          params: BrandParams,
          querystring: Type.Object({
            ...RangeQuery,
            limit: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 200, default: 25, description: 'Terms per window' }),
            ),
          }),
          response: {
            200: Type.Object({ ...BrandHead, ...Range, windows: Type.Array(TrendWindowSchema) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const brand = brandOf(req.params.brand);
        const range = queryRange(req.query, now(), MAX_TRENDS_RANGE_MS);
        const view = await readTrends(o.store, brand.name, range, req.query.limit ?? 25);
        return { brand: brand.id, name: brand.name, ...range, ...view };
      },
    );

  if (runs('voice'))
    app.get(
      '/v1/brands/:brand/share-of-voice',
      {
        config,
        schema: {
          summary: 'Share of voice of one brand against its competitors, over the range and per window',
          description:
            'Windows whose start lies in [from, to); default: the last hour, at most 7 days. Share = the brand’s posts / the posts of its group; also reach share and mean sentiment.',
          tags,
          params: BrandParams,
          querystring: Type.Object(RangeQuery),
          response: {
            200: Type.Object({
              ...BrandHead,
              kind: Type.Union([Type.Literal('own'), Type.Literal('competitor')]),
              ...Range,
              ...VoiceSchema,
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const brand = brandOf(req.params.brand);
        const range = queryRange(req.query, now(), MAX_VOICE_RANGE_MS);
        const view = await readShareOfVoice(o.store, brand, o.brands.list, range);
        return { brand: brand.id, name: brand.name, kind: brand.kind, ...range, ...view };
      },
    );

  if (runs('influencers'))
    app.get(
      '/v1/brands/:brand/influencers',
      {
        config,
        schema: {
          summary: 'The authors with the most reach-weighted mentions of one brand over a time range',
          description: 'Windows whose start lies in [from, to); default: the last hour, at most 7 days.',
          tags,
          params: BrandParams,
          querystring: Type.Object({
            ...RangeQuery,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          }),
          response: {
            200: Type.Object({ ...BrandHead, ...Range, influencers: Type.Array(InfluencerSchema) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const brand = brandOf(req.params.brand);
        const range = queryRange(req.query, now(), MAX_INFLUENCERS_RANGE_MS);
        const view = await readInfluencers(o.store, brand.name, range, req.query.limit ?? 10);
        return { brand: brand.id, name: brand.name, ...range, ...view };
      },
    );

  if (runs('best-times'))
    app.get(
      '/v1/brands/:brand/best-times',
      {
        config,
        schema: {
          summary: 'Best hours of the week (UTC) to post for one brand, and the next week’s forecast',
          description:
            'All time. Hours rank by the lower end of the 95% interval of their mean engagement per post, so an hour must be good and well measured to rank high. `forecast`: posts and engagement expected in each of the next hours (Holt-Winters).',
          tags,
          params: BrandParams,
          querystring: Type.Object({
            top: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 168, default: 5, description: 'Hours in `best`' }),
            ),
          }),
          response: {
            200: Type.Object({
              ...BrandHead,
              hours: Type.Array(BestHourSchema, { description: 'Every hour with posts, best first' }),
              best: Type.Array(BestHourSchema),
              forecast: Type.Array(ForecastHour),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const brand = brandOf(req.params.brand);
        const view = await readBestTimes(o.store, brand.name, req.query.top ?? 5);
        return { brand: brand.id, name: brand.name, ...view };
      },
    );

  if (runs('segments'))
    app.get(
      '/v1/segments',
      {
        config,
        schema: {
          summary: 'Audience segments: label, size, centroid, and posts and sentiment per window',
          description:
            'Windows whose start lies in [from, to); default: the last hour, at most 7 days. Segments as they stand now.',
          tags,
          querystring: Type.Object(RangeQuery),
          response: { 200: Type.Object({ ...Range, segments: Type.Array(SegmentSchema) }), 400: ErrorReply },
        },
      },
      async (req) => {
        const range = queryRange(req.query, now(), MAX_SEGMENTS_RANGE_MS);
        return { ...range, ...(await readSegments(o.store, range)) };
      },
    );
};
