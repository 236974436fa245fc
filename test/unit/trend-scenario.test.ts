import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../app/tools/eval-trends.js';
import { runScenario, type ScenarioRunOptions } from '../../app/tools/trend-scenario.js';
import { runMain } from '../helpers/tools.js';

// `eval:trends --scenario`: a scenario's posts through stage 2's trends operator (PartitionOperators
// of the registry's `trends`), its rows read back by the API's readTrends.

const dir = mkdtempSync(join(tmpdir(), 'pw-trend-scenario-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const FROM = Date.UTC(2025, 5, 2);

/** Two brands at 10 posts/s; `extra` adds spikes or faults. */
function scenario(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      description: 'a test scenario',
      seed: 5,
      rate: 10,
      start: 'now',
      brands: [{ name: 'Northwind Coffee', aliases: ['Northwind'], handles: ['northwindcoffee'] }],
      competitors: [{ name: 'Harbor Brew', aliases: ['Harbour Brew'], handles: ['harborbrew'] }],
      ...extra,
    }),
  );
  return file;
}

const options = (file: string, windows: number): ScenarioRunOptions => ({
  file,
  windows,
  windowMs: 300_000,
  partitions: 4,
  start: FROM,
  warmup: 12,
  show: 8,
});

t.test('the default scenario: nothing trends, in the warm-up neither (the rows say warm=0)', async (t) => {
  const { code, out } = await runMain(main, [
    '--scenario',
    'scenarios/default.json',
    '--windows',
    '14',
    '--json',
  ]);
  t.equal(code, 0);
  t.match(
    out[0],
    /^eval:trends --scenario default: 14 windows of 5 min .* 4 partitions by author, [\d,]+ brand posts; the trends operator/,
  );
  const json = JSON.parse(out[out.length - 1]!);
  t.match(json, {
    scenario: 'default',
    windows: 14,
    warmup: 12,
    flags_in_warmup: 0,
    flags_after_warmup: 0,
    brand_windows_with_trends: 0,
    brand_windows: 2 * 4,
    terms: [],
  });
  // about 50 posts/s on a daily curve, nearly all about a brand
  t.ok(json.posts > 14 * 300 * 20 && json.posts < 14 * 300 * 60, `${json.posts} brand posts`);
});

t.test('a spike after the warm-up trends for its brand, with its topic’s words', async (t) => {
  const file = scenario('spike', {
    spikes: [{ brand: 'Northwind Coffee', at: '70m', duration: '10m', size: 4, topic: 'outage' }],
  });
  const f = await runScenario(options(file, 17));
  t.equal(f.per_window.length, 17, 'every window read, the last one too');
  t.same(
    f.per_window.map((w) => w.index),
    Array.from({ length: 17 }, (_, i) => i),
  );
  t.equal(f.flags_in_warmup, 0);
  t.equal(f.brand_windows, 2 * 5);
  const own = f.per_window.slice(14, 16).flatMap((w) => w.trending['Northwind Coffee']!.map((x) => x.term));
  t.ok(own.includes('outage') || own.includes('#outage'), `trending: ${own.join(', ')}`);
  for (const w of f.per_window.slice(0, 14)) t.same(w.trending['Northwind Coffee'], [], `window ${w.index}`);
  for (const w of f.per_window) t.same(w.trending['Harbor Brew'], [], `Harbor Brew, window ${w.index}`);
  const spiked = f.per_window[14]!.posts['Northwind Coffee']!;
  const before = f.per_window[13]!.posts['Northwind Coffee']!;
  t.ok(spiked > 2 * before, `posts ${before} then ${spiked}`);
  for (const t0 of f.per_window[14]!.trending['Northwind Coffee']!) {
    t.ok(t0.count >= 6 && t0.count > 2 * t0.baseline, `${t0.term} ${t0.count}/${t0.baseline}`);
  }
});

t.test('stage 2’s handling: re-sent copies are dropped, late posts are not counted', async (t) => {
  const plain = await runScenario(options(scenario('plain'), 4));
  const copies = await runScenario(
    options(scenario('copies', { duplicates: { share: 0.2, maxDelay: '5s' } }), 4),
  );
  t.same(copies, { ...plain, scenario: 'copies' }, 'the same figures as without the copies');
  const late = await runScenario(
    options(scenario('late', { late: { share: 0.1, minDelay: '5m', maxDelay: '10m' } }), 4),
  );
  t.ok(
    late.posts < plain.posts * 0.95 && late.posts > plain.posts * 0.85,
    `${late.posts} of ${plain.posts} posts in time`,
  );
});
