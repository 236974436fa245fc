import t from 'tap';
import { EPOCH_SECONDS_BELOW, parseTimestamp } from '../../ingest/replay/timestamps.js';

const AT = Date.UTC(2009, 4, 11, 3, 17, 40); // 2009-05-11T03:17:40Z, the first post of sentiment140-test

t.test('ISO 8601 with Z, offsets, fractions, a space, or a date alone', async (t) => {
  t.equal(parseTimestamp('2009-05-11T03:17:40Z'), AT);
  t.equal(parseTimestamp('2009-05-11t03:17:40z'), AT, 'lower case');
  t.equal(parseTimestamp('2009-05-11T05:17:40+02:00'), AT);
  t.equal(parseTimestamp('2009-05-11T05:17:40+0200'), AT);
  t.equal(parseTimestamp('2009-05-11T05:17:40+02'), AT);
  t.equal(parseTimestamp('2009-05-10T23:17:40-04:00'), AT);
  t.equal(parseTimestamp('2009-05-11T08:47:40+05:30'), AT, 'half-hour offset');
  t.equal(parseTimestamp('2009-05-11 03:17:40'), AT, 'space, no offset: UTC');
  t.equal(parseTimestamp('2009-05-11T03:17:40.250Z'), AT + 250);
  t.equal(parseTimestamp('2009-05-11T03:17:40,5Z'), AT + 500, 'comma as decimal mark');
  t.equal(parseTimestamp('2009-05-11T03:17:40.123456Z'), AT + 123, 'microseconds are rounded to ms');
  t.equal(
    parseTimestamp('2009-05-11T23:59:59.9999Z'),
    Date.UTC(2009, 4, 12),
    'rounded up into the next day: still a date',
  );
  t.equal(parseTimestamp('2009-05-11T03:17Z'), AT - 40_000, 'no seconds');
  t.equal(parseTimestamp('2009-05-11'), Date.UTC(2009, 4, 11), 'date alone: midnight UTC');
  t.equal(parseTimestamp('  2009-05-11T03:17:40Z  '), AT, 'surrounding spaces');
  t.equal(parseTimestamp('0050-03-01T12:00:00Z'), -60_584_155_200_000, 'years below 100 are not 1900 and on');
  t.equal(parseTimestamp('0048-02-29T00:00:00Z'), -60_647_356_800_000, 'a leap day of year 48');
  t.equal(parseTimestamp('0049-02-29T00:00:00Z'), undefined, 'year 49 has no leap day');
});

t.test('RFC 2822', async (t) => {
  t.equal(parseTimestamp('Mon, 11 May 2009 03:17:40 +0000'), AT);
  t.equal(parseTimestamp('11 May 2009 03:17:40 +0000'), AT, 'weekday optional');
  t.equal(parseTimestamp('Mon, 11 May 2009 05:17:40 +0200'), AT);
  t.equal(parseTimestamp('Mon, 11 May 2009 03:17:40 GMT'), AT);
  t.equal(parseTimestamp('Sun, 10 May 2009 20:17:40 PDT'), AT, 'US zone names');
  t.equal(parseTimestamp('Sun, 10 May 2009 22:17:40 EST'), AT);
  t.equal(parseTimestamp('Mon, 1 Jun 2009 00:00 +0000'), Date.UTC(2009, 5, 1), 'one-digit day, no seconds');
});

t.test("Twitter's export format", async (t) => {
  t.equal(parseTimestamp('Mon May 11 03:17:40 UTC 2009'), AT);
  t.equal(parseTimestamp('Mon May 11 03:17:40 +0000 2009'), AT);
  t.equal(parseTimestamp('Sun May 10 20:17:40 PDT 2009'), AT);
  t.equal(parseTimestamp('Mon May 11 03:17:40  UTC  2009'), AT, 'repeated spaces');
});

t.test('epoch seconds and milliseconds by magnitude, as numbers or numeric strings', async (t) => {
  t.equal(parseTimestamp(AT / 1000), AT, 'seconds');
  t.equal(parseTimestamp(AT), AT, 'milliseconds');
  t.equal(parseTimestamp(String(AT / 1000)), AT, 'seconds as a string');
  t.equal(parseTimestamp(String(AT)), AT, 'milliseconds as a string');
  t.equal(parseTimestamp(AT / 1000 + 0.5), AT + 500, 'fractional seconds');
  t.equal(parseTimestamp('1242011860.25'), AT + 250);
  t.equal(parseTimestamp(EPOCH_SECONDS_BELOW - 1), (EPOCH_SECONDS_BELOW - 1) * 1000, 'just below: seconds');
  t.equal(parseTimestamp(EPOCH_SECONDS_BELOW), EPOCH_SECONDS_BELOW, 'at the boundary: milliseconds');
});

t.test('anything else is undefined', async (t) => {
  for (const bad of [
    'yesterday',
    '',
    '2009-13-01T00:00:00Z',
    '2009-02-30T00:00:00Z',
    '2009-05-11T24:00:00Z',
    '2009-05-11T03:60:00Z',
    '2009-05-11T03:17:40+25:00',
    '2009-05-11T03:17:40 +02:00x',
    'Mon, 11 Foo 2009 03:17:40 +0000',
    'Mon May 11 03:17:40 XYZ 2009',
    '11/05/2009',
    '1e12',
    'NaN',
  ])
    t.equal(parseTimestamp(bad), undefined, JSON.stringify(bad));
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, null, undefined, true, {}, [AT]])
    t.equal(parseTimestamp(bad), undefined, String(bad));
});
