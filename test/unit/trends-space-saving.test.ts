import t from 'tap';
import { Random } from '../../engines/stats/index.js';
import { mergeHeavyHitters, SpaceSaving, type HeavyHitter } from '../../engines/trends/index.js';

/** A skewed stream: key i with probability ∝ 1/(i+1), over `keys` keys. */
function zipfStream(seed: number, n: number, keys: number): string[] {
  const rng = new Random(seed);
  const cumulative: number[] = [];
  let total = 0;
  for (let i = 0; i < keys; i++) cumulative.push((total += 1 / (i + 1)));
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const u = rng.next() * total;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    out.push(`k${lo}`);
  }
  return out;
}

function exact(stream: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of stream) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

t.test('with no more distinct keys than its capacity, the counts are exact', async (t) => {
  const stream = zipfStream(1, 5000, 50);
  const ss = new SpaceSaving(50);
  for (const k of stream) ss.add(k);
  const truth = exact(stream);
  t.equal(ss.size, truth.size);
  t.equal(ss.total, 5000);
  for (const h of ss.top()) {
    t.equal(h.count, truth.get(h.key), h.key);
    t.equal(h.error, 0);
  }
  t.equal(ss.count('absent'), 0);
});

t.test('past its capacity the bounds hold and every heavy key is tracked', async (t) => {
  const stream = zipfStream(2, 50_000, 5000);
  const capacity = 100;
  const ss = new SpaceSaving(capacity);
  for (const k of stream) ss.add(k);
  const truth = exact(stream);
  t.equal(ss.size, capacity);
  let sum = 0;
  for (const h of ss.top()) {
    const real = truth.get(h.key) ?? 0;
    t.ok(
      h.count - h.error <= real && real <= h.count,
      `${h.key}: ${real} within [${h.count - h.error}, ${h.count}]`,
    );
    sum += h.count;
  }
  t.equal(sum, ss.total, 'the counts add up to the total (every weight lands on one counter)');
  for (const [key, n] of truth) if (n > ss.total / capacity) t.ok(ss.count(key) > 0, `${key} (${n}) tracked`);
  t.ok(ss.floor > 0 && ss.floor <= ss.total / capacity);
  const top = ss.top(5).map((h) => h.key);
  t.same(top, ['k0', 'k1', 'k2', 'k3', 'k4'], 'the heaviest keys in order');
});

t.test('top is by count descending, then key ascending; top(n) takes the first n', async (t) => {
  const ss = new SpaceSaving(10);
  for (const [k, w] of [
    ['b', 2],
    ['a', 2],
    ['c', 5],
    ['d', 1],
  ] as const)
    ss.add(k, w);
  t.same(
    ss.top().map((h) => h.key),
    ['c', 'a', 'b', 'd'],
  );
  t.same(
    ss.top(2).map((h) => [h.key, h.count]),
    [
      ['c', 5],
      ['a', 2],
    ],
  );
  t.same(ss.top(0), []);
});

t.test(
  'weights: fractions add up; a weight ≤ 0, NaN or infinite and a key that is not a string are ignored',
  async (t) => {
    const ss = new SpaceSaving(4);
    ss.add('a', 0.25);
    ss.add('a', 0.5);
    ss.add('a');
    for (const w of [0, -1, Number.NaN, Infinity, -Infinity]) ss.add('a', w);
    ss.add(undefined as unknown as string);
    ss.add(42 as unknown as string, 3);
    t.equal(ss.count('a'), 1.75);
    t.equal(ss.total, 1.75);
    t.equal(ss.size, 1);
  },
);

t.test('the evicted key is the lightest, the last of equal counts by key', async (t) => {
  const ss = new SpaceSaving(2);
  ss.add('a');
  ss.add('b');
  t.equal(ss.offer('c'), 'b', 'of a and b (1 each), b sorts last');
  t.same(ss.top(), [
    { key: 'c', count: 2, error: 1 },
    { key: 'a', count: 1, error: 0 },
  ]);
  t.equal(ss.offer('a'), undefined, 'a tracked key evicts nothing');
});

