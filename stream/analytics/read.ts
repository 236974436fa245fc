/**
 * The analytics read model: what the REST routes and the WebSocket channels show of the analytics
 * tables (tables.ts). Rows are per partition; each reader adds the partitions up after taking, per
 * partition and window, the rows of the highest `final` (read-common.ts). Every function reads
 * through the Store interface (memory or ClickHouse alike), and the merging parts are pure functions
 * over rows, exported for tests.
 */
export {
  currentWindowSize,
  DAY_NAMES,
  finalWindows,
  hourLabel,
  settledRows,
  startFilter,
  type TimeRange,
} from './read-common.js';
export {
  DEFAULT_TOPIC_MERGE,
  mergeTopics,
  parseTerms,
  readTopics,
  termSimilarity,
  type TopicMergeOptions,
  type TopicTerm,
  type TopicView,
  type TopicWindowPoint,
  type TopicsView,
} from './read-topics.js';
export {
  DEFAULT_TREND_TERMS,
  readTrends,
  scoreTrends,
  type TrendTermView,
  type TrendWindowView,
  type TrendsView,
} from './read-trends.js';
export {
  readShareOfVoice,
  shareOfVoice,
  voiceGroup,
  type VoiceBrandRef,
  type VoiceBrandView,
  type VoiceView,
  type VoiceWindowView,
} from './read-voice.js';
export {
  DEFAULT_INFLUENCERS,
  rankInfluencers,
  readInfluencers,
  type InfluencerView,
  type InfluencersView,
} from './read-influencers.js';
export {
  mergeSegments,
  readSegments,
  type SegmentView,
  type SegmentWindowPoint,
  type SegmentsView,
} from './read-segments.js';
export {
  DEFAULT_BEST_HOURS,
  mergeForecast,
  rankBestHours,
  readBestTimes,
  sumHours,
  type BestHourView,
  type BestTimesView,
  type ForecastHourView,
} from './read-best-times.js';
