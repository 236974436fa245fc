import t from 'tap';
import { UsageError } from '../../app/flags.js';
import { chapelleLiRates, EVAL_POLICIES, uniformRegret } from '../../app/tools/bandit-sim.js';
import { horizonsUpTo, main, type ResultRow } from '../../app/tools/eval-bandits.js';
import { runMain } from '../helpers/tools.js';

const run = (args: string[]) => runMain(main, args);

t.test('a tiny run prints the tables and one JSON line of finite, non-negative regrets', async (t) => {
  const { code, out } = await run([
    '--horizon',
    '2000',
    '--seeds',
    '2',
    '--changing-horizon',
    '2000',
    '--jobs',
    '1',
    '--pipeline-decisions',
    '300',
    '--json',
  ]);
  t.equal(code, 0);
  t.match(
    out.join('\n'),
    /Chapelle & Li \(2011\).*ε = 0\.1[\s\S]*T = 2,000[\s\S]*Lai-Robbins bound[\s\S]*Changing rates/,
  );
  const json = JSON.parse(out[out.length - 1]!);
  const labels = EVAL_POLICIES.map((p) => p.label).sort();
  t.match(json.setting, /chapelle-li/);
  t.equal(json.horizon, 2000);
  t.same(Object.keys(json.regret).sort(), labels);
  t.same(Object.keys(json.ratio).sort(), labels);
  t.ok(json.bound > 0);
  for (const label of labels) {
    t.ok(
      Number.isFinite(json.regret[label]) && json.regret[label] >= 0,
      `${label} regret ${json.regret[label]}`,
    );
    t.equal(json.ratio[label], Number((json.regret[label] / json.bound).toFixed(3)));
  }
  t.same(Object.keys(json.changing).sort(), ['garivier-moulines', 'moving-best']);
  for (const c of Object.values(json.changing) as { horizon: number; regret: Record<string, number> }[]) {
    t.equal(c.horizon, 2000);
    t.same(Object.keys(c.regret).sort(), labels);
  }
  const rows = json.results as ResultRow[];
  t.equal(
    rows.length,
    2 * 2 * labels.length + 2 * labels.length,
    'two ε × two horizons, and two changing problems',
  );
  for (const r of rows)
    t.ok(Number.isFinite(r.regret) && r.regret >= 0 && r.stderr >= 0, `${r.scenario} ${r.policy}`);
  t.ok(
    json.regret.thompson < uniformRegret(chapelleLiRates(0.1), 2000),
    `thompson ${json.regret.thompson} below playing at random`,
  );
  // the shipped scenarios' campaigns, through the embedded pipeline: every reward applied once
  const pipeline = json.pipeline as {
    campaign: string;
    policy: string;
    decisions: number;
    observations: number;
    regret: number;
  }[];
  t.same([...new Set(pipeline.map((r) => r.campaign))].sort(), ['nitro-launch', 'spring-menu']);
  t.same([...new Set(pipeline.map((r) => r.policy))].sort(), ['epsilon-greedy', 'thompson', 'ucb1']);
  for (const r of pipeline) {
    t.equal(r.decisions, 300);
    t.equal(r.observations, 300, `${r.campaign} ${r.policy}: every reward reached the arms once`);
    t.ok(Number.isFinite(r.regret) && r.regret >= 0);
  }
});

t.test('horizons are the powers of ten up to the largest', async (t) => {
  t.same(horizonsUpTo(1_000_000), [1000, 10_000, 100_000, 1_000_000]);
  t.same(horizonsUpTo(2000), [1000, 2000]);
  t.same(horizonsUpTo(500), [500]);
});

t.test('a bad command line is a usage error', async (t) => {
  await t.rejects(run(['--seeds', '0']), UsageError);
  await t.rejects(run(['--horizon', 'lots']), UsageError);
  await t.rejects(run(['--fast']), UsageError);
  const { out } = await run(['--help']);
  t.match(out[0], /usage: npm run eval:bandits/);
});
