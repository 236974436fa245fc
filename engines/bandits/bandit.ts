/**
 * One campaign in memory: its arms and their statistics (campaign-wide and per segment of the
 * context), their priors, a policy and a seeded random source. The same arithmetic as every arm
 * store (`recordPull`, `recordReward` on the campaign clock) and the same `Policy.rank`, so a
 * simulation through it (`npm run eval:bandits`) measures the policies the server runs.
 * `snapshot()` is plain JSON; `restore(snapshot())` continues exactly as the original would,
 * random draws included.
 */
import { Random } from '../stats/random.js';
import type { Policy, Ranked, RewardKind } from './policy.js';
import { createPolicy, policyGamma } from './registry.js';
import {
  emptyArm,
  recordPull,
  recordReward,
  type ArmStats,
  type ArmView,
  type CampaignView,
  type Prior,
} from './stats.js';

export interface BanditOptions {
  /** A name of POLICY_NAMES. */
  policy: string;
  policy_options?: Record<string, unknown>;
  /** Default 'binary'. */
  reward?: RewardKind;
  arms?: readonly string[];
  seed?: number;
}

export interface BanditSnapshot {
  version: 1;
  policy: string;
  policy_options: Record<string, unknown>;
  reward: RewardKind;
  clock: number;
  /** Live arms, in the order they were added. */
  arms: ArmStats[];
  retired: ArmStats[];
  priors: Record<string, Prior>;
  /** Per segment, the statistics of the arms pulled or rewarded in it. */
  segments: Record<string, ArmStats[]>;
  segment_priors: Record<string, Record<string, Prior>>;
  rng: number;
}

export class Bandit {
  private policy!: Policy;
  private policyOptions: Record<string, unknown> = {};
  private rewardKind: RewardKind = 'binary';
  private discount = 1;
  private clockValue = 0;
  /** Live and retired arms; a live arm's entry is its ArmView (statistics plus prior). */
  private readonly stats = new Map<string, ArmView>();
  private live: ArmView[] = [];
  private readonly segments = new Map<string, Map<string, ArmStats>>();
  private readonly segmentPriors = new Map<string, Map<string, Prior>>();
  private readonly rng: Random;
  /** The view `rank()` hands the policy without a segment: the live entries themselves. */
  private readonly liveView: { clock: number; arms: ArmView[] } = { clock: 0, arms: [] };

  constructor(o: BanditOptions) {
    this.rng = new Random(o.seed ?? 1);
    this.setPolicy(o.policy, o.policy_options ?? {}, o.reward ?? 'binary');
    for (const arm of o.arms ?? []) this.add(arm);
  }

  static fromSnapshot(s: BanditSnapshot): Bandit {
    const b = new Bandit({ policy: s.policy, policy_options: s.policy_options, reward: s.reward });
    b.restore(s);
    return b;
  }

  get policyName(): string {
    return this.policy.name;
  }
  /** The discount of the arm statistics (1 unless the policy forgets). */
  get gamma(): number {
    return this.discount;
  }
  /** The campaign's number of observations. */
  get clock(): number {
    return this.clockValue;
  }
  get arms(): string[] {
    return this.live.map((a) => a.arm);
  }
  get retired(): string[] {
    return [...this.stats.values()].filter((a) => !this.live.includes(a)).map((a) => a.arm);
  }

  /** Adds a live arm (a no-op for a live one); a retired arm stays retired (RangeError). */
  add(arm: string, prior?: Prior): void {
    const known = this.stats.get(arm);
    if (known && !this.live.includes(known)) throw new RangeError(`arm "${arm}" is retired`);
    if (!known) {
      const a: ArmView = emptyArm(arm);
      this.stats.set(arm, a);
      this.live = [...this.live, a];
    }
    if (prior) this.setPrior(arm, prior);
  }

  /** Takes an arm out of play: never ranked again, its statistics (and late rewards) kept. */
  retire(arm: string): void {
    this.known(arm);
    this.live = this.live.filter((a) => a.arm !== arm);
  }

  /** The arm's prior, campaign-wide or in `segment`; undefined removes it. */
  setPrior(arm: string, prior: Prior | undefined, segment?: string): void {
    const a = this.known(arm);
    if (prior && !(prior.n >= 0 && Number.isFinite(prior.n) && Number.isFinite(prior.mean)))
      throw new RangeError(`prior of "${arm}": n must be a finite number ≥ 0 and mean finite`);
    const copy = prior && { n: prior.n, mean: prior.mean };
    if (segment === undefined) {
      if (copy) a.prior = copy;
      else delete a.prior;
      return;
    }
    let m = this.segmentPriors.get(segment);
    if (!m) this.segmentPriors.set(segment, (m = new Map()));
    if (copy) m.set(arm, copy);
    else m.delete(arm);
  }

  /** Every live arm once, the policy's choice first. */
  rank(segment?: string): Ranked[] {
    if (segment === undefined) {
      this.liveView.clock = this.clockValue;
      this.liveView.arms = this.live;
      return this.policy.rank({ view: this.liveView, reward: this.rewardKind, rng: this.rng });
    }
    return this.policy.rank({ view: this.segmentView(segment), reward: this.rewardKind, rng: this.rng });
  }

