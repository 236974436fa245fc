/**
 * Evaluates the bandit policies by simulation.
 *
 *   npm run eval:bandits -- [--horizon 1000000] [--seeds N] [--changing-horizon 100000] [--jobs N] [--quick] [--json]
 *
 * The standard Bernoulli problem of Chapelle & Li, "An empirical evaluation of Thompson sampling"
 * (NIPS 2011): 10 arms, the best at 0.5 and the others at 0.5 − ε, ε = 0.1 and 0.02, rewards at
 * once. Every policy runs as a campaign naming it would (`Bandit`, the registry's policies) and its
 * cumulative regret is read at 10³, 10⁴, … up to `--horizon`, beside the Lai-Robbins lower bound
 * and its ratio to it. Then two problems whose rates change (`changingScenarios`), where the
 * discounted policies should beat the plain ones, regret taken against the best arm of each step.
 * Runs are spread over `--jobs` worker threads. Last, the shipped scenarios' campaigns (hidden
 * click rates) are replayed through the embedded pipeline (`bandit-pipeline.ts`). With --json the
 * last line is one JSON object.
 */
import { availableParallelism } from 'node:os';
import { laiRobbinsBound } from '../../engines/bandits/index.js';
import { replayThroughPipeline, scenarioCampaigns } from './bandit-pipeline.js';
import { isMain, numberFlag, parseFlags, runTool, type FlagOptions } from '../flags.js';
import {
  changingScenarios,
  chapelleLiRates,
  EVAL_POLICIES,
  runAll,
  uniformRegret,
  type Phase,
  type SimTask,
} from './bandit-sim.js';

const USAGE =
  'usage: npm run eval:bandits -- [--horizon 1000000] [--seeds 20] [--changing-horizon 100000] [--pipeline-decisions 10000] [--jobs N] [--quick] [--json]';

