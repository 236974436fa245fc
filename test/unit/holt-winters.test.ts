import t from 'tap';
import { DEFAULT_HOLT_WINTERS_OPTIONS, HoltWinters, Random } from '../../engines/stats/index.js';

const WEEK = 168;

/** Hourly posts with a daily cycle and quieter weekends: a known weekly season around 20. */
function pattern(h: number): number {
  const hourOfDay = h % 24;
  const weekend = Math.floor(h / 24) % 7 >= 5;
  return 20 + 10 * Math.sin((2 * Math.PI * hourOfDay) / 24) + (weekend ? -5 : 0);
}

/** Mean absolute error of the next week's forecast, relative to the series' mean level (20). */
function weekError(hw: HoltWinters, from: number, truth: (h: number) => number): number {
  const f = hw.forecast(WEEK);
  let err = 0;
  for (let i = 0; i < WEEK; i++) err += Math.abs(f[i]! - truth(from + i));
  return err / WEEK / 20;
}

function relClose(a: number, b: number, tol = 1e-9): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

t.test('options: defaults, overrides and RangeErrors naming the option', async (t) => {
  t.same(new HoltWinters().options, DEFAULT_HOLT_WINTERS_OPTIONS);
  t.equal(new HoltWinters({ season: 24 }).options.season, 24);
  for (const [bad, name] of [
    [{ alpha: -0.1 }, 'alpha'],
    [{ beta: 2 }, 'beta'],
    [{ gamma: NaN }, 'gamma'],
    [{ phi: 0 }, 'phi'],
    [{ season: 0 }, 'season'],
    [{ season: 1.5 }, 'season'],
    [{ season: 1e9 }, 'season'],
  ] as const)
    t.throws(
      () => new HoltWinters(bad),
      { name: 'RangeError', message: new RegExp(`option ${name} `) },
      name,
    );
});

t.test('learns a known weekly season from its zero start: the error falls to a few percent', async (t) => {
  const errors: number[] = [];
  for (const weeks of [1, 2, 4, 8]) {
    const hw = new HoltWinters();
    for (let h = 0; h < weeks * WEEK; h++) hw.update(pattern(h));
    errors.push(weekError(hw, weeks * WEEK, pattern));
  }
  t.comment(`mean abs error / level after 1, 2, 4, 8 weeks: ${errors.map((e) => e.toFixed(3)).join(', ')}`);
  for (let i = 1; i < errors.length; i++) t.ok(errors[i]! < errors[i - 1]!, 'more seasons, smaller error');
  t.ok(errors[3]! < 0.02, `after 8 weeks the forecast is within 2% (got ${errors[3]})`);
});

t.test('with Poisson noise the forecast is still near the true pattern', async (t) => {
  const rng = new Random(7);
  const hw = new HoltWinters();
  for (let h = 0; h < 8 * WEEK; h++) hw.update(rng.poisson(pattern(h)));
  const err = weekError(hw, 8 * WEEK, pattern);
  t.ok(err < 0.15, `noisy series: mean abs error ${err.toFixed(3)} of the level`);
  const f = hw.forecast(WEEK);
  const peak = f.indexOf(Math.max(...f));
  t.ok(
    peak % 24 >= 3 && peak % 24 <= 9,
    `the forecast peaks near 06:00 as the pattern does (hour ${peak % 24})`,
  );
});

t.test('follows a trend: a damped-free model extrapolates a steady rise', async (t) => {
  const series = (h: number) => 100 + 0.5 * h + 10 * Math.sin((2 * Math.PI * h) / 24);
  const hw = new HoltWinters({ season: 24, phi: 1, beta: 0.05, alpha: 0.2 });
  const n = 40 * 24;
  for (let h = 0; h < n; h++) hw.update(series(h));
  const f = hw.forecast(24);
  const worst = Math.max(...f.map((x, i) => Math.abs(x - series(n + i))));
  // Without the trend the last hour would be 12 off; without the season, up to 10.
  t.ok(worst < 1, `the next day is within 1 of the truth (worst ${worst.toFixed(3)})`);
});