  /** A decision chose `arm` (in `segment`). */
  pull(arm: string, segment?: string): void {
    const a = this.known(arm);
    if (!this.live.includes(a)) throw new RangeError(`arm "${arm}" is retired`);
    recordPull(a);
    if (segment !== undefined) recordPull(this.segmentStats(segment, arm));
  }

  /** A reward observed for `arm` (in `segment`); retired arms still take rewards of earlier decisions. */
  reward(arm: string, value: number, segment?: string): void {
    const a = this.known(arm);
    if (!Number.isFinite(value)) throw new RangeError(`reward for "${arm}" must be a finite number`);
    if (this.rewardKind === 'binary' && (value < 0 || value > 1))
      throw new RangeError(`binary reward for "${arm}" must be in [0, 1], got ${value}`);
    recordReward(a, value, this.clockValue, this.discount);
    if (segment !== undefined)
      recordReward(this.segmentStats(segment, arm), value, this.clockValue, this.discount);
    this.clockValue += 1;
  }

  /** What the policy ranks (a copy): live arms with priors, and their statistics in `segment`. */
  view(segment?: string): CampaignView {
    const v = segment === undefined ? { clock: this.clockValue, arms: this.live } : this.segmentView(segment);
    return structuredClone(v);
  }

  /** An arm's statistics (a copy), campaign-wide or in `segment`. */
  statsOf(arm: string, segment?: string): ArmStats | undefined {
    const a = segment === undefined ? this.stats.get(arm) : this.segments.get(segment)?.get(arm);
    return a && structuredClone({ arm: a.arm, pulls: a.pulls, obs: a.obs, disc: a.disc });
  }

  snapshot(): BanditSnapshot {
    const plain = (a: ArmStats): ArmStats =>
      structuredClone({ arm: a.arm, pulls: a.pulls, obs: a.obs, disc: a.disc });
    const priors: Record<string, Prior> = {};
    for (const a of this.stats.values()) if (a.prior) priors[a.arm] = { ...a.prior };
    return {
      version: 1,
      policy: this.policy.name,
      policy_options: structuredClone(this.policyOptions),
      reward: this.rewardKind,
      clock: this.clockValue,
      arms: this.live.map(plain),
      retired: [...this.stats.values()].filter((a) => !this.live.includes(a)).map(plain),
      priors,
      segments: Object.fromEntries([...this.segments].map(([s, m]) => [s, [...m.values()].map(plain)])),
      segment_priors: Object.fromEntries(
        [...this.segmentPriors].map(([s, m]) => [
          s,
          Object.fromEntries([...m].map(([k, p]) => [k, { ...p }])),
        ]),
      ),
      rng: this.rng.snapshot(),
    };
  }

  restore(s: BanditSnapshot): void {
    if (s?.version !== 1) throw new RangeError(`unsupported bandit snapshot version ${String(s?.version)}`);
    this.setPolicy(s.policy, s.policy_options, s.reward);
    this.clockValue = s.clock;
    this.stats.clear();
    this.segments.clear();
    this.segmentPriors.clear();
    const entry = (a: ArmStats): ArmView => {
      const e: ArmView = structuredClone({ arm: a.arm, pulls: a.pulls, obs: a.obs, disc: a.disc });
      const p = s.priors[a.arm];
      if (p) e.prior = { n: p.n, mean: p.mean };
      this.stats.set(a.arm, e);
      return e;
    };
    this.live = s.arms.map(entry);
    s.retired.forEach(entry);
    for (const [seg, arms] of Object.entries(s.segments))
      this.segments.set(seg, new Map(arms.map((a) => [a.arm, structuredClone(a)])));
    for (const [seg, priors] of Object.entries(s.segment_priors))
      this.segmentPriors.set(
        seg,
        new Map(Object.entries(priors).map(([k, p]) => [k, { n: p.n, mean: p.mean }])),
      );
    this.rng.restore(s.rng);
  }

  private setPolicy(name: string, options: Record<string, unknown>, reward: RewardKind): void {
    if (reward !== 'binary' && reward !== 'continuous')
      throw new RangeError(`reward must be binary or continuous, got ${String(reward)}`);
    this.policy = createPolicy(name, options);
    this.discount = policyGamma(name, options);
    this.policyOptions = structuredClone(options);
    this.rewardKind = reward;
  }

  private known(arm: string): ArmView {
    const a = this.stats.get(arm);
    if (!a) throw new RangeError(`unknown arm "${arm}"`);
    return a;
  }

  private segmentStats(segment: string, arm: string): ArmStats {
    let m = this.segments.get(segment);
    if (!m) this.segments.set(segment, (m = new Map()));
    let a = m.get(arm);
    if (!a) m.set(arm, (a = emptyArm(arm)));
    return a;
  }

  private segmentView(segment: string): CampaignView {
    const stats = this.segments.get(segment);
    const priors = this.segmentPriors.get(segment);
    return {
      clock: this.clockValue,
      arms: this.live.map((a) => {
        const v: ArmView = { ...a, segment: stats?.get(a.arm) ?? emptyArm(a.arm) };
        const p = priors?.get(a.arm);
        if (p) v.segmentPrior = p;
        return v;
      }),
    };
  }
}
