/**
 * Simulated Bernoulli bandits for `npm run eval:bandits`: a policy of the registry runs a campaign
 * through the `Bandit` engine (the policy code the server runs, the same arm arithmetic), each
 * decision rewarded at once with the chosen arm's true rate, and its regret is summed. Regret is
 * the pseudo-regret Σₜ (p*ₜ − p_{aₜ,t}) of Chapelle & Li (2011) and Lai & Robbins (1985): the
 * expected loss of each choice against the best arm of that step, free of the reward noise.
 *
 * Runs are independent, so `runAll` spreads them over worker threads (this module is also the
 * worker) when it runs compiled; from TypeScript sources (tests) it runs them in turn.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Bandit } from '../../engines/bandits/index.js';
import { Random } from '../../engines/stats/index.js';

/** A policy as a campaign names it, under a label for the tables. */
export interface PolicyRun {
  label: string;
  policy: string;
  options: Record<string, unknown>;
}

/**
 * The policies compared, as campaigns would name them. The decayed epsilon-greedy uses Auer et al.'s
 * c = 0.15 (their experiments' choice) and the default d = 0.1: the true gap when ε = 0.1, five
 * times too large when ε = 0.02 (where their bound no longer holds).
 */
export const EVAL_POLICIES: readonly PolicyRun[] = [
  { label: 'thompson', policy: 'thompson', options: {} },
  { label: 'ucb1', policy: 'ucb1', options: {} },
  { label: 'epsilon-greedy', policy: 'epsilon-greedy', options: {} },
  { label: 'epsilon-greedy-decay', policy: 'epsilon-greedy', options: { decay: 0.15 } },
  { label: 'discounted-thompson', policy: 'discounted-thompson', options: {} },
  { label: 'discounted-ucb', policy: 'discounted-ucb', options: {} },
];

/** From step `at` on (0-based), arm i pays 1 with probability `rates[i]`. */
export interface Phase {
  at: number;
  rates: number[];
}

export interface SimTask {
  /** Which result this is (the caller's key). */
  key: string;
  run: PolicyRun;
  phases: Phase[];
  /** Steps at which the cumulative regret is recorded, ascending; the last is the horizon. */
  checkpoints: number[];
  seed: number;
}

export interface SimResult {
  key: string;
  /** Cumulative regret at each checkpoint. */
  regret: number[];
}

/** Chapelle & Li's (2011) standard problem: the best arm 0.5, the other `arms` − 1 at 0.5 − ε. */
export function chapelleLiRates(epsilon: number, arms = 10): number[] {
  return Array.from({ length: arms }, (_, i) => (i === 0 ? 0.5 : 0.5 - epsilon));
}

/** A problem whose rates change, for the discounted policies. */
export interface ChangingScenario {
  name: string;
  description: string;
  phases: Phase[];
}

/**
 * Two problems with change points over `horizon` steps:
 * - `garivier-moulines`: the switching problem of Garivier & Moulines (2011, fig. 1) stretched to
 *   the horizon: rates (0.5, 0.3, 0.4), the third arm at 0.9 from 30% to 50% of the way;
 * - `moving-best`: Chapelle & Li's 10 arms (0.5 and 0.5 − ε) whose best arm moves every quarter
 *   (arm 0, 3, 6, then 9): the old best falls to 0.5 − ε as the new one rises to 0.5.
 */
export function changingScenarios(horizon: number, epsilon = 0.1): ChangingScenario[] {
  const at = (f: number) => Math.floor(f * horizon);
  return [
    {
      name: 'garivier-moulines',
      description:
        'Garivier & Moulines (2011): 3 arms (0.5, 0.3, 0.4), the third at 0.9 from 30% to 50% of the horizon',
      phases: [
        { at: 0, rates: [0.5, 0.3, 0.4] },
        { at: at(0.3), rates: [0.5, 0.3, 0.9] },
        { at: at(0.5), rates: [0.5, 0.3, 0.4] },
      ],
    },
    {
      name: 'moving-best',
      description: `10 arms (0.5 and ${0.5 - epsilon}), the best arm moving every quarter of the horizon`,
      phases: [0, 1, 2, 3].map((k) => ({
        at: at(k / 4),
        rates: Array.from({ length: 10 }, (_, i) => (i === 3 * k ? 0.5 : 0.5 - epsilon)),
      })),
    },
  ];
}

/** The expected regret of choosing uniformly at random for `horizon` steps of fixed `rates`. */
export function uniformRegret(rates: readonly number[], horizon: number): number {
  const best = Math.max(...rates);
  return (horizon * rates.reduce((s, p) => s + (best - p), 0)) / rates.length;
}

/**
 * One run. Arms are shuffled by the seed (so no policy profits from the order ties break in), the
 * environment draws from its own random source, and the policy from the Bandit's.
 */
export function simulate(task: SimTask): SimResult {
  const { run, phases, checkpoints, seed } = task;
  const k = phases[0]!.rates.length;
  const env = new Random(seed * 7919 + 17);
  const order = Array.from({ length: k }, (_, i) => i);
  for (let i = k - 1; i > 0; i--) {
    const j = env.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  // Arm "a<i>" of the campaign is arm order[i] of the problem.
  const names = order.map((_, i) => `a${i}`);
  const index = new Map(names.map((n, i) => [n, i]));
  const bandit = new Bandit({ policy: run.policy, policy_options: run.options, seed, arms: names });
  const horizon = checkpoints[checkpoints.length - 1]!;
  const regret: number[] = [];
  let rates = new Float64Array(k);
  let best = 0;
  let phase = 0;
  let total = 0;
  let next = 0;
  for (let t = 0; t < horizon; t++) {
    while (phase < phases.length && phases[phase]!.at <= t) {
      const p = phases[phase++]!.rates;
      rates = Float64Array.from(order, (o) => p[o]!);
      best = Math.max(...rates);
    }
    const arm = bandit.rank()[0]!.arm;
    const i = index.get(arm)!;
    bandit.pull(arm);
    bandit.reward(arm, env.next() < rates[i]! ? 1 : 0);
    total += best - rates[i]!;
    if (t + 1 === checkpoints[next]) {
      regret.push(total);
      next++;
    }
  }
  return { key: task.key, regret };
}

/**
 * Runs every task, on `jobs` worker threads when > 1 and this module is compiled JavaScript;
 * `done` hears of each result as it comes. Results come back in the order of `tasks`.
 */
export async function runAll(
  tasks: readonly SimTask[],
  jobs = availableParallelism(),
  done: (r: SimResult, finished: number) => void = () => {},
): Promise<SimResult[]> {
  const out = new Array<SimResult>(tasks.length);
  const workers = Math.min(jobs, tasks.length);
  if (workers <= 1 || !import.meta.url.endsWith('.js')) {
    tasks.forEach((t, i) => {
      out[i] = simulate(t);
      done(out[i]!, i + 1);
    });
    return out;
  }
  let next = 0;
  let finished = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const w = new Worker(new URL(import.meta.url), { workerData: { banditSim: true } });
      try {
        while (next < tasks.length) {
          const i = next++;
          out[i] = await new Promise<SimResult>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
            w.postMessage(tasks[i]);
          });
          w.removeAllListeners('error');
          done(out[i]!, ++finished);
        }
      } finally {
        await w.terminate();
      }
    }),
  );
  return out;
}

if (!isMainThread && (workerData as { banditSim?: boolean } | null)?.banditSim === true)
  parentPort!.on('message', (task: SimTask) => parentPort!.postMessage(simulate(task)));
