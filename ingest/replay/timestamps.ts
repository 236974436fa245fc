/**
 * Reading the time of a post as files carry it. Pure: no clock, no locale, no `Date.parse` (whose
 * reading of a date-time without offset depends on the machine's time zone).
 */

/** Epoch numbers below this are seconds, at or above it milliseconds (1e11 s is the year 5138, 1e11 ms 1973). */
export const EPOCH_SECONDS_BELOW = 1e11;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*';
const ZONE = '([+-]\\d{2}:?\\d{2}|z|ut|utc|gmt|[ecmp][sd]t)';

/** Zone names of RFC 2822 (and US ones that Twitter exports use), in minutes east of UTC. */
const NAMED_ZONES: Record<string, number> = {
  z: 0,
  ut: 0,
  utc: 0,
  gmt: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
};

const NUMBER = /^[+-]?\d+(\.\d+)?$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)? ?(z|[+-]\d{2}(?::?\d{2})?)?$/;
const RFC2822 = new RegExp(
  `^(?:${DAY},? +)?(\\d{1,2}) +${MONTH} +(\\d{4}) +(\\d{2}):(\\d{2})(?::(\\d{2}))? +${ZONE}$`,
);
const TWITTER = new RegExp(`^${DAY} +${MONTH} +(\\d{1,2}) +(\\d{2}):(\\d{2}):(\\d{2}) +${ZONE} +(\\d{4})$`);

/**
 * Milliseconds since the epoch of a time value, or undefined when it is not one of:
 * - a number or numeric string of epoch seconds (below {@link EPOCH_SECONDS_BELOW}) or milliseconds,
 *   fractions allowed;
 * - ISO 8601: `2009-05-11T03:17:40Z`, with an offset (`+02:00`, `+0200`, `+02`), fractional seconds,
 *   a space for the `T`, or a date alone; without an offset the time is read as UTC;
 * - RFC 2822: `Mon, 11 May 2009 03:17:40 +0000` (weekday optional, zone as offset or `GMT`/`UTC`/`EST`…);
 * - Twitter's export format: `Mon May 11 03:17:40 UTC 2009` or `… +0000 2009`.
 * Impossible dates (`2009-02-30`) are undefined. The weekday, when given, is not checked.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return undefined;
  const s = value.trim().toLowerCase();
  if (NUMBER.test(s)) return fromEpoch(Number(s));
  let m = ISO.exec(s);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
    const ms = Math.round(Number(`0.${frac || '0'}`) * 1000);
    return compose(+y!, +mo!, +d!, +h, +mi, +sec, ms, zone === undefined ? 0 : offsetMinutes(zone));
  }
  m = RFC2822.exec(s);
  if (m) {
    const [, d, mon, y, h, mi, sec = '0', zone] = m;
    return compose(+y!, month(mon!), +d!, +h!, +mi!, +sec, 0, offsetMinutes(zone!));
  }
  m = TWITTER.exec(s);
  if (m) {
    const [, mon, d, h, mi, sec, zone, y] = m;
    return compose(+y!, month(mon!), +d!, +h!, +mi!, +sec!, 0, offsetMinutes(zone!));
  }
  return undefined;
}

function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  return Math.round(Math.abs(n) < EPOCH_SECONDS_BELOW ? n * 1000 : n);
}

function month(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3)) + 1;
}

/** Minutes east of UTC of a zone name or `±hh[[:]mm]` offset; NaN for an impossible offset. */
function offsetMinutes(zone: string): number {
  const named = NAMED_ZONES[zone];
  if (named !== undefined) return named;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const mins = Number(digits.slice(2) || '0');
  if (hours > 23 || mins > 59) return Number.NaN;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + mins);
}

/** Epoch ms of a local date-time at `offset` minutes east of UTC; undefined when a field is out of range. */
function compose(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  offset: number,
): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || Number.isNaN(offset)) return undefined;
  // setUTCFullYear, unlike Date.UTC, reads years 0–99 as such rather than as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  // It rolls 2009-02-30 over to March: an impossible date. (Checked before the milliseconds,
  // which may round 23:59:59.9996 up to the next day.)
  if (date.getUTCDate() !== d) return undefined;
  return date.setUTCHours(h, mi, s) + ms - offset * 60_000;
}
