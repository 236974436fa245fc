import t from 'tap';
import { AUTHOR_SEGMENTS_TABLE, AuthorSegments, MemoryStore, type Store } from '../../stream/index.js';

const settle = () => new Promise((r) => setImmediate(r));

t.test(
  'an author’s segment: unknown at first, read in the background, then answered from memory',
  async (t) => {
    const store = new MemoryStore();
    await store.write(AUTHOR_SEGMENTS_TABLE, [
      { author: 'ann', partition: 1, segment: 2, version: 5 },
      { author: 'bob', partition: 3, segment: 0, version: 5 },
    ]);
    let now = 1_000;
    let reads = 0;
    const counting: Store = Object.assign(Object.create(store) as Store, {
      read: (...args: Parameters<Store['read']>) => {
        reads++;
        return store.read(...args);
      },
    });
    const segments = new AuthorSegments({ store: counting, ttlMs: 60_000, now: () => now });
    t.equal(segments.lookup('ann'), undefined, 'the first lookup cannot wait for the store');
    await settle();
    t.equal(segments.lookup('ann'), '2', 'the next one has it');
    t.equal(segments.lookup('bob'), undefined);
    await settle();
    t.equal(segments.lookup('bob'), '0', 'segment 0 is a segment');
    t.equal(segments.lookup('nobody'), undefined);
    await settle();
    t.equal(segments.lookup('nobody'), undefined, 'an author with no segment stays without one');
    t.equal(reads, 3, 'one read per author');

    await store.write(AUTHOR_SEGMENTS_TABLE, [{ author: 'ann', partition: 1, segment: 4, version: 9 }]);
    t.equal(segments.lookup('ann'), '2', 'still fresh: no read');
    now += 60_000;
    t.equal(segments.lookup('ann'), '2', 'stale: the old value while it is read again');
    await settle();
    t.equal(segments.lookup('ann'), '4', 'the new segment');
    t.equal(reads, 4);
  },
);

t.test('bounded: the least recently looked-up authors go first; reads in flight are capped', async (t) => {
  const store = new MemoryStore();
  await store.write(
    AUTHOR_SEGMENTS_TABLE,
    Array.from({ length: 10 }, (_, i) => ({ author: `a${i}`, partition: 0, segment: i % 3, version: 1 })),
  );
  const segments = new AuthorSegments({ store, maxEntries: 3, maxInFlight: 2 });
  for (let i = 0; i < 10; i++) segments.lookup(`a${i}`);
  await settle();
  t.equal(segments.size, 2, 'only two reads were started at once');
  for (let i = 0; i < 10; i++) await segments.read(`a${i}`);
  t.equal(segments.size, 3, 'at most maxEntries kept');
  t.equal(segments.lookup('a9'), '0');
  t.equal(segments.lookup('a0'), undefined, 'the oldest was dropped');
});

t.test('a store that fails: no segment, the error reported, no throw', async (t) => {
  const errors: unknown[] = [];
  const failing = {
    read: async () => {
      throw new Error('down');
    },
  } as unknown as Store;
  const segments = new AuthorSegments({ store: failing, onError: (e) => errors.push(e) });
  t.equal(segments.lookup('x'), undefined);
  await settle();
  t.equal(segments.lookup('x'), undefined);
  t.equal(errors.length >= 1, true, 'reported');
});
