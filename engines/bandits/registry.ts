/**
 * The policies a campaign can name, their options, and the one place those options are checked.
 * `createPolicy` refuses an unknown policy, an unknown option, a value of the wrong type or out of
 * range with a RangeError that names it, so a bad campaign definition fails when it is created,
 * not at its first decision. `policyGamma` is the discount the arm store must apply for a campaign
 * (1 unless its policy forgets), the same number the policy reads its moments with.
 */
import { EpsilonGreedyPolicy } from './epsilon-greedy.js';
import type { Policy } from './policy.js';
import type { Common } from './ranking.js';
import { SegmentThompsonPolicy } from './segment-thompson.js';
import { ThompsonPolicy } from './thompson.js';
import { UcbPolicy } from './ucb1.js';

const NAMES = [
  'thompson',
  'ucb1',
  'epsilon-greedy',
  'discounted-thompson',
  'discounted-ucb',
  'segment-thompson',
] as const;

export type PolicyName = (typeof NAMES)[number];

/** Every policy a campaign can name. */
export const POLICY_NAMES: readonly string[] = NAMES;

/**
 * The discount of `discounted-thompson` and `discounted-ucb` by default: an effective memory
 * 1/(1 − γ) of 5,000 observations of the campaign. Chosen on the changing-rates problems of
 * `npm run eval:bandits` (10⁵ steps): shorter memories (0.999, 0.99) cost more between changes than
 * they save after them on the 10-arm problem, where telling 0.5 from 0.4 takes thousands of
 * observations; longer ones adapt too slowly. Tune it to how fast a campaign's rates move.
 */
export const DEFAULT_DISCOUNT = 0.9998;

interface OptionSpec {
  description: string;
  default: number;
  check: (v: number) => string | undefined;
}

export interface PolicyDescription {
  name: PolicyName;
  description: string;
  options: { name: string; default: number; description: string }[];
}

const integerAtLeast0 = (v: number) => (Number.isInteger(v) && v >= 0 ? undefined : 'an integer ≥ 0');
const unitOpen = (v: number) => (v > 0 && v <= 1 ? undefined : 'a number in (0, 1]');
const unitClosed = (v: number) => (v >= 0 && v <= 1 ? undefined : 'a number in [0, 1]');
const positive = (v: number) => (v > 0 ? undefined : 'a number > 0');
const nonNegative = (v: number) => (v >= 0 ? undefined : 'a number ≥ 0');

const minPulls = (): OptionSpec => ({
  description: 'arms with fewer pulls are chosen first, fewest first',
  default: 0,
  check: integerAtLeast0,
});
const gamma = (d: number): OptionSpec => ({
  description: 'discount per observation of the campaign, in (0, 1]; 1 never forgets',
  default: d,
  check: unitOpen,
});

const SPECS: Record<PolicyName, { description: string; options: Record<string, OptionSpec> }> = {
  thompson: {
    description: 'Thompson sampling: Beta-Bernoulli for binary rewards, normal posterior for continuous ones',
    options: { min_pulls: minPulls(), gamma: gamma(1) },
  },
  ucb1: {
    description:
      'UCB1 (Auer et al. 2002): mean plus √(2 ln t / n), scaled by the spread for continuous rewards',
    options: { min_pulls: minPulls(), gamma: gamma(1) },
  },
  'epsilon-greedy': {
    description:
      'best mean, or a uniformly random arm with probability ε (constant, or min(1, cK/(d²t)) with decay c)',
    options: {
      min_pulls: minPulls(),
      gamma: gamma(1),
      epsilon: { description: 'constant exploration probability', default: 0.1, check: unitClosed },
      decay: {
        description: "Auer et al.'s c; > 0 replaces epsilon by min(1, cK/(d²t))",
        default: 0,
        check: nonNegative,
      },
      gap: {
        description: "Auer et al.'s d, a lower bound on the best arm's lead",
        default: 0.1,
        check: positive,
      },
    },
  },
  'discounted-thompson': {
    description: 'Thompson sampling on discounted statistics, for rates that change (Raj & Kalyani 2017)',
    options: { min_pulls: minPulls(), gamma: gamma(DEFAULT_DISCOUNT) },
  },
  'discounted-ucb': {
    description: 'discounted UCB (Garivier & Moulines 2011): discounted mean plus 2√(ξ ln t / n)',
    options: {
      min_pulls: minPulls(),
      gamma: gamma(DEFAULT_DISCOUNT),
      xi: { description: 'exploration constant ξ', default: 0.6, check: positive },
    },
  },
  'segment-thompson': {
    description:
      "Thompson sampling per context segment, the arm's campaign-wide posterior as the segment's prior",
    options: {
      min_pulls: minPulls(),
      gamma: gamma(1),
      prior_strength: {
        description: 'most pseudo-observations the campaign-wide posterior lends a segment',
        default: 20,
        check: nonNegative,
      },
    },
  },
};

function isPolicyName(name: string): name is PolicyName {
  return POLICY_NAMES.includes(name);
}

/** The options of policy `name`, checked, with defaults filled in. */
export function policyOptions(name: string, options: Record<string, unknown> = {}): Record<string, number> {
  if (!isPolicyName(name))
    throw new RangeError(`unknown policy "${name}": expected one of ${POLICY_NAMES.join(', ')}`);
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new RangeError(`policy ${name}: options must be an object`);
  const specs = SPECS[name].options;
  for (const key of Object.keys(options))
    if (!Object.hasOwn(specs, key))
      throw new RangeError(
        `policy ${name}: unknown option "${key}" (it takes ${Object.keys(specs).join(', ')})`,
      );
  const out: Record<string, number> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const v = options[key];
    if (v === undefined) {
      out[key] = spec.default;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new RangeError(`policy ${name}: option ${key} must be a finite number, got ${JSON.stringify(v)}`);
    const problem = spec.check(v);
    if (problem) throw new RangeError(`policy ${name}: option ${key} must be ${problem}, got ${v}`);
    out[key] = v;
  }
  if (name === 'epsilon-greedy' && options.epsilon !== undefined && (options.decay ?? 0) !== 0)
    throw new RangeError('policy epsilon-greedy: give epsilon or decay, not both');
  return out;
}

/** A policy by name, its options checked (RangeError naming the problem). */
export function createPolicy(name: string, options: Record<string, unknown> = {}): Policy {
  const o = policyOptions(name, options);
  const common: Common = { minPulls: o.min_pulls!, gamma: o.gamma! };
  switch (name as PolicyName) {
    case 'thompson':
    case 'discounted-thompson':
      return new ThompsonPolicy(name, common);
    case 'ucb1':
      return new UcbPolicy(name, common);
    case 'discounted-ucb':
      return new UcbPolicy(name, { ...common, xi: o.xi! });
    case 'epsilon-greedy':
      return new EpsilonGreedyPolicy(name, { ...common, epsilon: o.epsilon!, decay: o.decay!, gap: o.gap! });
    case 'segment-thompson':
      return new SegmentThompsonPolicy(name, { ...common, priorStrength: o.prior_strength! });
  }
}

/** The discount the arm store must apply for a campaign with this policy: 1 unless it forgets. */
export function policyGamma(name: string, options: Record<string, unknown> = {}): number {
  return policyOptions(name, options).gamma!;
}

/** Every policy with a one-line description and its options with their defaults (for docs). */
export function describePolicies(): PolicyDescription[] {
  return NAMES.map((name) => ({
    name,
    description: SPECS[name].description,
    options: Object.entries(SPECS[name].options).map(([key, s]) => ({
      name: key,
      default: s.default,
      description: s.description,
    })),
  }));
}
