import t from 'tap';
import { UsageError } from '../../app/flags.js';
import { main, WITHIN_WINDOWS } from '../../app/tools/eval-trends.js';
import { injectedShare, planTrends, type InjectedTrend } from '../../app/tools/trend-stream.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { runMain } from '../helpers/tools.js';

const run = (args: string[]) => runMain(main, args);
const SMALL = ['--windows', '150', '--warmup', '60', '--rate', '3', '--seed', '7', '--json'];

t.test(
  'a small run prints the figures and one JSON line; the same seed gives the same figures',
  async (t) => {
    const first = await run(SMALL);
    t.equal(first.code, 0);
    const text = first.out.join('\n');
    t.match(text, /eval:trends seed 7: 150 windows of 5 min/);
    t.match(text, /4 partitions by author, rows summed, isTrending on the sums \(production\):\n\s+recall/);
    t.match(text, /throughput: TrendDetector\.add [\d,]+\/s/);
    const json = JSON.parse(first.out[first.out.length - 1]!);
    t.equal(json.seed, 7);
    t.equal(json.windows, 150);
    t.equal(json.within_windows, WITHIN_WINDOWS);
    t.ok(json.posts > 50_000, `${json.posts} posts`);
    t.ok(json.injected >= 4, `${json.injected} injected`);
    t.equal(json.injections.length, json.injected);
    t.ok(json.detected <= json.injected);
    t.equal(json.recall, json.detected / json.injected);
    t.ok(json.recall >= 0.5, `recall ${json.recall}`);
    t.ok(json.precision === null || (json.precision >= 0 && json.precision <= 1));
    t.ok(json.false_positives >= 0 && Number.isFinite(json.false_positives_per_day));
    t.ok(
      json.median_delay_windows === null ||
        (json.median_delay_windows >= 0 && json.median_delay_windows < WITHIN_WINDOWS),
    );
    t.same(Object.keys(json.decoy_runs).sort(), ['#dailygrind', '#morningrush']);
    t.ok(json.single.injected === json.injected && json.single.detected <= json.injected);
    t.ok(json.throughput.trend_adds > 0);

    const again = await run(SMALL);
    const second = JSON.parse(again.out[again.out.length - 1]!);
    delete json.throughput;
    delete second.throughput;
    t.same(second, json, 'deterministic apart from the timings');
  },
);

t.test(
  'the injection plan: after the warm-up, no overlap per brand, shares that ramp up and down',
  async (t) => {
    const plan = planTrends({ seed: 3, windows: 864, warmup: 288, brands: DEFAULT_BRANDS });
    t.ok(plan.length >= 20, `${plan.length} trends`);
    const byBrand = new Map<string, InjectedTrend[]>();
    for (const p of plan) byBrand.set(p.brand, [...(byBrand.get(p.brand) ?? []), p]);
    for (const [brand, list] of byBrand) {
      list.forEach((p, i) => {
        t.ok(p.start >= 288 && p.end <= 864 + 2 * 12 + 24, `${brand} ${p.tag} in range`);
        if (i > 0) t.ok(p.start > list[i - 1]!.end, `${brand}: no overlap`);
      });
      const jumps = list.filter((p) => p.kind === 'jump').map((p) => p.tag);
      t.equal(new Set(jumps).size, jumps.length, `${brand}: each background hashtag jumps once`);
    }
    const p = plan[0]!;
    t.equal(injectedShare(p, p.start - 1), 0);
    t.ok(injectedShare(p, p.start) > 0);
    t.equal(injectedShare(p, p.start + p.ramp), p.peakShare);
    t.equal(injectedShare(p, p.end), 0);
    t.ok(p.peakShare >= 0.02 && p.peakShare <= 0.06);
  },
);

t.test('a bad command line is a usage error', async (t) => {
  await t.rejects(run(['--windows', '5']), UsageError);
  await t.rejects(run(['--rate', 'fast']), UsageError);
  await t.rejects(run(['--threshold', '0']), UsageError);
  await t.rejects(run(['--bogus']), UsageError);
  const { out } = await run(['--help']);
  t.match(out[0], /usage: npm run eval:trends/);
});
