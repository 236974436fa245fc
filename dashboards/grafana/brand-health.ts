import { StackingConfigBuilder, StackingMode } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DEFAULT_TREND_OPTIONS } from '../../engines/trends/trending.js';
import {
  BEST_TIME_HOURS_TABLE,
  INFLUENCER_WINDOWS_TABLE,
  SEGMENT_WINDOWS_TABLE,
  SEGMENTS_TABLE,
  TOPIC_WINDOWS_TABLE,
  TREND_WINDOWS_TABLE,
  VOICE_WINDOWS_TABLE,
} from '../../stream/analytics/tables.js';
import { Tables } from '../../stream/store/clickhouse/schema.js';
import {
  dashboard,
  msBucket,
  msRange,
  numbered,
  ratio,
  settledFrom,
  sqlStat,
  sqlTable,
  sqlTimeseries,
  sqlVariable,
  text,
  timeBucket,
  withSections,
} from './shared.js';

/**
 * Brand health from ClickHouse: what the built-in page shows of a brand, over the dashboard's
 * range. Window aggregates are read as the ClickHouse store reads them (FINAL, partitions summed);
 * the analytics tables as stream/analytics reads them (settledFrom).
 */

const BRAND = text('brand');

/** The brand's window rows of the chosen window size in the range, latest versions only. */
const brandWindows = `${Tables.windows} FINAL
WHERE brand = ${BRAND} AND \`window\` = ${text('window')} AND $__timeFilter(start)`;

/** Posts whose sentiment was scored (unsupported languages count in posts, not in the mean). */
const SCORED = '(sum(posts) - sum(unsupported))';
const MEAN_SENTIMENT = ratio('sum(sentiment_sum)', SCORED);
const NEGATIVE_SHARE = ratio('sum(negative)', SCORED);

const stacked = new StackingConfigBuilder().mode(StackingMode.Normal);

function overview() {
  return [
    sqlStat(
      'Posts',
      `SELECT sum(posts) AS total_posts, sum(likes) + sum(shares) + sum(replies) AS engagement
FROM ${brandWindows}`,
      { description: 'Posts and engagement (likes, shares, replies) in the range.', span: 8 },
    ),
    sqlStat('Mean sentiment', `SELECT ${MEAN_SENTIMENT} AS mean_sentiment FROM ${brandWindows}`, {
      description: 'Mean sentiment score (-1 to 1) of the scored posts in the range.',
      decimals: 3,
      span: 8,
    }),
    sqlStat('Negative share', `SELECT ${NEGATIVE_SHARE} AS negative_share FROM ${brandWindows}`, {
      description: 'Negative posts / scored posts in the range.',
      unit: 'percentunit',
      span: 8,
    }),
    sqlTimeseries(
      'Volume by sentiment',
      `SELECT ${timeBucket('start')} AS time,
  sum(positive) AS positive, sum(neutral) AS neutral, sum(negative) AS negative,
  sum(unsupported) AS unsupported
FROM ${brandWindows}
GROUP BY time
ORDER BY time`,
      { description: 'Posts per interval by label (unsupported: a language the models do not cover).' },
    ).stacking(stacked),
    sqlTimeseries(
      'Mean sentiment and negative share',
      `SELECT ${timeBucket('start')} AS time,
  ${MEAN_SENTIMENT} AS mean_sentiment,
  ${NEGATIVE_SHARE} AS negative_share
FROM ${brandWindows}
GROUP BY time
ORDER BY time`,
      { description: 'Per interval, over the scored posts.', decimals: 3 },
    ).overrideByName('negative_share', [{ id: 'unit', value: 'percentunit' }]),
  ];
}

/** Voice rows of the brand and the brands it is compared with (the reader's voice group). */
const voiceRows = settledFrom(
  VOICE_WINDOWS_TABLE.name,
  `${msRange('start')} AND (brand = ${BRAND} OR brand IN (${text('compare')}))`,
  ['brand'],
);

