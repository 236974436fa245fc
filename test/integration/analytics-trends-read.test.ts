import t from 'tap';
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import {
  MemoryStore,
  operatorTables,
  readTrends,
  TREND_WINDOWS_TABLE,
  type Store,
} from '../../stream/index.js';
import type { TrendWindowRow } from '../../stream/analytics/tables.js';
import { ClickHouseConnection, ClickHouseStore, ident, sql } from '../../stream/store/clickhouse/index.js';
import { CLICKHOUSE_URL } from '../helpers/services.js';

// readTrends against both stores: a window's `trending` must not depend on the range's `from`
// (the span of a window's last three windows reaches back before `from`).

const W = 300_000;
const T0 = Date.UTC(2026, 0, 1, 12);
const BRAND = "O'Brien's \\ Coffee";

const row = (
  start: number,
  term: string,
  count: number,
  baseline: number,
  over: object = {},
): TrendWindowRow => ({
  brand: BRAND,
  term,
  count,
  baseline,
  warm: 1,
  start,
  size_ms: W,
  partition: 0,
  final: 1,
  version: Math.floor((start - T0) / W) + 10,
  ...over,
});

async function contract(t: Test, open: () => Promise<Store>) {
  const store = await open();
  t.teardown(() => store.close());
  // #newthing: 6 mentions against a baseline of 1 in each of three windows; trends only over the
  // three together. A later window of a term seen before the range only.
  await store.write(TREND_WINDOWS_TABLE, [
    row(T0, '#newthing', 6, 1),
    row(T0 + W, '#newthing', 6, 1),
    row(T0 + 2 * W, '#newthing', 6, 1),
    row(T0 + W, 'oldterm', 40, 1),
    row(T0 + 2 * W, 'coffee', 3, 3),
    // another window size before the range (a restart with another --analytics-window): not history
    row(T0 + 2 * W - 60_000, '#other', 50, 1, { size_ms: 60_000, version: 1 }),
  ]);
  await store.flush();
  const last = T0 + 2 * W;
  const term = (windows: { start: number; terms: { term: string; trending: boolean }[] }[], start: number) =>
    windows.find((w) => w.start === start)?.terms.find((x) => x.term === '#newthing');

  const all = await readTrends(store, BRAND, { from: T0, to: last + W });
  t.equal(term(all.windows, last)?.trending, true, 'trending over its last three windows');
  t.equal(term(all.windows, T0)?.trending, false, 'the first window has no history: not by the span');

  for (const from of [last, last - 1, T0 + W + 1]) {
    const one = await readTrends(store, BRAND, { from, to: last + W });
    t.equal(one.window_ms, W, `from ${from - T0}: the range's window size`);
    t.same(
      one.windows.map((w) => w.start),
      [last],
      'only the windows inside the range are answered',
    );
    t.same(one.windows[0], all.windows[0], `from ${from - T0}: the same window as read with an earlier from`);
    t.notOk(
      one.windows[0]!.terms.some((x) => x.term === 'oldterm' || x.term === '#other'),
      'history terms are not answered',
    );
  }
  // every window read on its own equals the same window read with the whole range
  for (const w of all.windows) {
    const alone = await readTrends(store, BRAND, { from: w.start, to: w.end });
    t.same(alone.windows, [w], `window ${(w.start - T0) / W} read on its own`);
  }
  const live = await readTrends(store, BRAND, { from: last, to: Number.POSITIVE_INFINITY });
  t.equal(term(live.windows, last)?.trending, true, 'an open-ended range (the WebSocket channel) too');
  const empty = await readTrends(store, BRAND, { from: last + W, to: last + 2 * W });
  t.same(empty, { window_ms: null, windows: [] }, 'no rows in the range: no windows, history or not');
}

t.test('memory store', (t) => contract(t, async () => new MemoryStore()));

t.test('ClickHouse store', async (t) => {
  const admin = new ClickHouseConnection({ url: CLICKHOUSE_URL });
  const database = `pw_test_${randomBytes(6).toString('hex')}`;
  t.teardown(async () => {
    await admin.command(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
    await admin.close();
  });
  await contract(t, () => ClickHouseStore.open({ url: CLICKHOUSE_URL, database, tables: operatorTables() }));
});
