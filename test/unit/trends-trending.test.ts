import t from 'tap';
import { Random } from '../../engines/stats/index.js';
import { BrandMatcher, STOPWORDS, tokenize } from '../../engines/text/index.js';
import {
  DEFAULT_TREND_OPTIONS,
  isTrending,
  TrendDetector,
  trendOptions,
  trendScore,
  trendTerms,
  type TermWindow,
  type TrendOptions,
} from '../../engines/trends/index.js';

/** A brand's steady vocabulary: mean mentions per window. */
const VOCAB: [string, number][] = [
  ['coffee', 100],
  ['latte', 30],
  ['#dailygrind', 25],
  ...Array.from({ length: 40 }, (_, i) => [`word${i}`, 0.5 + i / 2] as [string, number]),
];

/** One window of the steady vocabulary (volume × each mean), Poisson counts. */
function steady(d: TrendDetector, rng: Random, volume = 1): void {
  for (const [term, mean] of VOCAB) {
    const n = rng.poisson(mean * volume);
    if (n > 0) d.add(term, n);
  }
}

function warmed(options: Partial<TrendOptions> = {}, windows = 60, seed = 1) {
  const d = new TrendDetector(options);
  const rng = new Random(seed);
  for (let i = 0; i < windows; i++) {
    steady(d, rng);
    d.closeWindow();
  }
  return { d, rng };
}

const trending = (rows: TermWindow[]) => rows.filter((r) => r.trending).map((r) => r.term);
const finiteRow = (r: TermWindow) =>
  [r.count, r.error, r.baseline, r.score].every((x) => Number.isFinite(x)) && typeof r.trending === 'boolean';

t.test('a new hashtag jumping from nothing to 30 trends; the always big term does not', async (t) => {
  const { d, rng } = warmed();
  steady(d, rng);
  d.add('#newthing', 30);
  const rows = d.closeWindow();
  const row = rows.find((r) => r.term === '#newthing')!;
  t.match(row, { count: 30, error: 0, baseline: 0, trending: true });
  t.ok(row.score > DEFAULT_TREND_OPTIONS.threshold);
  t.same(trending(rows), ['#newthing'], 'only the new hashtag');
  const coffee = rows.find((r) => r.term === 'coffee')!;
  t.ok(coffee.baseline > 80 && coffee.baseline < 120, `coffee baseline ${coffee.baseline}`);
  t.notOk(coffee.trending);
  t.ok(rows.every(finiteRow));
});

t.test(
  'an existing term that jumps trends; the brand growing as a whole (a daily peak) does not',
  async (t) => {
    const { d, rng } = warmed();
    steady(d, rng, 3);
    t.same(trending(d.closeWindow()), [], 'three times the volume, the same shares: nothing trends');
    steady(d, rng, 0.3);
    t.same(trending(d.closeWindow()), [], 'a night: nothing trends');
    steady(d, rng);
    d.add('word0', 15); // mean 0.5
    const rows = d.closeWindow();
    t.same(trending(rows), ['word0']);
    const w = rows.find((r) => r.term === 'word0')!;
    t.ok(w.baseline > 0.1 && w.baseline < 2, `baseline ${w.baseline}`);
  },
);

t.test('nothing trends during the warm-up', async (t) => {
  const { d, rng } = warmed({}, 5);
  t.notOk(d.warm);
  steady(d, rng);
  d.add('#early', 40);
  t.same(trending(d.closeWindow()), []);
  const { d: later } = warmed({}, DEFAULT_TREND_OPTIONS.warmupWindows);
  t.ok(later.warm);
});

t.test(
  'a trend growing over a few windows is found on the span before any one window is conclusive',
  async (t) => {
    const flags = (options: Partial<TrendOptions>) => {
      const { d, rng } = warmed(options);
      const out: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        steady(d, rng);
        d.add('#slowburn', 4);
        out.push(d.closeWindow().find((r) => r.term === '#slowburn')!.trending);
      }
      return out;
    };
    const spanned = flags({});
    t.equal(spanned[0], false, 'four mentions are below minCount');
    t.ok(spanned.includes(true), `found within three windows (${spanned})`);
    t.same(flags({ spanWindows: 1 }), [false, false, false], 'windows alone never are conclusive');
  },
);

t.test('the pure score: sums over partitions and windows', async (t) => {
  t.ok(isTrending(30, 0));
  t.notOk(isTrending(100, 95), 'always big');
  t.notOk(isTrending(5, 0), 'below minCount');
  t.notOk(isTrending(60, 40), 'below minRatio');
  t.ok(isTrending(8, 0, undefined, 1));
  t.notOk(isTrending(8, 0, undefined, 3), 'eight mentions over three windows are less');
  t.ok(trendScore(20, 2) > trendScore(10, 2), 'grows with the count');
  t.ok(trendScore(10, 5) > trendScore(10, 8), 'falls with the baseline');
  t.ok(trendScore(2, 10) < 0, 'below the baseline: negative');
  t.equal(trendScore(0, 0), -Math.sqrt(2 * DEFAULT_TREND_OPTIONS.prior));
  for (const [c, b] of [
    [Number.NaN, 1],
    [1, Number.NaN],
    [Infinity, 0],
    [-5, -5],
    [1e12, 0],
    [0, 1e12],
  ])
    t.ok(Number.isFinite(trendScore(c!, b!)), `score of ${c}, ${b} is finite`);
  t.notOk(isTrending(Number.NaN, 0));
  t.notOk(isTrending(Infinity, 0), 'an infinite count is no count');
  t.ok(isTrending(6, 0, { minCount: 6 }));
  t.notOk(isTrending(6, 0, { minCount: 7 }));
  t.throws(() => isTrending(6, 0, { threshold: -1 }), RangeError);
});

