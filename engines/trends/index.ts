/** Trends: heavy hitters (Space-Saving), trending terms against their own baselines, and influencers. */
export { SpaceSaving, byCountThenKey, mergeHeavyHitters, type HeavyHitter } from './space-saving.js';
export {
  DEFAULT_TREND_OPTIONS,
  TrendDetector,
  isTrending,
  trendOptions,
  trendScore,
  trendTerms,
  type TermWindow,
  type TrendOptions,
} from './trending.js';
export {
  InfluencerBoard,
  mentionWeight,
  mergeInfluencers,
  reachWeight,
  type Influencer,
} from './influencers.js';
