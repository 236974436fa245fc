import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PROJECT_ROOT } from '../../app/paths.js';
import {
  authorColumns,
  authorsOfColumns,
  newAuthor,
  updateAuthor,
  type AuthorState,
} from '../../engines/clusters/author-features.js';
import { Random } from '../../engines/stats/index.js';
import { MAX_SEGMENT_AUTHORS } from '../../stream/index.js';
import type { EnrichedEvent } from '../../stream/model/events.js';
import { Segments } from '../../stream/operators/segments.js';
import {
  AudienceSegments,
  SEGMENTS_SNAPSHOT_BYTES_PER_AUTHOR,
  SEGMENTS_SNAPSHOT_VERSION,
  type AuthorPost,
  type Segment,
  type SegmentEvent,
  type SegmentOptions,
} from '../../engines/clusters/segments.js';

const T0 = Date.UTC(2026, 0, 5);

interface V1Fixture {
  options: Partial<SegmentOptions>;
  snapshot: { version?: number; authors: unknown[] };
  posts: AuthorPost[];
  answers: (number | null)[];
  segments: Segment[];
  events: SegmentEvent[];
  after: unknown;
}

// Made by the engine before snapshot version 2 (authors as tuples): see the fixture's `about`.
const v1 = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'test/fixtures/segments/v1-snapshot.json'), 'utf8'),
) as V1Fixture;

t.test(
  'a snapshot from before version 2 (author tuples) restores and carries on as the old engine did',
  async (t) => {
    t.equal(v1.snapshot.version, undefined, 'the fixture is of the old shape');
    t.ok(Array.isArray(v1.snapshot.authors[0]), 'an author is a tuple');
    const seg = new AudienceSegments(v1.options);
    seg.restore(v1.snapshot);
    t.equal(seg.authorCount, v1.snapshot.authors.length, 'every author came back');
    const restored = new Map(authorsOfColumns(seg.snapshot().authors));
    t.equal(restored.get('odd')?.followers, 12.75, 'with their odd values (fractional followers)');
    t.same(
      v1.posts.map((p) => seg.observe(p)),
      v1.answers,
      'the same segment for every later post',
    );
    t.same(seg.segments(), v1.segments, 'the same segments');
    t.same(seg.drainEvents(), v1.events, 'the same re-segmentations (one on drift)');
    t.ok(
      v1.events.some((e) => e.reason === 'drift'),
      'the later posts cover a drift',
    );
    // The old engine's state at the end, read by the new one, is the state the new one reached.
    const after = new AudienceSegments(v1.options);
    after.restore(v1.after);
    const snapshot = seg.snapshot();
    t.equal(snapshot.version, SEGMENTS_SNAPSHOT_VERSION, 'the next snapshot is written in the new shape');
    t.same(after.snapshot(), snapshot, 'the same state as the old engine ended with');
  },
);

/** Authors with every kind of value a snapshot must give back bit for bit. */
function oddAuthors(): [string, AuthorState][] {
  const settings = { activityHalfLifeMs: 7 * 86_400_000, postMemory: 50, maxBrands: 4 };
  const posts: [string, Partial<AuthorPost>][] = [
    ['one', { ts: T0, engagement: 7, sentiment: -0.25, brands: ['acme'] }],
    ['busy', { ts: T0 - 5_000, engagement: 3, sentiment: 0.5, brands: ['acme', 'globex'] }],
    ['busy', { ts: T0 - 90_000, engagement: 11, sentiment: 0.1 }],
    ['busy', { ts: T0 - 1_000, engagement: 0, sentiment: NaN, brands: ['globex', 'acme'] }],
    ['timeless', { ts: NaN, engagement: 2 ** 60, followers: 12.75 }],
    ['ancient', { ts: -1e20, engagement: 1e300, brands: ['x', 'y', 'z', 'w', 'v'] }],
    // T0 + 0.3 − (T0 + 0.3 − 0.1) is 0.10009765625: such a time is kept as it is
    ['early', { ts: 0.1, engagement: 1 }],
    ['early', { ts: T0 + 0.3, engagement: 1 }],
    ['ancient', { ts: T0 + 0.3, engagement: 0.5, sentiment: 1 }],
    ['fraction', { ts: T0 - 0.1, engagement: 2, followers: 1e10 }],
    ['fraction', { ts: T0 - 0.7, engagement: 4 }],
    ['newest', { ts: T0 + 123_456.25, engagement: 1, sentiment: 0 }],
    ['', { ts: T0 }],
  ];
  const authors = new Map<string, AuthorState>();
  for (const [id, p] of posts) {
    const a = authors.get(id) ?? newAuthor();
    authors.set(id, a);
    updateAuthor(
      a,
      { author: id, followers: 100, ts: T0, sentiment: 0, engagement: 0, brands: [], ...p },
      settings,
    );
  }
  authors.get('one')!.segment = 2;
  authors.get('busy')!.segment = 0;
  return [...authors];
}