t.test('a capacity that is not an integer ≥ 1 is a RangeError', async (t) => {
  for (const c of [0, -1, 1.5, Number.NaN, Infinity]) t.throws(() => new SpaceSaving(c), RangeError);
});

t.test('snapshot → JSON → fromSnapshot continues identically', async (t) => {
  const stream = zipfStream(3, 20_000, 3000);
  const a = new SpaceSaving(64);
  for (const k of stream.slice(0, 10_000)) a.add(k, 1 + (k.length % 3) * 0.5);
  const b = SpaceSaving.fromSnapshot(JSON.parse(JSON.stringify(a.snapshot())));
  t.same(b.top(), a.top());
  const evictedA: (string | undefined)[] = [];
  const evictedB: (string | undefined)[] = [];
  for (const k of stream.slice(10_000)) {
    const w = 1 + (k.length % 3) * 0.5;
    evictedA.push(a.offer(k, w));
    evictedB.push(b.offer(k, w));
  }
  t.same(evictedB, evictedA, 'the same keys evicted');
  t.same(b.snapshot(), a.snapshot());
  t.equal(b.total, a.total);
});

t.test('the same stream gives the same sketch (deterministic)', async (t) => {
  const stream = zipfStream(4, 10_000, 2000);
  const a = new SpaceSaving(50);
  const b = new SpaceSaving(50);
  for (const k of stream) a.add(k);
  for (const k of stream) b.add(k);
  t.same(a.snapshot(), b.snapshot());
});

t.test(
  'fromSnapshot with a smaller capacity keeps the heaviest keys; a bad snapshot is a RangeError',
  async (t) => {
    const a = new SpaceSaving(10);
    for (let i = 0; i < 10; i++) a.add(`k${i}`, i + 1);
    const b = SpaceSaving.fromSnapshot(a.snapshot(), 3);
    t.same(
      b.top().map((h) => h.key),
      ['k9', 'k8', 'k7'],
    );
    b.add('new');
    t.same(b.top(1), [{ key: 'k9', count: 10, error: 0 }]);
    t.equal(b.count('new'), 9, 'takes the place (and the count) of the lightest, k7');
    for (const bad of [
      null,
      {},
      { v: 2, capacity: 3, total: 0, items: [] },
      { v: 1, capacity: 3, total: 1, items: [['a', Number.NaN, 0]] },
      { v: 1, capacity: 3, total: 1, items: [['a', 1, 2]] },
      {
        v: 1,
        capacity: 3,
        total: 2,
        items: [
          ['a', 1, 0],
          ['a', 1, 0],
        ],
      },
      { v: 1, capacity: 0, total: 0, items: [] },
    ])
      t.throws(() => SpaceSaving.fromSnapshot(bad), RangeError, JSON.stringify(bad));
  },
);

t.test('a million distinct keys: memory stays at the capacity', async (t) => {
  const ss = new SpaceSaving(100);
  for (let i = 0; i < 1_000_000; i++) ss.add(`#tag${i}`);
  ss.add('#tag5', 1e6);
  t.equal(ss.size, 100);
  t.equal(ss.total, 2_000_000);
  t.equal(ss.top(1)[0]!.key, '#tag5');
  t.ok(JSON.stringify(ss.snapshot()).length < 10_000);
});

t.test('mergeHeavyHitters sums counts and errors per key, a missing key counting 0', async (t) => {
  const p1: HeavyHitter[] = [
    { key: 'a', count: 5, error: 1 },
    { key: 'b', count: 3, error: 0 },
  ];
  const p2: HeavyHitter[] = [
    { key: 'b', count: 4, error: 2 },
    { key: 'c', count: 7, error: 0 },
  ];
  t.same(mergeHeavyHitters([p1, p2]), [
    { key: 'b', count: 7, error: 2 },
    { key: 'c', count: 7, error: 0 },
    { key: 'a', count: 5, error: 1 },
  ]);
  t.same(
    mergeHeavyHitters([p1, p2], 1).map((h) => h.key),
    ['b'],
  );
  t.same(p1[1], { key: 'b', count: 3, error: 0 }, 'the inputs are not changed');
});
