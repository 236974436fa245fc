import t from 'tap';
import { mapJetstream } from '../../ingest/connectors/bluesky.js';
import { checkSocialEvent } from '../../stream/index.js';
import { jetstreamFixtures, type JetstreamEvent } from '../fakes/jetstream.js';

const SKEW = 300_000;
const fixtures = jetstreamFixtures();
const at = (i: number) => fixtures[i];

t.test('a post create maps to a SocialEvent with tags from its facets', async (t) => {
  const m = mapJetstream(at(0), SKEW);
  if (m.kind !== 'event') return t.fail(JSON.stringify(m));
  t.same(m.event, {
    id: 'at://did:plc:3jpt2mvvsumj2r7eqk4gzzjz/app.bsky.feed.post/3l3qo2vuowo2b',
    source: 'bluesky',
    ts: Date.parse('2024-09-09T19:46:02.102Z'),
    author: { id: 'did:plc:3jpt2mvvsumj2r7eqk4gzzjz' },
    text: 'Morning flat white from Northwind Coffee, thanks @northwindcoffee.bsky.social! #coffee #OatMilk northwind.example/menu',
    lang: 'en',
    tags: {
      hashtags: ['coffee', 'oatmilk'],
      mentions: ['northwindcoffee.bsky.social'],
      urls: ['https://northwind.example/menu'],
    },
  });
  t.equal(m.timeUs, 1725911162329308);
  t.notOk(m.clamped);
  t.ok(checkSocialEvent(m.event).ok);
});

t.test('mention handles are read by UTF-8 byte offsets; embeds add their link', async (t) => {
  const ja = mapJetstream(at(1), SKEW);
  if (ja.kind !== 'event') return t.fail(JSON.stringify(ja));
  t.same(ja.event.tags?.mentions, ['bluebird.bsky.social']);
  t.equal(ja.event.lang, 'ja');
  const embed = mapJetstream(at(2), SKEW);
  if (embed.kind !== 'event') return t.fail(JSON.stringify(embed));
  t.same(embed.event.tags?.urls, ['https://harborbrew.example/cold-brew']);
  const off = structuredClone(at(0)) as JetstreamEvent;
  const facets = off.commit?.record?.facets as { index: { byteStart: number } }[];
  (facets[0] as { index: { byteStart: number } }).index.byteStart = 3;
  const fallback = mapJetstream(off, SKEW);
  t.match(
    fallback,
    { kind: 'event', event: { tags: { mentions: ['did:plc:northwindcoffee00000000000'] } } },
    'a range that is not a handle falls back to the DID',
  );
});

t.test(
  'updates, deletes, other collections, identity and account messages are skipped by kind',
  async (t) => {
    t.match(mapJetstream(at(3), SKEW), { kind: 'ignored', what: 'update', timeUs: 1725911162600001 });
    t.match(mapJetstream(at(4), SKEW), { kind: 'ignored', what: 'delete' });
    t.match(mapJetstream(at(5), SKEW), { kind: 'ignored', what: 'other_collection' });
    t.match(mapJetstream(at(6), SKEW), { kind: 'ignored', what: 'identity' });
    t.match(mapJetstream(at(7), SKEW), { kind: 'ignored', what: 'account' });
  },
);

t.test('absurd client clocks get the time Jetstream received the post', async (t) => {
  for (const i of [8, 9]) {
    const m = mapJetstream(at(i), SKEW);
    if (m.kind !== 'event') return t.fail(JSON.stringify(m));
    t.ok(m.clamped);
    t.equal(m.event.ts, Math.floor((at(i)?.time_us as number) / 1000));
    t.ok(checkSocialEvent(m.event).ok);
  }
  const noDate = structuredClone(at(0)) as JetstreamEvent;
  delete noDate.commit?.record?.createdAt;
  t.match(mapJetstream(noDate, SKEW), { kind: 'event', clamped: true });
});

t.test('wrong shapes are rejected as bad_shape', async (t) => {
  const bad: unknown[] = [
    null,
    [],
    { did: 'x', time_us: 1, kind: 'commit' },
    { did: 'did:plc:a', time_us: '1', kind: 'commit' },
    { did: 'did:plc:a', time_us: 1, kind: 'commit', commit: 'x' },
    {
      did: 'did:plc:a',
      time_us: 1,
      kind: 'commit',
      commit: { collection: 'app.bsky.feed.post', operation: 'create', rkey: 'r' },
    },
    {
      did: 'did:plc:a',
      time_us: 1,
      kind: 'commit',
      commit: { collection: 'app.bsky.feed.post', operation: 'create', record: { text: 'x' } },
    },
  ];
  for (const b of bad)
    t.match(mapJetstream(b, SKEW), { kind: 'rejected', reason: 'bad_shape' }, JSON.stringify(b));
});
