import t from 'tap';
import { MemoryStore, type TableSpec, type WindowedRow } from '../../stream/index.js';
import { row, storeContract } from './store-contract.js';

storeContract(t, 'in-memory store', async () => new MemoryStore());

t.test('the in-memory store keeps at most maxWindowsPerSeries windows, dropping the oldest', async (t) => {
  const store = new MemoryStore({ maxWindowsPerSeries: 3 });
  const T0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 5; i++) await store.upsert([row({ brand: 'b', start: T0 + i * 60_000, posts: i })]);
  const out = await store.query({ brand: 'b', window: '1m', from: 0, to: T0 + 10 * 60_000 });
  t.same(
    out.map((w) => w.posts),
    [2, 3, 4],
  );
  t.equal(store.size, 3);
  t.throws(() => new MemoryStore({ maxWindowsPerSeries: 0 }), RangeError);
});

t.test('a windowed operator table over its cap drops its oldest window whole', async (t) => {
  const spec: TableSpec<WindowedRow & { term: string }> = {
    name: 'test_windows',
    columns: {
      term: 'String',
      start: 'Int64',
      size_ms: 'UInt64',
      partition: 'UInt32',
      final: 'UInt8',
      version: 'UInt64',
    },
    key: ['start', 'size_ms', 'partition', 'term'],
    maxMemoryRows: 10,
  };
  const store = new MemoryStore();
  const rows = (start: number, version: number) =>
    [0, 1].flatMap((partition) =>
      ['a', 'b'].map((term) => ({ term, start, size_ms: 300_000, partition, final: 1, version })),
    );
  // Windows of 4 rows: the third leaves 12 rows, over the cap of 10: the first window goes, all of it.
  for (const [i, start] of [0, 300_000, 600_000].entries()) await store.write(spec, rows(start, i + 1));
  const starts = (await store.read(spec, {})).map((r) => r.start);
  t.same(
    [...new Set(starts)].map((s) => [s, starts.filter((x) => x === s).length]),
    [
      [300_000, 4],
      [600_000, 4],
    ],
    'two whole windows',
  );
  // Rewriting a window's rows (a later version) keeps it whole too.
  await store.write(spec, rows(300_000, 9));
  await store.write(spec, rows(900_000, 10));
  const after = (await store.read(spec, {})).map((r) => r.start);
  t.same([...new Set(after)].sort(), [600_000, 900_000], 'the oldest start went, though rewritten since');
  t.equal(after.length, 8);
  // A write to the oldest window held (its final rows, say) drops the next oldest, not itself.
  const closing: TableSpec<WindowedRow & { term: string }> = { ...spec, name: 'test_closing' };
  await store.write(closing, rows(0, 1));
  await store.write(closing, rows(300_000, 2));
  await store.write(closing, [
    ...rows(0, 3),
    ...['c', 'd', 'e', 'f'].map((term) => ({ ...rows(0, 3)[0]!, term })),
  ]);
  const closed = (await store.read(closing, {})).map((r) => r.start);
  t.same([closed.filter((s) => s === 0).length, closed.length], [8, 8], 'the window written stays whole');
  // One window larger than the cap by itself keeps its latest rows.
  const big: TableSpec<WindowedRow & { term: string }> = { ...spec, name: 'test_big', maxMemoryRows: 3 };
  await store.write(big, rows(0, 1));
  t.equal((await store.read(big, {})).length, 3);
});
