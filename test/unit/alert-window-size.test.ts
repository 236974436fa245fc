// After a change of --alert-window, the spike windows stream still holds windows of the old size.
import t from 'tap';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { AlertDetection } from '../../stream/stages/alert-detection.js';
import type { SpikeWindowsMessage } from '../../stream/operators/spike-windows.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

t.test('the alerts stage ignores spike windows of another size', async (t) => {
  const names = DEFAULT_BRANDS.map((b) => b.name);
  const brand = names[0]!;
  const msg = (window_ms: number, start: number, posts: number): SpikeWindowsMessage => ({
    partition: 0,
    window_ms,
    closed_through: start,
    windows: [{ start, brands: { [brand]: { posts, negative: 0, terms: [], samples: [] } } }],
  });
  const d = new AlertDetection({ partitions: 1, brands: names, spikes: { windowMs: MIN } });
  t.equal(d.windowMs, MIN);
  t.same(d.add(msg(5 * MIN, T0, 500)), []);
  t.equal(d.ignoredMessages, 1);
  t.equal(d.ignoredWindows, 1);
  t.equal(d.monitor.size, 0, 'the 5-minute window was not judged');
  d.add(msg(MIN, T0 + 5 * MIN, 10));
  t.equal(d.monitor.size, names.length, 'a window of its own size is');
  t.equal(d.ignoredMessages, 1);

  // Partitions' windows waiting in a checkpoint of another size are dropped too.
  const two = new AlertDetection({ partitions: 2, brands: names, spikes: { windowMs: 5 * MIN } });
  two.add(msg(5 * MIN, T0, 100));
  const snap = JSON.parse(JSON.stringify(two.snapshot())) as unknown;
  const same = new AlertDetection({ partitions: 2, brands: names, spikes: { windowMs: 5 * MIN } });
  same.restore(snap);
  t.equal(same.ignoredWindows, 0);
  t.same(same.snapshot(), two.snapshot());
  const other = new AlertDetection({ partitions: 2, brands: names, spikes: { windowMs: MIN } });
  other.restore(snap);
  t.equal(other.ignoredWindows, 1);
  t.same((other.snapshot() as { pending: unknown[] }).pending, []);
});

t.test('after a restart with another alert window the detectors learn again: no false spike', async (t) => {
  const names = DEFAULT_BRANDS.map((b) => b.name);
  // steady traffic: 20 posts a minute per brand, 4 of them negative, in every window
  const steady = (window_ms: number, start: number): SpikeWindowsMessage => {
    const k = window_ms / MIN;
    const brands = Object.fromEntries(
      names.map((b) => [b, { posts: 20 * k, negative: 4 * k, terms: [], samples: [] }]),
    );
    return { partition: 0, window_ms, closed_through: start, windows: [{ start, brands }] };
  };
  const one = new AlertDetection({ partitions: 1, brands: names, spikes: { windowMs: MIN } });
  let s = T0;
  let before = 0;
  for (let i = 0; i < 6 * 60; i++, s += MIN) before += one.add(steady(MIN, s)).length;
  t.equal(before, 0, 'no alerts on steady 1-minute traffic');
  const five = new AlertDetection({ partitions: 1, brands: names, spikes: { windowMs: 5 * MIN } });
  five.restore(JSON.parse(JSON.stringify(one.snapshot())));
  const after: string[] = [];
  for (let i = 0; i < 24; i++, s += 5 * MIN)
    after.push(...five.add(steady(5 * MIN, s)).map((a) => `${a.brand}:${a.kind}`));
  t.same(after, [], 'five times the posts per window is the new window, not a spike');
});