function shareOfVoice() {
  return [
    sqlTimeseries(
      'Share of voice',
      `SELECT time, b.1 AS brand, ${ratio('b.2', 'group_posts')} AS share
FROM (
  SELECT time, groupArray((brand, brand_posts)) AS bs, sum(brand_posts) AS group_posts
  FROM (
    SELECT ${msBucket('start')} AS time, brand, sum(posts) AS brand_posts
    FROM ${voiceRows}
    GROUP BY time, brand
  )
  GROUP BY time
)
ARRAY JOIN bs AS b
ORDER BY time, brand`,
      {
        description:
          "Each brand's part of the posts of the brand and the brands compared with it, per interval.",
        unit: 'percentunit',
      },
    ).stacking(stacked),
    sqlTable(
      'Share of voice over the range',
      `SELECT b.1 AS brand, b.2 AS posts, ${ratio('b.2', 'group_posts')} AS share,
  ${ratio('b.3', 'group_reach')} AS reach_share, b.4 AS sentiment_mean, b.5 AS engagement
FROM (
  SELECT groupArray((brand, brand_posts, brand_reach, brand_sentiment, brand_engagement)) AS bs,
    sum(brand_posts) AS group_posts, sum(brand_reach) AS group_reach
  FROM (
    SELECT brand, sum(posts) AS brand_posts, sum(reach) AS brand_reach,
      sum(sentiment_sum) / greatest(sum(scored), 1) AS brand_sentiment, sum(engagement) AS brand_engagement
    FROM ${voiceRows}
    GROUP BY brand
  )
)
ARRAY JOIN bs AS b
ORDER BY posts DESC, brand`,
      { description: 'Reach: followers of the posting authors, added up.' },
    ),
  ];
}

/**
 * The brand's settled trend rows in the range. The panel adds up only warm windows: a window any of
 * whose settled rows has `warm` = 0 (a partition's detector still in its warm-up) has no trending
 * term, as stream/analytics/read-trends.ts `scoreTrends` reads it.
 */
const trendRows = settledFrom(TREND_WINDOWS_TABLE.name, `brand = ${BRAND} AND ${msRange('start')}`, [], {
  whole: true,
});
const PRIOR = DEFAULT_TREND_OPTIONS.prior;

function trendsAndTopics() {
  return [
    sqlTable(
      'Trending terms',
      `SELECT term, mentions, expected,
  if(mentions >= mu, 1, -1) * sqrt(greatest(0,
    if(mentions > 0, 2 * (mentions * log(mentions / mu) - (mentions - mu)), 2 * mu))) AS score
FROM (
  SELECT tr.1 AS term, sum(tr.2) AS mentions, sum(tr.3) AS expected,
    expected + ${PRIOR} * uniqExact(start) AS mu
  FROM (
    SELECT start, groupArray((term, \`count\`, baseline)) AS trs
    FROM ${trendRows}
    GROUP BY start
    HAVING min(warm) = 1
  )
  ARRAY JOIN trs AS tr
  GROUP BY term
)
ORDER BY score DESC, mentions DESC, term
LIMIT 25`,
      {
        description:
          'Terms of the brand over the range, partitions added: mentions, what their history expected, and ' +
          'the Poisson z-score of engines/trends (trendScore) over the summed windows. A window that a ' +
          "partition's trend detector wrote during its warm-up (--trend-warmup-windows) adds nothing, as " +
          'in the API: its baselines were not learned yet.',
      },
    ),
    sqlTable(
      'Topics',
      `SELECT concat(toString(p), '-', toString(t)) AS id, label, docs_n AS posts,
  ${ratio('sentiment_n', 'scored_n')} AS sentiment_mean, ${ratio('negative_n', 'docs_n')} AS negative_share,
  emerging_n AS emerging
FROM (
  SELECT \`partition\` AS p, topic AS t,
    arrayStringConcat(arraySlice(extractAll(argMax(terms, start), '"([^"]+)"'), 1, 6), ', ') AS label,
    sum(docs) AS docs_n, sum(negative) AS negative_n, sum(sentiment_sum) AS sentiment_n, sum(scored) AS scored_n,
    max(emerging) AS emerging_n
  FROM ${settledFrom(TOPIC_WINDOWS_TABLE.name, `scope = ${BRAND} AND ${msRange('start')}`)}
  GROUP BY \`partition\`, topic
)
ORDER BY posts DESC, id
LIMIT 20`,
      {
        description:
          "Topic clusters of the brand's posts in the range, per partition (the API merges alike topics " +
          'of different partitions; SQL cannot, so one subject may show once per partition).',
      },
    ),
  ];
}