t.test('options: every bad one is a RangeError naming it', async (t) => {
  t.same(trendOptions(), DEFAULT_TREND_OPTIONS);
  for (const [name, value] of [
    ['capacity', 0],
    ['capacity', 2.5],
    ['baselineHalfLife', 0],
    ['peakHalfLife', -1],
    ['maxBaselineTerms', 0],
    ['minCount', -1],
    ['minRatio', 0.5],
    ['threshold', 0],
    ['threshold', Number.NaN],
    ['spanWindows', 0],
    ['prior', 0],
    ['warmupWindows', 1.5],
    ['reportBaseline', -1],
    ['forgetLevel', Infinity],
  ] as const)
    t.throws(
      () => new TrendDetector({ [name]: value }),
      new RegExp(`trend option ${name}`),
      `${name} ${value}`,
    );
});

t.test('empty windows: no rows, no NaN, and the shares hold through a silence', async (t) => {
  const { d, rng } = warmed();
  const rowsOfEmpty = Array.from({ length: 200 }, () => d.closeWindow().length);
  t.equal(Math.max(...rowsOfEmpty), 0, 'an empty window has no rows');
  t.same(d.current(), []);
  steady(d, rng);
  const rows = d.closeWindow();
  t.ok(rows.length > 0 && rows.every(finiteRow));
  t.same(trending(rows), [], 'posts after a silence are not a trend');
  const coffee = rows.find((r) => r.term === 'coffee')!;
  t.ok(coffee.baseline > 80 && coffee.baseline < 120, `coffee baseline ${coffee.baseline}`);
});

t.test('odd input: bad weights and terms are ignored', async (t) => {
  const { d } = warmed();
  d.add('coffee', Number.NaN);
  d.add('coffee', -3);
  d.add('coffee', Infinity);
  d.add(undefined as unknown as string);
  d.add('', 1);
  const rows = d.closeWindow();
  t.same(
    rows.filter((r) => r.count > 0).map((r) => r.term),
    [''],
    'only the empty term (a string) counted',
  );
  t.ok(rows.every(finiteRow));
});

t.test('a million distinct hashtags: memory stays within the caps', async (t) => {
  const options = { capacity: 50, maxBaselineTerms: 100, spanWindows: 3 };
  const bound = 50 + 100 + 2 * (50 + 100);
  const d = new TrendDetector(options);
  let max = 0;
  for (let w = 0; w < 20; w++) {
    for (let i = 0; i < 50_000; i++) d.add(`#tag${w * 50_000 + i}`);
    d.add('#real', 5_000);
    max = Math.max(max, d.size);
    const rows = d.closeWindow();
    t.ok(rows.length <= 50 + 100, `window ${w}: ${rows.length} rows`);
    max = Math.max(max, d.size);
  }
  t.ok(max <= bound, `size ${max} ≤ ${bound}`);
  t.ok(JSON.stringify(d.snapshot()).length < 50_000);
});

t.test('snapshot → JSON → restore continues identically, open window included', async (t) => {
  const { d, rng } = warmed({}, 40, 7);
  steady(d, rng);
  d.add('#half', 3);
  const copy = new TrendDetector();
  copy.restore(JSON.parse(JSON.stringify(d.snapshot())));
  t.same(copy.current(), d.current());
  const rngCopy = new Random(0);
  rngCopy.restore(rng.snapshot());
  for (let w = 0; w < 30; w++) {
    steady(d, rng);
    steady(copy, rngCopy);
    if (w >= 10 && w < 14) {
      d.add('#launch', 10 * (w - 9));
      copy.add('#launch', 10 * (w - 9));
    }
    t.same(copy.closeWindow(), d.closeWindow(), `window ${w}`);
  }
  t.same(copy.snapshot(), d.snapshot());
});

t.test('restore: null is empty; anything else that is not a snapshot is a RangeError', async (t) => {
  const { d } = warmed();
  d.restore(null);
  t.equal(d.size, 0);
  t.equal(d.windows, 0);
  for (const bad of [{}, { v: 1 }, { v: 1, windows: 1, volume: -1, terms: [], past: [], window: null }, 'x'])
    t.throws(() => d.restore(bad), RangeError);
  t.throws(
    () =>
      d.restore({
        v: 1,
        windows: 3,
        volume: 1,
        terms: [['a', Number.NaN, 0]],
        past: [],
        window: { v: 1, capacity: 200, total: 0, items: [] },
      }),
    RangeError,
  );
});

