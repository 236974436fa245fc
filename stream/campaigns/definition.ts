import { createPolicy, POLICY_NAMES, type RewardKind } from '../../engines/bandits/index.js';
import { PipelineError } from '../model/errors.js';
import type { Campaign, Costs } from './store.js';

/** A campaign as `POST /v1/campaigns` and `PUT /v1/campaigns/:id` take it (the API's schema checks the types). */
export interface CampaignInput {
  id?: string;
  arms: string[];
  policy?: string;
  policy_options?: Record<string, unknown>;
  reward?: RewardKind;
  default_reward?: { value: number; after_ms: number } | null;
  decision_ttl_ms?: number;
  /** Which feedback kind from the stream rewards a binary campaign's decision (default click). */
  reward_on?: 'click' | 'conversion';
  costs?: Costs;
  arm_costs?: Record<string, Costs>;
  arm_features?: Record<string, Record<string, number>>;
}

export const MAX_ARMS = 100;
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** Decisions take rewards for a day by default (without a default reward). */
export const DEFAULT_DECISION_TTL_MS = 24 * 3600_000;

function invalid(message: string): never {
  throw new PipelineError('INVALID_CAMPAIGN', message);
}

/**
 * The largest continuous reward, either sign: far above any revenue or duration, and small enough
 * that sums of squares over any number of observations stay finite (a reward of 1e200 made an
 * arm's variance Infinity, its scores NaN, and the campaign unreadable).
 */
export const MAX_CONTINUOUS_REWARD = 1e15;

/** Checks a reward value against the campaign's kind; the message names the range. */
export function rewardInRange(kind: RewardKind, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  return kind === 'continuous' ? Math.abs(value) <= MAX_CONTINUOUS_REWARD : value >= 0 && value <= 1;
}

/**
 * The largest cost or arm feature, either sign: ROI multiplies costs by counts and the ROI model
 * squares features, and larger numbers made them Infinity − Infinity (NaN), so GET …/roi failed.
 */
export const MAX_COST_OR_FEATURE = 1e15;

function checkCosts(where: string, c: Costs | undefined): void {
  if (!c) return;
  for (const [k, v] of Object.entries(c))
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_COST_OR_FEATURE)
      invalid(`${where}.${k} must be a number from 0 to ${MAX_COST_OR_FEATURE}`);
}

/**
 * A campaign from its input: checked (arms, policy and its options, rewards, costs), with what the
 * server adds. `previous`: the stored campaign a PUT replaces; its arms missing from the new list
 * are retired (they keep their statistics and are never chosen again), and a retired arm listed
 * again comes back; every other field left out keeps its value (`policy_options` as long as the
 * policy stays; `default_reward: null` removes it). Throws PipelineError INVALID_CAMPAIGN naming
 * the problem.
 */
export function campaignFrom(id: string, input: CampaignInput, now: number, previous?: Campaign): Campaign {
  if (!ID_PATTERN.test(id))
    invalid(`id "${id}": 1 to 100 letters, digits and . _ : - (starting with a letter or digit)`);
  const arms = input.arms;
  if (!Array.isArray(arms) || arms.length === 0) invalid('arms: at least one arm is needed');
  if (arms.length > MAX_ARMS) invalid(`arms: at most ${MAX_ARMS}`);
  const seen = new Set<string>();
  for (const a of arms) {
    if (typeof a !== 'string' || !ID_PATTERN.test(a))
      invalid(`arm "${String(a)}": 1 to 100 letters, digits and . _ : -`);
    if (seen.has(a)) invalid(`arm "${a}" is listed twice`);
    seen.add(a);
  }
  const policy = input.policy ?? previous?.policy ?? 'thompson';
  // Left out, the options stay with their policy; another policy starts from its own defaults.
  const options = input.policy_options ?? (policy === previous?.policy ? previous.policy_options : {});
  if (!POLICY_NAMES.includes(policy)) invalid(`policy "${policy}": choose from ${POLICY_NAMES.join(', ')}`);
  try {
    createPolicy(policy, options);
  } catch (err) {
    invalid(`policy_options: ${(err as Error).message}`);
  }
  const reward = input.reward ?? previous?.reward ?? 'binary';
  if (previous && reward !== previous.reward)
    invalid(
      `reward: a campaign's reward kind cannot change (it is ${previous.reward}); create a new campaign`,
    );
  const def =
    input.default_reward === undefined ? previous?.default_reward : (input.default_reward ?? undefined);
  if (def) {
    if (!rewardInRange(reward, def.value))
      invalid(`default_reward.value ${def.value} is out of range for ${reward} rewards`);
    if (!Number.isInteger(def.after_ms) || def.after_ms < 1 || def.after_ms > 30 * 24 * 3600_000)
      invalid('default_reward.after_ms must be a whole number of ms from 1 to 30 days');
  }
  const ttl = input.decision_ttl_ms ?? previous?.decision_ttl_ms ?? DEFAULT_DECISION_TTL_MS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 30 * 24 * 3600_000)
    invalid('decision_ttl_ms must be a whole number of ms from 1 to 30 days');
  checkCosts('costs', input.costs);
  // Costs and features name the campaign's arms (retired ones included): another name is a typo.
  const known = new Set([...arms, ...(previous ? [...previous.arms, ...previous.retired] : [])]);
  const checkArm = (field: string, arm: string) => {
    if (!known.has(arm)) invalid(`${field}.${arm}: no such arm in this campaign`);
  };
  for (const [arm, c] of Object.entries(input.arm_costs ?? {})) {
    checkArm('arm_costs', arm);
    checkCosts(`arm_costs.${arm}`, c);
  }
  for (const [arm, f] of Object.entries(input.arm_features ?? {})) {
    checkArm('arm_features', arm);
    for (const [k, v] of Object.entries(f))
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > MAX_COST_OR_FEATURE)
        invalid(
          `arm_features.${arm}.${k} must be a number from -${MAX_COST_OR_FEATURE} to ${MAX_COST_OR_FEATURE}`,
        );
  }
  const retired = new Set(previous ? [...previous.retired, ...previous.arms] : []);
  for (const a of arms) retired.delete(a);
  const costs = input.costs ?? previous?.costs;
  const armCosts = input.arm_costs ?? previous?.arm_costs;
  const armFeatures = input.arm_features ?? previous?.arm_features;
  const rewardOn = input.reward_on ?? previous?.reward_on;
  return {
    id,
    arms: [...arms],
    retired: [...retired],
    policy,
    policy_options: options,
    reward,
    ...(def && { default_reward: { value: def.value, after_ms: def.after_ms } }),
    decision_ttl_ms: ttl,
    ...(rewardOn && { reward_on: rewardOn }),
    ...(costs && { costs }),
    ...(armCosts && { arm_costs: armCosts }),
    ...(armFeatures && { arm_features: armFeatures }),
    created_at: previous?.created_at ?? now,
    updated_at: now,
  };
}

/** How long a decision of the campaign takes rewards. */
export function decisionLifetime(c: Campaign): number {
  return c.default_reward?.after_ms ?? c.decision_ttl_ms;
}
