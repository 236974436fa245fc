export { Random } from './random.js';
export { HourOfWeekProfile, hourOfWeek, HOURS_PER_WEEK, type HourCell } from './hour-of-week.js';
export { OnlineRidge, type RidgeOptions, type RidgeSnapshot } from './ridge.js';
export {
  HoltWinters,
  holtWintersOptions,
  DEFAULT_HOLT_WINTERS_OPTIONS,
  type HoltWintersOptions,
  type HoltWintersSnapshot,
} from './holt-winters.js';
export {
  BestTimes,
  bestTimesOptions,
  DEFAULT_BEST_TIMES_OPTIONS,
  MAX_FORECAST_HOURS,
  forecastPerPost,
  hourEstimate,
  rankHours,
  tQuantile975,
  type BestTimesOptions,
  type BestTimesSnapshot,
  type HourEstimate,
  type HourStats,
} from './best-times.js';
