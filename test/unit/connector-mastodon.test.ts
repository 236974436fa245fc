import t from 'tap';
import { compareIds, linkRel, mapStatus, parseTimeline } from '../../ingest/connectors/mastodon.js';
import { checkSocialEvent } from '../../stream/index.js';
import { statusFixtures } from '../fakes/mastodon.js';

const ctx = {
  host: 'mastodon.social',
  includeBots: false,
  receivedMs: Date.UTC(2024, 8, 1, 12, 1),
  maxFutureSkewMs: 300_000,
};
const byId = (id: string) => {
  const s = statusFixtures().find((x) => x.id === id);
  if (!s) throw new Error(`no fixture ${id}`);
  return s;
};

t.test('a local status maps to a valid SocialEvent', async (t) => {
  const m = mapStatus(byId('113054816000000001'), ctx);
  if (m.kind !== 'event') return t.fail(JSON.stringify(m));
  t.same(m.event, {
    id: 'https://mastodon.social/users/alice/statuses/113054816000000001',
    source: 'mastodon',
    ts: Date.parse('2024-09-01T12:00:01.000Z'),
    author: { id: 'alice@mastodon.social', followers: 1287, verified: true },
    text: "Trying the new oat latte at #NorthwindCoffee – honestly the best cup I've had this month! Thanks @northwindcoffee ☕ Menu: https://northwind.example/menu?utm_source=mastodon&ref=1",
    lang: 'en',
    tags: {
      hashtags: ['northwindcoffee'],
      mentions: ['northwindcoffee@mastodon.social'],
      urls: ['https://northwind.example/menu?utm_source=mastodon&ref=1'],
    },
    engagement: { likes: 14, shares: 3, replies: 2 },
  });
  t.notOk(m.clamped);
  t.ok(checkSocialEvent(m.event).ok);
});

t.test('remote accounts keep their domain; <br> is a space; entities decode', async (t) => {
  const m = mapStatus(byId('113054816000000002'), ctx);
  if (m.kind !== 'event') return t.fail(JSON.stringify(m));
  t.equal(m.event.author.id, 'bernd@chaos.social');
  t.equal(m.event.author.verified, false);
  t.equal(
    m.event.text,
    'Bluebird Roasters hat heute "Kaffee & Kuchen" für 3 € – nicht schlecht! Aber die Schlange war lang.',
  );
  t.equal(m.event.lang, 'de');
  const reply = mapStatus(byId('113054816000000007'), ctx);
  if (reply.kind !== 'event') return t.fail(JSON.stringify(reply));
  t.same(reply.event.tags, { hashtags: ['coffeetime'], mentions: ['alice@mastodon.social'], urls: [] });
  t.equal(reply.event.text, "@alice agreed, Northwind's oat latte is great. Also: #CoffeeTime");
});

t.test('the content warning goes before the text', async (t) => {
  const m = mapStatus(byId('113054816000000003'), ctx);
  if (m.kind !== 'event') return t.fail(JSON.stringify(m));
  t.equal(
    m.event.text,
    'rant about Harbor Brew Cold brew at Harbor Brew was watery again. Third time this week. Not going back >:(',
  );
});

t.test('reblogs and bots are skipped by kind; bots can be kept', async (t) => {
  t.same(mapStatus(byId('113054816000000004'), ctx), { kind: 'ignored', what: 'reblog' });
  t.same(mapStatus(byId('113054816000000005'), ctx), { kind: 'ignored', what: 'bot' });
  t.equal(mapStatus(byId('113054816000000005'), { ...ctx, includeBots: true }).kind, 'event');
});

t.test('a media-only status without a language has empty text and no lang', async (t) => {
  const m = mapStatus(byId('113054816000000006'), ctx);
  if (m.kind !== 'event') return t.fail(JSON.stringify(m));
  t.equal(m.event.text, '');
  t.notOk('lang' in m.event);
  t.ok(checkSocialEvent(m.event).ok);
});

t.test('a language tag the schema cannot take drops the language, not the status', async (t) => {
  const m = mapStatus({ ...byId('113054816000000001'), language: 'x-a-very-long-private-tag' }, ctx);
  if (m.kind !== 'event') return t.fail(JSON.stringify(m));
  t.notOk('lang' in m.event);
  t.ok(checkSocialEvent(m.event).ok);
});

t.test('wrong shapes are rejected with a reason; absurd times are clamped', async (t) => {
  for (const bad of [
    null,
    'x',
    [],
    {},
    { id: '1' },
    { id: '1', account: {}, content: '' },
    { id: '1', account: { acct: 'a' } },
  ])
    t.match(mapStatus(bad, ctx), { kind: 'rejected', reason: 'bad_shape' }, JSON.stringify(bad));
  const future = mapStatus({ ...byId('113054816000000001'), created_at: '2099-01-01T00:00:00Z' }, ctx);
  t.match(future, { kind: 'event', clamped: true, event: { ts: ctx.receivedMs } });
  const garbage = mapStatus({ ...byId('113054816000000001'), created_at: 'yesterday' }, ctx);
  t.match(garbage, { kind: 'event', clamped: true, event: { ts: ctx.receivedMs } });
  const hidden = mapStatus(
    { ...byId('113054816000000001'), account: { acct: 'x', followers_count: -1 } },
    ctx,
  );
  if (hidden.kind !== 'event') return t.fail();
  t.same(hidden.event.author, { id: 'x@mastodon.social' }, 'a hidden (-1) follower count is left out');
});

t.test('timelines parse, and bad ones are refused with the accepted forms', async (t) => {
  t.match(parseTimeline('public'), {
    streamPath: '/api/v1/streaming/public',
    restPath: '/api/v1/timelines/public',
  });
  t.match(parseTimeline('public:local'), {
    streamPath: '/api/v1/streaming/public/local',
    query: { local: 'true' },
  });
  t.match(parseTimeline('hashtag:#Coffee'), {
    name: 'hashtag:Coffee',
    streamPath: '/api/v1/streaming/hashtag',
    restPath: '/api/v1/timelines/tag/Coffee',
    query: { tag: 'Coffee' },
  });
  t.throws(() => parseTimeline('home'), /public, public:local or hashtag:NAME/);
  t.throws(() => parseTimeline('hashtag:two words'), /unknown Mastodon timeline/);
});

t.test('ids order as snowflakes; Link headers give their relations', async (t) => {
  t.ok(compareIds('99', '100') < 0);
  t.ok(compareIds('113054816000000002', '113054816000000001') > 0);
  t.equal(compareIds('AbC', 'AbC'), 0);
  const link =
    '<https://m.example/api/v1/timelines/public?max_id=5>; rel="next", <https://m.example/api/v1/timelines/public?min_id=9>; rel="prev"';
  t.equal(linkRel(link, 'prev'), 'https://m.example/api/v1/timelines/public?min_id=9');
  t.equal(linkRel(link, 'next'), 'https://m.example/api/v1/timelines/public?max_id=5');
  t.equal(linkRel(null, 'prev'), undefined);
  t.equal(linkRel('<https://a.example/>; rel=next', 'next'), 'https://a.example/');
});