t.test('the author columns give back every value exactly', async (t) => {
  const authors = oddAuthors();
  const columns = JSON.parse(JSON.stringify(authorColumns(authors))) as unknown;
  const back = authorsOfColumns(columns);
  t.same(back, authors, 'ids, order and values');
  // Deep equality of doubles in tap is ===; check the bits of every number as well.
  const bits = (x: unknown) => JSON.stringify(x, (_, v: unknown) => (typeof v === 'number' ? `${v}` : v));
  t.equal(bits(back), bits(authors));
  const c = columns as ReturnType<typeof authorColumns>;
  t.same(c.brandNames.slice(0, 2), ['acme', 'globex'], 'each brand written once');
  t.equal(
    c.brandLists.length,
    new Set(authors.map(([, a]) => a.brands.join())).size,
    'each distinct list of brands once',
  );
  t.same(c.engagement[0], [7], 'one post’s engagement as its count');
  t.equal(c.idPrefix, '', 'no prefix every id has');
  const dids = authorColumns(
    ['did:plc:\u{1F600}a', 'did:plc:\u{1F601}b'].map((id): [string, AuthorState] => [id, newAuthor()]),
  );
  t.equal(dids.idPrefix, 'did:plc:', 'the prefix every id has, written once, never half a character');
  t.same(
    authorsOfColumns(JSON.parse(JSON.stringify(dids)))!.map(([id]) => id),
    ['did:plc:\u{1F600}a', 'did:plc:\u{1F601}b'],
  );
  t.ok(
    c.first.some((f) => Array.isArray(f)),
    'a time whose difference is not exact is kept as it is',
  );
  t.equal(c.last[authors.findIndex(([id]) => id === 'timeless')], null, 'no time: null');
  const mutable = authorsOfColumns(columns)!;
  mutable[0]![1].brands.push('new');
  t.same(authorsOfColumns(columns)![0]![1].brands, ['acme'], 'each author gets a list of their own');
});

t.test('malformed author columns and unknown versions are refused', async (t) => {
  const good = authorColumns(oddAuthors());
  const broken: unknown[] = [
    null,
    [],
    { ...good, ids: good.ids.slice(1) },
    { ...good, base: 'x' },
    { ...good, posts: good.posts.map(() => 'x') },
    { ...good, brands: good.brands.map(() => good.brandLists.length) },
    { ...good, brandLists: [[99]] },
    { ...good, last: good.last.map(() => [1, 2]) },
    { ...good, engagement: good.engagement.map(() => [-1]) },
    { ...good, unscored: good.unscored.map(() => null) },
    { ...good, segment: good.segment.map(() => 'a') },
    { ...good, idPrefix: 1 },
  ];
  for (const b of broken) t.equal(authorsOfColumns(b), null, JSON.stringify(b)?.slice(0, 60));

  const seg = new AudienceSegments({ k: 2, warmup: 3, minPosts: 1 });
  for (let i = 0; i < 10; i++)
    seg.observe({
      author: `a${i}`,
      followers: 10 ** (i % 4),
      ts: T0 + i,
      sentiment: 0,
      engagement: i,
      brands: [],
    });
  const snapshot = seg.snapshot();
  const fresh = () => new AudienceSegments({ k: 2, warmup: 3, minPosts: 1 });
  t.doesNotThrow(() => fresh().restore(JSON.parse(JSON.stringify(snapshot))));
  for (const s of [
    { ...snapshot, version: 3 },
    { ...snapshot, version: undefined },
    { ...snapshot, authors: { ...snapshot.authors, ids: [] } },
  ])
    t.throws(() => fresh().restore(s), RangeError);
});

/**
 * Posts of `authors` distinct authors, a few posts each in a row, as a firehose's: whole follower
 * counts, scores with few digits, whole engagement, a brand or two.
 */
