import t from 'tap';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import {
  DEFAULT_AUTHOR,
  hashtagOf,
  parseMapFlags,
  RowMapper,
  type MapOutcome,
} from '../../ingest/replay/mapping.js';
import { ReplayError } from '../../ingest/replay/errors.js';
import { validateSocialEvent, type SocialEventInput } from '../../stream/index.js';

const ctx = { source: 'replay', name: 'posts.jsonl' };
const AT = Date.UTC(2009, 4, 11, 3, 17, 40);

function event(outcome: MapOutcome): SocialEventInput {
  if (!outcome.ok) throw new Error(`expected an event, got ${outcome.reason}: ${outcome.detail}`);
  const v = validateSocialEvent(outcome.event);
  if (!v.ok) throw new Error(`the mapped event fails validateSocialEvent: ${v.detail}`);
  return outcome.event;
}

t.test('defaults read sentiment140 rows: generated id, default author', async (t) => {
  const m = RowMapper.forJson(parseMapFlags([]), ctx);
  const e = event(
    m.map({ text: 'I love my Kindle2', label: 'positive', created_at: '2009-05-11T03:17:40Z' }, 7),
  );
  t.same(e, {
    id: 'posts.jsonl:7',
    source: 'replay',
    ts: AT,
    author: { id: DEFAULT_AUTHOR },
    text: 'I love my Kindle2',
  });
  t.equal(
    event(m.map({ text: 'x', created_at: AT }, 7)).id,
    'posts.jsonl:7',
    'the same row gets the same id',
  );
});

t.test("defaults read Pulsewatch's own SocialEvent JSON and Twitter exports", async (t) => {
  const m = RowMapper.forJson(parseMapFlags([]), ctx);
  const own = {
    id: 'p1',
    source: 'other',
    ts: AT,
    author: { id: 'u1', followers: 12 },
    text: 'hello',
    lang: 'en',
    engagement: { likes: 3, shares: 2, replies: 1 },
  };
  t.same(event(m.map(own, 1)), { ...own, source: 'replay' });
  const tweet = {
    id: 1.2420118e17,
    id_str: '124201186000000001',
    created_at: 'Mon May 11 03:17:40 +0000 2009',
    full_text: 'long text',
    user: { screen_name: 'someone', id: 5, followers_count: '40' },
    favorite_count: 4,
    retweet_count: 0,
    reply_count: 2,
  };
  t.same(event(m.map(tweet, 1)), {
    id: '124201186000000001',
    source: 'replay',
    ts: AT,
    author: { id: 'someone', followers: 40 },
    text: 'long text',
    engagement: { likes: 4, shares: 0, replies: 2 },
  });
});

t.test('--map with dotted paths; a key with a dot in it wins', async (t) => {
  const m = RowMapper.forJson(
    parseMapFlags(['id=tweet_id', 'time=meta.when', 'text=body', 'author=user.screen_name', 'group=brand']),
    ctx,
  );
  const e = event(
    m.map(
      {
        tweet_id: 42,
        meta: { when: AT / 1000 },
        body: 'cold brew',
        user: { screen_name: 'ann' },
        brand: 'Northwind Coffee',
      },
      3,
    ),
  );
  t.same(e, {
    id: '42',
    source: 'replay',
    ts: AT,
    author: { id: 'ann' },
    text: 'cold brew #NorthwindCoffee',
    tags: { hashtags: ['NorthwindCoffee'] },
  });
  const dotted = RowMapper.forJson(parseMapFlags(['text=a.b']), ctx);
  t.equal(event(dotted.map({ 'a.b': 'literal', a: { b: 'nested' }, ts: AT }, 1)).text, 'literal');
});

t.test('the group hashtag is what the brand matcher of stage 1 finds', async (t) => {
  const m = RowMapper.forJson(parseMapFlags(['group=brand']), ctx);
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  for (const [brand, expected] of [
    ['Northwind Coffee', 'Northwind Coffee'],
    ['Café Aurora', 'Cafe Aurora'],
    ['harborbrew', 'Harbor Brew'],
    ['Bluebird', 'Bluebird Roasters'],
  ]) {
    const e = event(m.map({ text: 'the weather is fine', ts: AT, brand }, 1));
    t.same(matcher.match(e.text), [expected], `${brand} -> ${e.text}`);
  }
  const already = event(m.map({ text: 'love #northwindcoffee', ts: AT, brand: 'Northwind Coffee' }, 1));
  t.equal(already.text, 'love #northwindcoffee', 'a text that has the hashtag already is left alone');
  t.equal(hashtagOf('  Harbor-Brew Co.'), 'HarborBrewCo');
  t.equal(hashtagOf('123'), undefined, '#123 would be a number');
  t.match(m.map({ text: 'x', ts: AT, brand: '!!' }, 1), {
    ok: false,
    reason: 'mapping_failed',
    detail: /no letters/,
  });
});

