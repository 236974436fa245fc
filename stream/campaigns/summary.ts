import { posteriorMean, type ArmStats, type Prior, type RewardKind } from '../../engines/bandits/index.js';
import type { Campaign, CampaignArms } from './store.js';

/** One arm as `GET /v1/campaigns/:id` shows it. */
export interface ArmSummary {
  arm: string;
  pulls: number;
  /** Rewards observed (including default rewards). */
  observations: number;
  reward_sum: number;
  /** The mean reward (with the arm's prior as pseudo-observations, if it has one). */
  mean: number;
  /** A 95% interval of the mean: Wilson's for binary rewards, the normal one for continuous. */
  interval: [number, number];
  /** The arm's share of the campaign's pulls. */
  share: number;
  retired: boolean;
}

export interface CampaignSummary {
  id: string;
  policy: string;
  reward: RewardKind;
  pulls: number;
  observations: number;
  /** The live arm with the highest mean (most pulls on a tie); null before any observation. */
  leader: string | null;
  arms: ArmSummary[];
}

const Z = 1.959964;

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** Wilson's 95% score interval for `s` successes in `n` trials (fractional rewards allowed). */
export function wilson(s: number, n: number): [number, number] {
  if (n <= 0) return [0, 1];
  const p = Math.min(1, Math.max(0, s / n));
  const z2 = Z * Z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function interval(kind: RewardKind, a: ArmStats, prior: Prior | undefined, mean: number): [number, number] {
  const n = a.obs.n + (prior?.n ?? 0);
  if (kind === 'binary') return wilson(mean * n, n);
  if (a.obs.n < 2) return [mean, mean];
  const variance = Math.max(0, (a.obs.sumSq - (a.obs.sum * a.obs.sum) / a.obs.n) / (a.obs.n - 1));
  const half = (Z * Math.sqrt(variance)) / Math.sqrt(n);
  return [mean - half, mean + half];
}

/** The campaign's arms as the API shows them: live arms first in their order, then retired ones. */
export function summarize(
  c: Campaign,
  arms: CampaignArms,
  priors: ReadonlyMap<string, Prior>,
): CampaignSummary {
  const byArm = new Map(arms.arms.map((a) => [a.arm, a]));
  const names = [...c.arms, ...c.retired];
  const stats = names.map(
    (arm) =>
      byArm.get(arm) ?? {
        arm,
        pulls: 0,
        obs: { n: 0, sum: 0, sumSq: 0 },
        disc: { n: 0, sum: 0, sumSq: 0, at: 0 },
      },
  );
  const pulls = stats.reduce((n, a) => n + a.pulls, 0);
  const observations = stats.reduce((n, a) => n + a.obs.n, 0);
  const live = new Set(c.arms);
  const rows = stats.map((a): ArmSummary => {
    const prior = priors.get(a.arm);
    // as the policies read it: a binary prior's mean within [0, 1]
    const mean = posteriorMean(
      a.obs,
      prior && c.reward === 'binary' ? { n: prior.n, mean: Math.min(1, Math.max(0, prior.mean)) } : prior,
    );
    const [lo, hi] = interval(c.reward, a, prior, mean);
    return {
      arm: a.arm,
      pulls: a.pulls,
      observations: a.obs.n,
      reward_sum: round(a.obs.sum),
      mean: round(mean),
      interval: [round(lo), round(hi)],
      share: pulls > 0 ? round(a.pulls / pulls) : 0,
      retired: !live.has(a.arm),
    };
  });
  let leader: ArmSummary | undefined;
  for (const r of rows) {
    if (r.retired || r.observations === 0) continue;
    if (!leader || r.mean > leader.mean || (r.mean === leader.mean && r.pulls > leader.pulls)) leader = r;
  }
  return {
    id: c.id,
    policy: c.policy,
    reward: c.reward,
    pulls,
    observations,
    leader: leader?.arm ?? null,
    arms: rows,
  };
}