const OPTIONS = {
  horizon: { type: 'string' },
  seeds: { type: 'string' },
  'changing-horizon': { type: 'string' },
  jobs: { type: 'string' },
  'pipeline-decisions': { type: 'string' },
  quick: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

const EPSILONS = [0.1, 0.02];
const DEFAULTS = { horizon: 1_000_000, seeds: 20, changing: 100_000, pipeline: 10_000 };
const QUICK = { horizon: 10_000, seeds: 5, changing: 20_000, pipeline: 1000 };
/** The policies the pipeline replay runs as campaigns. */
const PIPELINE_POLICIES = ['thompson', 'ucb1', 'epsilon-greedy'];
const PROGRESS_MS = 5_000;

type Log = (line: string) => void;

/** One figure of the results: a policy's mean regret over the seeds at one horizon of one problem. */
export interface ResultRow {
  scenario: string;
  epsilon: number | null;
  horizon: number;
  policy: string;
  seeds: number;
  regret: number;
  stderr: number;
  /** The Lai-Robbins bound (stationary problems only). */
  bound: number | null;
  ratio: number | null;
}

export async function main(argv: readonly string[], log: Log = console.log, progress: Log = console.error) {
  const { values: f } = parseFlags(argv, OPTIONS);
  if (f.help) {
    log(USAGE);
    return 0;
  }
  const base = f.quick ? QUICK : DEFAULTS;
  const maxHorizon = numberFlag('horizon', f.horizon, { min: 10, integer: true }) ?? base.horizon;
  const seeds = numberFlag('seeds', f.seeds, { min: 1, integer: true }) ?? base.seeds;
  const changingHorizon =
    numberFlag('changing-horizon', f['changing-horizon'], { min: 0, integer: true }) ?? base.changing;
  const jobs = numberFlag('jobs', f.jobs, { min: 1, integer: true }) ?? availableParallelism();
  const pipelineDecisions =
    numberFlag('pipeline-decisions', f['pipeline-decisions'], { min: 0, integer: true }) ?? base.pipeline;
  const horizons = horizonsUpTo(maxHorizon);
  const changing = changingHorizon > 0 ? changingScenarios(changingHorizon) : [];

  const tasks: SimTask[] = [];
  const add = (scenario: string, phases: Phase[], checkpoints: number[]) => {
    for (const run of EVAL_POLICIES)
      for (let s = 0; s < seeds; s++)
        tasks.push({ key: `${scenario}|${run.label}`, run, phases, checkpoints, seed: 1 + s });
  };
  for (const e of EPSILONS) add(`standard ${e}`, [{ at: 0, rates: chapelleLiRates(e) }], horizons);
  for (const c of changing) add(c.name, c.phases, [changingHorizon]);

  const started = Date.now();
  let shown = started;
  progress(
    `eval-bandits: ${tasks.length} runs (${seeds} seeds, horizon ${fmt(maxHorizon)}, changing rates ${fmt(changingHorizon)}) on ${Math.min(jobs, tasks.length)} threads`,
  );
  const results = await runAll(tasks, jobs, (_, done) => {
    if (Date.now() - shown < PROGRESS_MS) return;
    shown = Date.now();
    progress(`eval-bandits: ${done}/${tasks.length} runs, ${((shown - started) / 1000).toFixed(0)} s`);
  });
  const byKey = new Map<string, number[][]>();
  for (const r of results) {
    const list = byKey.get(r.key) ?? [];
    list.push(r.regret);
    byKey.set(r.key, list);
  }
  const rows: ResultRow[] = [];
  const lines: string[] = [];
  for (const e of EPSILONS) {
    const rates = chapelleLiRates(e);
    lines.push(
      `Chapelle & Li (2011): 10 Bernoulli arms, best 0.5, the others ${0.5 - e} (ε = ${e}); ${seeds} seeds`,
      'mean cumulative regret ± standard error (ratio to the Lai-Robbins lower bound)',
    );
    const table: string[][] = [['policy', ...horizons.map((h) => `T = ${fmt(h)}`)]];
    table.push(['Lai-Robbins bound', ...horizons.map((h) => laiRobbinsBound(rates, h).toFixed(1))]);
    table.push(['uniform random', ...horizons.map((h) => uniformRegret(rates, h).toFixed(1))]);
    for (const run of EVAL_POLICIES) {
      const runs = byKey.get(`standard ${e}|${run.label}`)!;
      const cells = horizons.map((h, i) => {
        const { mean, se } = meanSe(runs.map((r) => r[i]!));
        const bound = laiRobbinsBound(rates, h);
        rows.push({
          scenario: 'chapelle-li',
          epsilon: e,
          horizon: h,
          policy: run.label,
          seeds,
          regret: round(mean),
          stderr: round(se),
          bound: round(bound),
          ratio: round(mean / bound, 3),
        });
        return `${mean.toFixed(1)} ± ${se.toFixed(1)} (${(mean / bound).toFixed(2)})`;
      });
      table.push([run.label, ...cells]);
    }
    lines.push(...columns(table), '');
  }
  for (const c of changing) {
    lines.push(
      `Changing rates, ${c.description}; horizon ${fmt(changingHorizon)}, ${seeds} seeds`,
      'regret against the best arm of each step, mean ± standard error',
    );
    const table: string[][] = [['policy', 'regret']];
    const mean = new Map<string, number>();
    for (const run of EVAL_POLICIES) {
      const { mean: m, se } = meanSe(byKey.get(`${c.name}|${run.label}`)!.map((r) => r[0]!));
      mean.set(run.label, m);
      rows.push({
        scenario: c.name,
        epsilon: null,
        horizon: changingHorizon,
        policy: run.label,
        seeds,
        regret: round(m),
        stderr: round(se),
        bound: null,
        ratio: null,
      });
      table.push([run.label, `${m.toFixed(1)} ± ${se.toFixed(1)}`]);
    }
    lines.push(...columns(table));
    for (const [plain, disc] of [
      ['thompson', 'discounted-thompson'],
      ['ucb1', 'discounted-ucb'],
    ] as const) {
      const p = mean.get(plain)!;
      const d = mean.get(disc)!;
      lines.push(
        `  ${disc} ${d < p ? 'beats' : 'does not beat'} ${plain}: ${d.toFixed(1)} vs ${p.toFixed(1)}`,
      );
    }
    lines.push('');
  }
  const pipeline =
    pipelineDecisions > 0
      ? await replayThroughPipeline({
          campaigns: await scenarioCampaigns(),
          policies: PIPELINE_POLICIES,
          decisions: pipelineDecisions,
          seed: 1,
          progress,
        })
      : [];
  if (pipeline.length > 0) {
    lines.push(
      `The shipped scenarios' campaigns through the embedded pipeline: ${fmt(pipelineDecisions)} decisions each over HTTP, rewards (clicks drawn from the hidden rates) as stream feedback`,
      'regret = expected clicks lost against the best arm; the scenario traffic itself rotates the arms',
    );
    const table: string[][] = [
      ['campaign', 'policy', 'regret', 'rotation', 'best-arm share', 'leader', 'rewards applied'],
    ];
    for (const r of pipeline)
      table.push([
        `${r.scenario}/${r.campaign}`,
        r.policy,
        r.regret.toFixed(1),
        r.uniform_regret.toFixed(1),
        r.best_share.toFixed(3),
        `${r.leader ?? '—'}${r.leader === r.best ? ' (best)' : ''}`,
        `${r.observations}/${r.decisions}`,
      ]);
    lines.push(...columns(table), '');
  }
  const seconds = (Date.now() - started) / 1000;
  lines.push(`${tasks.length} runs in ${seconds.toFixed(1)} s`);
  for (const l of lines) log(l);
  if (f.json)
    log(
      JSON.stringify({
        ...summary(
          rows,
          maxHorizon,
          seeds,
          changing.map((c) => c.name),
          seconds,
        ),
        pipeline,
      }),
    );
  return 0;
}

/** 10³, 10⁴, … below `max`, then `max` (or `max` alone below 10³). */
export function horizonsUpTo(max: number): number[] {
  const out: number[] = [];
  for (let h = 1000; h < max; h *= 10) out.push(h);
  out.push(max);
  return out;
}

function summary(rows: ResultRow[], horizon: number, seeds: number, changing: string[], seconds: number) {
  const headline = rows.filter(
    (r) => r.scenario === 'chapelle-li' && r.epsilon === 0.1 && r.horizon === horizon,
  );
  const per = (list: ResultRow[], field: 'regret' | 'stderr' | 'ratio') =>
    Object.fromEntries(list.map((r) => [r.policy, r[field]]));
  return {
    setting: `chapelle-li-2011: 10 Bernoulli arms, best 0.5, others 0.4 (epsilon 0.1), horizon ${horizon}`,
    horizon,
    seeds,
    regret: per(headline, 'regret'),
    stderr: per(headline, 'stderr'),
    bound: headline[0]?.bound ?? null,
    ratio: per(headline, 'ratio'),
    changing: Object.fromEntries(
      changing.map((name) => {
        const list = rows.filter((r) => r.scenario === name);
        return [
          name,
          { horizon: list[0]?.horizon ?? 0, regret: per(list, 'regret'), stderr: per(list, 'stderr') },
        ];
      }),
    ),
    results: rows,
    seconds: round(seconds, 1),
  };
}

function meanSe(xs: number[]): { mean: number; se: number } {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { mean, se: 0 };
  const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(v / n) };
}

function columns(table: string[][]): string[] {
  const widths = table[0]!.map((_, j) => Math.max(...table.map((r) => r[j]!.length)));
  return table.map(
    (r) => '  ' + r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('   '),
  );
}

const fmt = (n: number) => n.toLocaleString('en-US');
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

if (isMain(import.meta.url)) runTool('eval-bandits', USAGE, () => main(process.argv.slice(2)));