t.test('the same input gives the same rows (deterministic)', async (t) => {
  const a = warmed({}, 80, 3);
  const b = warmed({}, 80, 3);
  a.d.add('#x', 12);
  b.d.add('#x', 12);
  t.same(a.d.closeWindow(), b.d.closeWindow());
  t.same(a.d.snapshot(), b.d.snapshot());
});

t.test('current() scores the open window without changing anything', async (t) => {
  const a = warmed({}, 30, 5);
  const b = warmed({}, 30, 5);
  for (const x of [a, b]) {
    steady(x.d, x.rng);
    x.d.add('#live', 20);
  }
  const live = a.d.current(3);
  t.ok(live.length >= 3 && live.some((r) => r.term === '#live' && r.trending));
  t.same(a.d.closeWindow(), b.d.closeWindow());
  t.same(a.d.snapshot(), b.d.snapshot());
});

t.test(
  'closeWindow(top) keeps the top terms and every trending one; closeWindow() also the expected but absent terms',
  async (t) => {
    const a = warmed({}, 40, 9);
    const b = warmed({}, 40, 9);
    for (const x of [a, b]) {
      steady(x.d, x.rng);
      x.d.add('#launch', 20);
    }
    const top = a.d.closeWindow(1);
    t.same(
      top.map((r) => r.term),
      ['coffee', '#launch'],
      'the top term, and the trending one besides',
    );
    const all = b.d.closeWindow();
    const absent = all.filter((r) => r.count === 0);
    t.ok(absent.length > 0, `${absent.length} terms expected but absent`);
    t.ok(absent.every((r) => r.baseline >= DEFAULT_TREND_OPTIONS.reportBaseline && !r.trending));
    t.equal(all[0]!.term, 'coffee');
    t.ok(
      all.every((r, i) => i === 0 || all[i - 1]!.count >= r.count),
      'by count',
    );
    t.same(trending(all), ['#launch']);
  },
);

t.test('partitions: the rows add up, and a trend no partition sees alone is found on the sums', async (t) => {
  const parts = Array.from({ length: 4 }, () => new TrendDetector());
  const rng = new Random(11);
  const split = () => {
    for (const [term, mean] of VOCAB) {
      const n = rng.poisson(mean);
      for (let i = 0; i < n; i++) parts[rng.int(4)]!.add(term);
    }
  };
  for (let w = 0; w < 60; w++) {
    split();
    for (const p of parts) p.closeWindow();
  }
  split();
  for (const p of parts) p.add('#together', 4);
  const sums = new Map<string, [number, number]>();
  let alone = false;
  for (const p of parts)
    for (const r of p.closeWindow()) {
      if (r.term === '#together') alone ||= r.trending;
      const s = sums.get(r.term) ?? [0, 0];
      sums.set(r.term, [s[0] + r.count, s[1] + r.baseline]);
    }
  t.notOk(alone, 'four mentions in a partition are not a trend');
  t.same(sums.get('#together'), [16, 0]);
  t.ok(isTrending(...sums.get('#together')!));
  const [c, b] = sums.get('coffee')!;
  t.ok(b > 80 && b < 120, `coffee baseline over partitions ${b}`);
  t.notOk(isTrending(c, b));
  const flagged = [...sums].filter(([, [cc, bb]]) => isTrending(cc, bb)).map(([term]) => term);
  t.same(flagged, ['#together']);
});

t.test('a term with a daily rhythm of its own trends on none of the following days', async (t) => {
  const d = new TrendDetector();
  const rng = new Random(13);
  const day = 288;
  const flagged: number[] = [];
  for (let w = 0; w < 3 * day; w++) {
    steady(d, rng);
    // peaks in the morning at 4.75 mentions per 100 of coffee's, 0.25 in the evening
    const share = 1 + 0.9 * Math.cos((2 * Math.PI * (w - day / 3)) / day);
    const n = rng.poisson(10 * share);
    if (n > 0) d.add('#morningrush', n);
    if (d.closeWindow().some((r) => r.term === '#morningrush' && r.trending)) flagged.push(w);
  }
  t.same(
    flagged.filter((w) => w >= day),
    [],
    `flagged after the first day: ${flagged.join(', ')}`,
  );
});

t.test(
  'trendTerms: hashtags and words of three letters or more that are not stopwords, each once',
  async (t) => {
    const terms = trendTerms(
      tokenize(
        'The NEW #OatMilk latte at @northwind is soooo good, good! 42 cups https://x.co/a 2nd go #1 café',
      ),
      STOPWORDS,
    );
    t.same(terms, ['new', '#oatmilk', 'latte', 'soo', 'good', 'cups', 'cafe']);
    t.same(trendTerms(tokenize(''), STOPWORDS), []);
    t.same(trendTerms(tokenize('😀 !!! ... 123'), STOPWORDS), []);
    const tokens = tokenize('Acme Coffee latte, the acme coffee of #AcmeCoffee fame');
    const mask = new BrandMatcher([{ name: 'Acme Coffee' }]).mentionMask(tokens);
    t.same(trendTerms(tokens, STOPWORDS, mask), ['latte', 'fame'], 'the tokens in skip are left out');
  },
);