function* firehose(authors: number, seed = 1): Generator<AuthorPost> {
  const rng = new Random(seed);
  const brands = ['Northwind Coffee', 'Harbor Brew', 'Cafe Aurora', 'Bluebird Roasters'];
  let ts = T0;
  for (let i = 0; i < authors; i++) {
    const followers = Math.round(rng.pareto(20, 1.1));
    for (let p = 1 + rng.int(3); p > 0; p--)
      yield {
        author: `did:plc:${(1e12 + i * 7919).toString(36)}${i}`,
        followers,
        ts: (ts += rng.int(2_000)),
        sentiment: Math.round((rng.next() * 2 - 1) * 1e4) / 1e4,
        engagement: rng.poisson(3),
        brands: [brands[rng.int(brands.length)]!],
      };
  }
}

const bytesOf = (snapshot: unknown) => Buffer.byteLength(JSON.stringify(snapshot));

t.test('bounded: however many authors pass, the snapshot stays under its documented bound', async (t) => {
  const maxAuthors = 2_000;
  const seg = new AudienceSegments({ k: 5, warmup: 100, maxAuthors });
  const sizes: number[] = [];
  let seen = 0;
  let last = '';
  for (const p of firehose(60_000)) {
    seg.observe(p);
    if (p.author !== last && ++seen % 10_000 === 0) sizes.push(bytesOf(seg.snapshot()));
    last = p.author;
  }
  t.equal(seg.authorCount, maxAuthors, 'the least recently seen authors were forgotten');
  t.ok(seg.segments().length > 0, 'segmented');
  const idBytes = `did:plc:${(1e12).toString(36)}60000`.length;
  t.comment(`snapshot bytes per 10,000 authors seen: ${sizes.join(', ')}`);
  for (const size of sizes)
    t.ok(
      size <= maxAuthors * (SEGMENTS_SNAPSHOT_BYTES_PER_AUTHOR + idBytes) + 4_096,
      `${size} bytes: at most ${SEGMENTS_SNAPSHOT_BYTES_PER_AUTHOR} bytes plus the id per author held`,
    );
  t.ok(Math.max(...sizes.slice(1)) <= sizes[0]! * 1.1, 'it does not grow with the authors seen');
  // The same authors as tuples, as before version 2, for comparison.
  const tuples = authorsOfColumns(seg.snapshot().authors)!.map(([id, a]) => [id, ...Object.values(a)]);
  t.comment(`tuples: ${bytesOf(tuples)} bytes, columns: ${bytesOf(seg.snapshot().authors)}`);
  t.ok(bytesOf(seg.snapshot().authors) < bytesOf(tuples) * 0.6, 'columns take under 60% of tuples');
});

t.test('the segments operator holds at most --segment-authors authors', async (t) => {
  const make = (segmentAuthors?: number) =>
    new Segments({
      partition: 0,
      windows: [],
      allowedLatenessMs: 0,
      analytics: { windowMs: 60_000, ...(segmentAuthors !== undefined && { segmentAuthors }) },
    });
  t.equal(make().segmentAuthors, 0);
  const op = make(300);
  let n = 0;
  for (const p of firehose(3_000, 2)) {
    op.fold(
      {
        id: `e${n++}`,
        source: 'test',
        ts: p.ts,
        received_ts: p.ts,
        author: { id: p.author, followers: p.followers },
        text: '',
        lang: 'en',
        tags: { hashtags: [], mentions: [], urls: [] },
        engagement: { likes: p.engagement, shares: 0, replies: 0 },
        brands: [...p.brands],
        sentiment: { label: 'neutral', score: p.sentiment, model: 'test' },
      } as unknown as EnrichedEvent,
      p.ts - 1_000,
    );
  }
  t.equal(op.segmentAuthors, 300);
  const restored = make(300);
  restored.restore(JSON.parse(JSON.stringify(op.snapshot())));
  t.same(restored.snapshot(), op.snapshot(), 'a round trip through JSON gives the same state');
  const fewer = make(100);
  fewer.restore(JSON.parse(JSON.stringify(op.snapshot())));
  t.equal(fewer.segmentAuthors, 100, 'a restart with a lower cap keeps the most recently seen');
  for (const bad of [0, 1.5, MAX_SEGMENT_AUTHORS + 1]) t.throws(() => make(bad), RangeError);
});