t.test('linear filter: the forecast of a sum is the sum of the forecasts (1e-9 relative)', async (t) => {
  const rng = new Random(3);
  const parts = [new HoltWinters(), new HoltWinters(), new HoltWinters()];
  const whole = new HoltWinters();
  const scaled = new HoltWinters();
  for (let h = 0; h < 5 * WEEK; h++) {
    const values = parts.map((_, i) => rng.poisson(pattern(h) * (i + 1)) + (i === 2 ? h * 0.01 : 0));
    parts.forEach((p, i) => p.update(values[i]!));
    whole.update(values.reduce((a, b) => a + b, 0));
    scaled.update(3.5 * values[0]!);
  }
  const sum = parts.map((p) => p.forecast(2 * WEEK)).reduce((a, b) => a.map((x, i) => x + b[i]!));
  const f = whole.forecast(2 * WEEK);
  t.ok(
    f.every((x, i) => relClose(x, sum[i]!)),
    'sum',
  );
  const f0 = parts[0]!.forecast(2 * WEEK);
  t.ok(
    scaled.forecast(2 * WEEK).every((x, i) => relClose(x, 3.5 * f0[i]!)),
    'scaling',
  );
});

t.test('skip from the zero start equals feeding zeros; later it holds the state', async (t) => {
  const a = new HoltWinters();
  const b = new HoltWinters();
  a.skip(30);
  for (let i = 0; i < 30; i++) b.update(0);
  for (let h = 0; h < 500; h++) {
    a.update(pattern(h));
    b.update(pattern(h));
  }
  t.same(a.snapshot(), b.snapshot());
  t.equal(a.steps, 530);
  const before = a.forecast(WEEK);
  a.skip(WEEK);
  t.same(a.forecast(WEEK), before, 'a whole season skipped: the same forecast');
  a.skip(-3);
  a.skip(1.5);
  t.equal(a.steps, 530 + WEEK, 'bad skips are ignored');
});

t.test('deterministic, and a JSON snapshot round trip continues identically', async (t) => {
  const run = (hw: HoltWinters, from: number, to: number) => {
    const rng = new Random(11 + from);
    for (let h = from; h < to; h++) hw.update(rng.poisson(pattern(h)));
  };
  const a = new HoltWinters();
  const b = new HoltWinters();
  run(a, 0, 1000);
  run(b, 0, 1000);
  t.same(a.snapshot(), b.snapshot(), 'same input, same state');
  const c = new HoltWinters();
  c.restore(JSON.parse(JSON.stringify(a.snapshot())));
  run(a, 1000, 1500);
  run(c, 1000, 1500);
  t.same(c.snapshot(), a.snapshot());
  t.same(c.forecast(WEEK), a.forecast(WEEK));
  t.equal(c.steps, 1500);
});

t.test(
  'bad input: non-finite values count as 0, bad counts forecast nothing, bad states throw',
  async (t) => {
    const a = new HoltWinters();
    const b = new HoltWinters();
    for (const v of [NaN, Infinity, -Infinity, 5]) a.update(v);
    for (const v of [0, 0, 0, 5]) b.update(v);
    t.same(a.snapshot(), b.snapshot());
    t.same(a.forecast(0), []);
    t.same(a.forecast(-2), []);
    t.same(a.forecast(1.5), []);
    t.ok(a.forecast(3 * WEEK).every(Number.isFinite));
    for (const bad of [
      null,
      42,
      {},
      { ...a.snapshot(), seasonal: [1, 2, 3] },
      { ...a.snapshot(), level: NaN },
      { ...a.snapshot(), steps: -1 },
    ])
      t.throws(() => a.restore(bad), RangeError);
    t.throws(() => new HoltWinters({ season: 24 }).restore(a.snapshot()), RangeError, 'another season');
    t.same(a.snapshot(), b.snapshot(), 'a failed restore leaves the state as it was');
  },
);
