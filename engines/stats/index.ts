export { Random } from './random.js';
export { HourOfWeekProfile, hourOfWeek, HOURS_PER_WEEK, type HourCell } from './hour-of-week.js';
export { OnlineRidge, type RidgeOptions, type RidgeSnapshot } from './ridge.js';
