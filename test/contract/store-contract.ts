import type { Test } from 'tap';
import { randomUUID } from 'node:crypto';
import {
  ACTIVITY_TABLE,
  emptyCounts,
  WINDOW_TABLE,
  type ActivityRow,
  type Store,
  type WindowRow,
} from '../../stream/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export function row(over: Partial<WindowRow> & Pick<WindowRow, 'brand' | 'start'>): WindowRow {
  return {
    ...emptyCounts(),
    window: '1m',
    end: over.start + MIN,
    partition: 0,
    version: 1,
    final: false,
    ...over,
  };
}

/** A brand_activity cell of `brand`: hour 10, partition 0, version 1, one post. */
function activityCell(brand: string, over: Partial<ActivityRow>): ActivityRow {
  return { brand, hour: 10, partition: 0, version: 1, posts: 1, negative: 0, engagement: 0, ...over };
}

/** The Store contract: the in-memory store and ClickHouse must both pass it. Brands are random per test. */
export function storeContract(t: Test, name: string, makeStore: () => Promise<Store>): void {
  t.test(`${name}: store contract`, async (t) => {
    const store = await makeStore();
    t.teardown(() => store.close());
    const brand = () => `brand-${randomUUID()}`;

    t.test('rows of all partitions add up per window, in start order', async (t) => {
      const b = brand();
      await store.upsert([
        row({
          brand: b,
          start: T0 + MIN,
          partition: 0,
          posts: 2,
          positive: 2,
          sentiment_sum: 1,
          authors: 2,
          likes: 5,
        }),
        row({
          brand: b,
          start: T0,
          partition: 1,
          posts: 3,
          negative: 3,
          sentiment_sum: -1.5,
          authors: 1,
          shares: 4,
        }),
        row({
          brand: b,
          start: T0,
          partition: 0,
          posts: 1,
          neutral: 1,
          sentiment_sum: 0,
          authors: 1,
          replies: 7,
        }),
      ]);
      const out = await store.query({ brand: b, window: '1m', from: T0, to: T0 + 2 * MIN });
      t.equal(out.length, 2);
      t.match(out[0], {
        brand: b,
        window: '1m',
        start: T0,
        end: T0 + MIN,
        posts: 4,
        negative: 3,
        neutral: 1,
        authors: 2,
        shares: 4,
        replies: 7,
      });
      t.equal(out[0]!.sentiment_mean, -1.5 / 4);
      t.match(out[1], { start: T0 + MIN, posts: 2, positive: 2, likes: 5, sentiment_mean: 0.5 });
    });

    t.test('a higher version replaces a row; a lower one does not', async (t) => {
      const b = brand();
      await store.upsert([row({ brand: b, start: T0, version: 5, posts: 5 })]);
      await store.upsert([row({ brand: b, start: T0, version: 7, posts: 7, final: true })]);
      await store.upsert([row({ brand: b, start: T0, version: 6, posts: 6 })]);
      const [w] = await store.query({ brand: b, window: '1m', from: T0, to: T0 + MIN });
      t.equal(w?.posts, 7, 'a replay of an older version never adds to or replaces the newer row');
      t.equal(w?.final, true);
    });

    t.test('rewriting the same rows is idempotent', async (t) => {
      const b = brand();
      const rows = [
        row({ brand: b, start: T0, version: 3, posts: 3, partition: 0 }),
        row({ brand: b, start: T0, version: 3, posts: 4, partition: 1 }),
      ];
      await store.upsert(rows);
      await store.upsert(rows);
      const [w] = await store.query({ brand: b, window: '1m', from: T0, to: T0 + MIN });
      t.equal(w?.posts, 7);
    });

    t.test('queries select by brand, window size and [from, to)', async (t) => {
      const b = brand();
      const other = brand();
      await store.upsert([
        row({ brand: b, start: T0 - MIN, posts: 1 }),
        row({ brand: b, start: T0, posts: 2 }),
        row({ brand: b, start: T0 + MIN, posts: 3 }),
        row({ brand: b, window: '1h', start: T0, end: T0 + 60 * MIN, posts: 6 }),
        row({ brand: other, start: T0, posts: 9 }),
      ]);
      const out = await store.query({ brand: b, window: '1m', from: T0, to: T0 + MIN });
      t.same(
        out.map((w) => w.posts),
        [2],
      );
      const hour = await store.query({ brand: b, window: '1h', from: T0, to: T0 + 60 * MIN });
      t.same(
        hour.map((w) => w.posts),
        [6],
      );
      t.same(
        await store.query({ brand: brand(), window: '1m', from: T0, to: T0 + MIN }),
        [],
        'unknown brand: empty',
      );
    });

    t.test('a window is final only when every partition closed it', async (t) => {
      const b = brand();
      await store.upsert([
        row({ brand: b, start: T0, partition: 0, final: true, posts: 1 }),
        row({ brand: b, start: T0, partition: 1, final: false, posts: 1 }),
      ]);
      const [w] = await store.query({ brand: b, window: '1m', from: T0, to: T0 + MIN });
      t.equal(w?.final, false);
    });

    t.test('brand names with quotes and backslashes are stored and found as they are', async (t) => {
      const b = `O'Brien \\ "Café" ${randomUUID()}`;
      await store.upsert([row({ brand: b, start: T0, posts: 1 })]);
      const out = await store.query({ brand: b, window: '1m', from: T0, to: T0 + MIN });
      t.equal(out[0]?.brand, b);
    });

    t.test('window rows written through write(WINDOW_TABLE) are the rows upsert writes', async (t) => {
      const b = brand();
      await store.write(WINDOW_TABLE, [row({ brand: b, start: T0, posts: 4, version: 2 })]);
      await store.write(WINDOW_TABLE, [row({ brand: b, start: T0, posts: 9, version: 1 })]);
      const out = await store.query({ brand: b, window: '1m', from: T0, to: T0 + MIN });
      t.same(
        out.map((w) => w.posts),
        [4],
        'the lower version does not replace',
      );
    });

    t.test('operator tables: the latest version of each key, read back typed and filtered', async (t) => {
      const b = `O'Brien "${randomUUID()}"`;
      const cell = (over: Partial<ActivityRow>) => activityCell(b, { engagement: 3, ...over });
      await store.write(ACTIVITY_TABLE, [
        cell({ hour: 10, partition: 0, version: 5, posts: 7 }),
        cell({ hour: 10, partition: 1, version: 2, posts: 2 }),
        cell({ hour: 11, partition: 0, version: 5, posts: 1, negative: 1 }),
      ]);
      await store.write(ACTIVITY_TABLE, [
        cell({ hour: 10, partition: 0, version: 4, posts: 99 }), // older: ignored
        cell({ hour: 10, partition: 1, version: 3, posts: 4 }), // newer: replaces
      ]);
      await store.write(ACTIVITY_TABLE, [cell({ hour: 10, partition: 1, version: 3, posts: 4 })]); // a replay
      await store.flush();
      const rows = (await store.read(ACTIVITY_TABLE, { brand: b })).sort(
        (x, y) => x.hour - y.hour || x.partition - y.partition,
      );
      t.same(
        rows.map((r) => [r.hour, r.partition, r.version, r.posts, r.negative, r.engagement]),
        [
          [10, 0, 5, 7, 0, 3],
          [10, 1, 3, 4, 0, 3],
          [11, 0, 5, 1, 1, 3],
        ],
      );
      t.equal(typeof rows[0]!.posts, 'number', 'numbers come back as numbers');
      t.equal(rows[0]!.brand, b, 'strings come back as they were');
      t.same(
        (await store.read(ACTIVITY_TABLE, { brand: b, hour: 11 })).map((r) => r.posts),
        [1],
        'filters combine',
      );
      const hoursIn = async (range: { gte?: number; lt?: number }) =>
        (await store.read(ACTIVITY_TABLE, { brand: b, hour: range }))
          .map((r) => `${r.hour}/${r.partition}`)
          .sort();
      t.same(await hoursIn({ gte: 11 }), ['11/0'], 'a range from a value on');
      t.same(await hoursIn({ lt: 11 }), ['10/0', '10/1'], 'a range up to a value, exclusive');
      t.same(await hoursIn({ gte: 10, lt: 12 }), ['10/0', '10/1', '11/0'], 'both bounds');
      t.same(await hoursIn({}), ['10/0', '10/1', '11/0'], 'an empty range filters nothing');
      t.same(await store.read(ACTIVITY_TABLE, { brand: brand() }), [], 'no rows: empty');
    });

    t.test(
      'counts too large for a column stop at its largest value; the rest of the batch is written',
      async (t) => {
        const b = brand();
        const other = brand();
        const huge = Number.MAX_SAFE_INTEGER * 4_000; // past 2^64: ClickHouse would wrap it around
        const cell = (over: Partial<ActivityRow>) => activityCell(b, over);
        await store.write(ACTIVITY_TABLE, [
          cell({ hour: 10, engagement: huge }),
          cell({ hour: 11, engagement: 1e21 }), // JSON would write it as 1e+21
          cell({ hour: 12, engagement: -5, posts: Number.NaN }),
          cell({ brand: other, engagement: 7 }),
        ]);
        await store.upsert([row({ brand: b, start: T0, likes: huge, shares: 2 })]);
        await store.flush();
        const rows = (await store.read(ACTIVITY_TABLE, { brand: b })).sort((x, y) => x.hour - y.hour);
        t.same(
          rows.map((r) => [r.hour, r.engagement, r.posts]),
          [
            [10, Number.MAX_SAFE_INTEGER, 1],
            [11, Number.MAX_SAFE_INTEGER, 1],
            [12, 0, 0],
          ],
        );
        t.same(
          (await store.read(ACTIVITY_TABLE, { brand: other })).map((r) => r.engagement),
          [7],
          "another brand's row in the batch is written",
        );
        const [w] = await store.query({ brand: b, window: '1m', from: T0, to: T0 + MIN });
        t.match(w, { likes: Number.MAX_SAFE_INTEGER, shares: 2 });
      },
    );
  });
}