const segmentRows = settledFrom(SEGMENT_WINDOWS_TABLE.name, msRange('start'));
const influencerRows = settledFrom(
  INFLUENCER_WINDOWS_TABLE.name,
  `brand = ${BRAND} AND ${msRange('start')}`,
  [],
  { whole: true },
);

function audience() {
  return [
    sqlTable(
      'Audience segments',
      `SELECT segment, seg_label AS label, seg_authors AS authors, seg_posts AS posts,
  ${ratio('seg_sentiment', 'seg_scored')} AS sentiment_mean, seg_engagement AS engagement
FROM (
  SELECT segment, argMax(label, authors) AS seg_label, sum(authors) AS seg_authors
  FROM ${SEGMENTS_TABLE.name} FINAL
  WHERE (\`partition\`, version) IN (SELECT \`partition\`, max(version) FROM ${SEGMENTS_TABLE.name} FINAL GROUP BY \`partition\`)
  GROUP BY segment
)
ANY LEFT JOIN (
  SELECT segment, sum(posts) AS seg_posts, sum(sentiment_sum) AS seg_sentiment, sum(scored) AS seg_scored,
    sum(engagement) AS seg_engagement
  FROM ${segmentRows}
  GROUP BY segment
) USING segment
ORDER BY segment`,
      {
        description:
          'Segments of all authors (now), with their posts in the range. The label is the one of the ' +
          'partition with the most authors in the segment.',
      },
    ),
    sqlTable(
      'Top authors',
      `SELECT author, sum(score) AS total_score, sum(mentions) AS brand_mentions, max(followers) AS max_followers
FROM ${influencerRows}
GROUP BY author
ORDER BY total_score DESC, author
LIMIT 20`,
      { description: "The brand's top authors by reach-weighted mentions in the range." },
    ),
  ];
}

/** Student's t is what the API uses for the interval; 1.96 (normal) is close from about 30 posts on. */
function bestTimes() {
  return [
    sqlTable(
      'Best times to post (UTC)',
      `SELECT concat(arrayElement(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], intDiv(h, 24) + 1), ' ',
    toString(h % 24), ':00') AS hour_utc,
  n AS posts, mean AS engagement_per_post, greatest(0, mean - 1.96 * sqrt(variance / n)) AS low
FROM (
  SELECT toUInt32(hour) AS h, sum(posts) AS n, sum(engagement) AS e, sum(engagement_sq) AS e2,
    e / n AS mean,
    greatest(if(n > 1, greatest(0, (e2 - e * mean) / (n - 1)), 0), mean) AS variance
  FROM ${BEST_TIME_HOURS_TABLE.name} FINAL
  WHERE brand = ${BRAND}
  GROUP BY h
  HAVING n > 0
)
ORDER BY low DESC, engagement_per_post DESC, posts DESC, h
LIMIT 10`,
      {
        description:
          'Hours of the week ranked by the lower end of the 95% interval of engagement per post (all time): ' +
          'an hour must be good and well measured to rank high. Normal approximation; the API uses t.',
        span: 24,
      },
    ),
  ];
}

export function brandHealth(): Dashboard {
  return numbered(
    withSections(
      dashboard(
        'pulsewatch-brand-health',
        'Pulsewatch: brand health',
        'Volume, sentiment, share of voice, trending terms, topics, audience and best times of a brand (ClickHouse).',
      )
        .withVariable(
          sqlVariable('brand', 'Brand', `SELECT DISTINCT brand FROM ${Tables.windows} ORDER BY brand`),
        )
        .withVariable(
          sqlVariable(
            'window',
            'Window',
            `SELECT DISTINCT \`window\` FROM ${Tables.windows} ORDER BY \`window\``,
          ),
        )
        .withVariable(
          sqlVariable(
            'compare',
            'Compared with',
            `SELECT DISTINCT brand FROM ${VOICE_WINDOWS_TABLE.name} ORDER BY brand`,
            { multi: true, includeAll: true },
          ),
        ),
      [
        ['Volume and sentiment', overview()],
        ['Share of voice', shareOfVoice()],
        ['Trending terms and topics', trendsAndTopics()],
        ['Audience', audience()],
        ['Best times', bestTimes()],
      ],
    ),
  );
}