t.test('rows that cannot be events are rejected with a reason', async (t) => {
  const m = RowMapper.forJson(parseMapFlags([]), ctx);
  const cases: [unknown, string, RegExp][] = [
    [{ created_at: AT }, 'mapping_failed', /no text \(looked at text, full_text/],
    [{ text: '   ', created_at: AT }, 'mapping_failed', /no text/],
    [{ text: { a: 1 }, created_at: AT }, 'mapping_failed', /text is an object, not a string/],
    [{ text: 'x' }, 'mapping_failed', /no time \(looked at ts, time, created_at/],
    [{ text: 'x', created_at: 'yesterday' }, 'bad_timestamp', /created_at: "yesterday" is not a date-time/],
    [{ text: 'x', created_at: '1999-12-31T23:59:59Z' }, 'bad_timestamp', /outside 2000-01-01\.\.2100-01-01/],
    [{ text: 'x', ts: AT, id: { n: 1 } }, 'mapping_failed', /id is an object/],
    [{ text: 'x', ts: AT, author: ['a'] }, 'mapping_failed', /author is an array/],
    [{ text: 'x', ts: AT, likes: -1 }, 'mapping_failed', /likes: -1 is not a whole number/],
    [{ text: 'x', ts: AT, likes: '1,234' }, 'mapping_failed', /likes: "1,234"/],
    [{ text: 'x', ts: AT, lang: 5 }, 'mapping_failed', /lang is number/],
    [{ text: 'x', ts: AT, lang: 'a-very-long-language-tag' }, 'schema', /\/lang/],
    [{ text: 'x'.repeat(20_001), ts: AT }, 'text_too_long', /./],
    [{ text: 'x', ts: AT, id: 'i'.repeat(300) }, 'schema', /\/id/],
    // JSON.parse has already rounded it: two tweets would share one id
    [
      { text: 'x', ts: AT, ...(JSON.parse('{"id": 1234567890123456789}') as object) },
      'mapping_failed',
      /id: .* map the id as a string/,
    ],
    [{ text: 'x', ts: AT, author: 2 ** 60 }, 'mapping_failed', /author: .* not a whole number JSON holds/],
  ];
  for (const [row, reason, detail] of cases)
    t.match(m.map(row, 1), { ok: false, reason, detail }, JSON.stringify(row).slice(0, 60));
});

t.test('CSV: columns by header name; explicit or required columns must exist', async (t) => {
  const header = ['polarity', 'id', 'date', 'query', 'user', 'text'];
  const m = RowMapper.forCsv(parseMapFlags(['time=date', 'author=user', 'group=query']), header, ctx);
  t.same(
    event(m.map(['4', '3', 'Mon May 11 03:17:40 UTC 2009', 'kindle2', 'tpryan', 'my kindle2 rocks'], 2)),
    {
      id: '3',
      source: 'replay',
      ts: AT,
      author: { id: 'tpryan' },
      text: 'my kindle2 rocks #kindle2',
      tags: { hashtags: ['kindle2'] },
    },
  );
  const noId = RowMapper.forCsv(parseMapFlags(['time=date', 'id=']), header, ctx);
  t.equal(
    event(noId.map(['4', '3', '2009-05-11', 'q', 'u', 't'], 9)).id,
    'posts.jsonl:9',
    'id= generates ids',
  );
  t.throws(() => RowMapper.forCsv(parseMapFlags(['text=body']), header, ctx), {
    name: 'ReplayError',
    message: /the CSV header has no text column \(looked for body; the columns are polarity, id/,
  });
  t.throws(
    () => RowMapper.forCsv(parseMapFlags([]), ['when', 'text'], ctx),
    /no time column \(looked for ts, time, created_at/,
  );
  t.doesNotThrow(
    () => RowMapper.forCsv(parseMapFlags(['time=date']), header, ctx),
    'missing optional default columns are fine',
  );
});

t.test('--map flags: clear errors', async (t) => {
  t.throws(
    () => parseMapFlags(['txt=body']),
    new ReplayError(
      '--map txt=body: expected field=path with field one of id, time, text, author, group, lang, followers, likes, shares, replies',
    ),
  );
  t.throws(() => parseMapFlags(['body']), /expected field=path/);
  t.throws(() => parseMapFlags(['text=a', 'text=b']), /text is mapped twice/);
  t.throws(() => parseMapFlags(['time=']), /every event needs a time/);
  const m = parseMapFlags(['author=', 'text=body']);
  t.same(m.paths.author, []);
  t.same(m.paths.text, ['body']);
  t.same(m.explicit, ['text', 'author'], 'explicit fields in field order, whatever the flag order');
});
