import {
  discountedAt,
  emptyArm,
  recordPull,
  recordReward,
  type ArmStats,
} from '../../engines/bandits/index.js';
import { checkPriors, comparePriors, priorField } from './priors.js';
import {
  byId,
  checkDecision,
  checkFeedback,
  checkFinite,
  decisionKeptMs,
  DEFAULT_DECISION_RETENTION_MS,
  dueMember,
  type Campaign,
  type CampaignArms,
  type CampaignStore,
  type DecisionRecord,
  type FeedbackUpdate,
  type PriorEntry,
  type RewardOutcome,
} from './store.js';

export interface MemoryCampaignStoreOptions {
  /** How long a decision is kept after it expires, and a feedback key after it came (ms). */
  retentionMs?: number;
  /** The wall clock (ms) for retention, and `now` of `feedback` when not given. */
  now?: () => number;
  /**
   * Decisions held at most (default MEMORY_MAX_DECISIONS); past it the oldest go first, before their
   * retention: a reward for one is then refused as unknown (404), or expired (410) past its lifetime,
   * and its stream feedback dropped (see FeedbackUpdate.own).
   */
  maxDecisions?: number;
  /** Feedback keys held at most (default MEMORY_MAX_FEEDBACK_KEYS); past it the oldest are forgotten first. */
  maxFeedbackKeys?: number;
}

/** About 400 MB of decisions: 14 hours of 20 decisions a second (the demo's campaign). */
export const MEMORY_MAX_DECISIONS = 1_000_000;
/** About 200 MB of feedback keys. */
export const MEMORY_MAX_FEEDBACK_KEYS = 2_000_000;

/**
 * A credit: `value` added to an observation counted before (an impression counted as 0 turned into
 * a click), at the campaign clock `clock`: the moments' sums grow, their counts do not, and the
 * clock does not move. Credits are binary rewards (a click), so a sum never passes its count: a
 * credit adds at most what is left (none for a click whose impression was never counted, as one
 * sent before its campaign existed), and the discounted sum at most what the impressions still
 * weigh. RedisCampaignStore's Lua does the same arithmetic.
 */
export function recordCredit(a: ArmStats, value: number, clock: number, gamma: number): void {
  const c = creditWithin(value, a.obs.n - a.obs.sum);
  a.obs.sum += c;
  a.obs.sumSq += c * c;
  const d = discountedAt(a.disc, gamma, clock);
  const cd = creditWithin(value, d.n - d.sum);
  a.disc = { n: d.n, sum: d.sum + cd, sumSq: d.sumSq + cd * cd, at: clock };
}

/** What a credit of `value` adds where `room` is left of the count: at most that, and never below 0. */
function creditWithin(value: number, room: number): number {
  const c = Math.min(value, room);
  return c > 0 ? c : 0;
}

interface CampaignState {
  /** Observations so far: the clock of discounting. */
  clock: number;
  arms: Map<string, ArmStats>;
  /** By `priorField(segment, arm)`. */
  segments: Map<string, ArmStats>;
  priors: Map<string, PriorEntry>;
}

interface StoredDecision {
  record: DecisionRecord;
  field: string | undefined;
  rewarded: boolean;
  /** Wall-clock time (ms) after which it is dropped. */
  dropAt: number;
}

interface Due {
  at: number;
  member: string;
  id: string;
}

/**
 * The embedded default's campaign state, in this process: the same semantics as the Redis store,
 * each operation synchronous (so atomic). Expired decisions and feedback keys are swept at most
 * once a minute, so memory follows the decision rate over the retention.
 */
export class MemoryCampaignStore implements CampaignStore {
  readonly kind = 'memory';
  private readonly campaigns = new Map<string, Campaign>();
  private readonly states = new Map<string, CampaignState>();
  private readonly decisions = new Map<string, StoredDecision>();
  /** Decision ids with a default reward still to apply, and the heap that orders them. */
  private readonly dueIds = new Set<string>();
  private readonly due = new DueHeap();
  /** Feedback key → wall-clock time (ms) it is forgotten. */
  private readonly seen = new Map<string, number>();
  private readonly retentionMs: number;
  private readonly now: () => number;
  private readonly maxDecisions: number;
  private readonly maxFeedbackKeys: number;
  private nextSweep = 0;

  constructor(o: MemoryCampaignStoreOptions = {}) {
    this.retentionMs = o.retentionMs ?? DEFAULT_DECISION_RETENTION_MS;
    this.now = o.now ?? Date.now;
    this.maxDecisions = atLeastOne('maxDecisions', o.maxDecisions ?? MEMORY_MAX_DECISIONS);
    this.maxFeedbackKeys = atLeastOne('maxFeedbackKeys', o.maxFeedbackKeys ?? MEMORY_MAX_FEEDBACK_KEYS);
  }

  /** Counts creates and updates: definitionsVersion. */
  private definitions = 0;

  async create(c: Campaign): Promise<boolean> {
    if (this.campaigns.has(c.id)) return false;
    this.campaigns.set(c.id, structuredClone(c));
    this.definitions++;
    return true;
  }

  async update(c: Campaign, previous?: Campaign): Promise<boolean> {
    const stored = this.campaigns.get(c.id);
    if (!stored) return false;
    if (previous && JSON.stringify(stored) !== JSON.stringify(previous)) return false;
    this.campaigns.set(c.id, structuredClone(c));
    this.definitions++;
    return true;
  }

  async definitionsVersion(): Promise<number> {
    return this.definitions;
  }

  async get(id: string): Promise<Campaign | undefined> {
    const c = this.campaigns.get(id);
    return c && structuredClone(c);
  }

  async list(): Promise<Campaign[]> {
    return [...this.campaigns.values()].sort(byId).map((c) => structuredClone(c));
  }

  async arms(campaign: string, segments?: readonly string[]): Promise<CampaignArms> {
    const s = this.states.get(campaign);
    const out: CampaignArms = { clock: s?.clock ?? 0, arms: s ? [...s.arms.values()].map(copyArm) : [] };
    if (segments) {
      out.segments = {};
      for (const seg of segments) {
        const list: ArmStats[] = [];
        for (const arm of s?.arms.keys() ?? []) {
          const a = s!.segments.get(priorField(seg, arm));
          if (a) list.push(copyArm(a));
        }
        out.segments[seg] = list;
      }
    }
    return out;
  }

  async decide(d: DecisionRecord): Promise<void> {
    checkDecision(d);
    const now = this.now();
    this.sweep(now);
    const s = this.state(d.campaign);
    const field = d.segment === undefined ? undefined : priorField(d.segment, d.arm);
    recordPull(armIn(s.arms, d.arm, d.arm));
    if (field !== undefined) recordPull(armIn(s.segments, field, d.arm));
    this.decisions.set(d.id, {
      record: structuredClone(d),
      field,
      rewarded: false,
      dropAt: now + decisionKeptMs(d, this.retentionMs),
    });
    // bounded memory: the oldest decisions go first (a Map iterates in the order of insertion)
    for (const id of this.decisions.keys()) {
      if (this.decisions.size <= this.maxDecisions) break;
      this.decisions.delete(id);
      this.dueIds.delete(id);
    }
    if (d.default_value !== undefined) {
      this.dueIds.add(d.id);
      this.due.push({ at: d.expires_at, member: dueMember(d.campaign, d.id), id: d.id });
    }
  }

  async reward(
    campaign: string,
    decisionId: string,
    value: number,
    now: number,
    gamma: number,
  ): Promise<RewardOutcome> {
    checkFinite('a reward', value);
    const d = this.decisions.get(decisionId);
    if (!d || d.record.campaign !== campaign) return { status: 'unknown' };
    if (now > d.record.expires_at) return { status: 'expired' };
    if (d.rewarded) return { status: 'duplicate' };
    return this.apply(d, value, gamma);
  }

  async feedback(
    updates: readonly FeedbackUpdate[],
    gamma: (campaign: string) => number,
    now = this.now(),
  ): Promise<number> {
    checkFeedback(updates);
    const wall = this.now();
    this.sweep(wall);
    let gone = 0;
    for (const u of updates) {
      const forget = this.seen.get(u.key);
      if (forget !== undefined && forget > wall) continue;
      this.seen.set(u.key, wall + this.retentionMs);
      if (this.seen.size > this.maxFeedbackKeys) this.seen.delete(this.seen.keys().next().value!);
      const d = u.decision_id === undefined ? undefined : this.decisions.get(u.decision_id);
      const known = d !== undefined && d.record.campaign === u.campaign;
      if (!known && u.own) {
        gone++;
        continue;
      }
      const g = gamma(u.campaign);
      if (u.kind === 'pull' || u.kind === 'impression') {
        if (known) continue;
        const s = this.state(u.campaign);
        const a = armIn(s.arms, u.arm, u.arm);
        recordPull(a);
        if (u.kind === 'impression') recordReward(a, 0, s.clock++, g);
      } else if (known) {
        if (!d.rewarded && Math.min(u.ts ?? now, now) <= d.record.expires_at) this.apply(d, u.value, g);
      } else {
        const s = this.state(u.campaign);
        const a = armIn(s.arms, u.arm, u.arm);
        if (u.kind === 'reward') recordReward(a, u.value, s.clock++, g);
        else recordCredit(a, u.value, s.clock, g);
      }
    }
    return gone;
  }

  async applyDefaults(
    now: number,
    limit: number,
    gamma: (campaign: string) => number,
  ): Promise<DecisionRecord[]> {
    const out: DecisionRecord[] = [];
    let claimed = 0;
    while (claimed < limit) {
      const top = this.due.peek();
      if (!top || top.at > now) break;
      this.due.pop();
      // Rewarded meanwhile: no longer due (Redis removes it from the set then).
      if (!this.dueIds.delete(top.id)) continue;
      claimed++;
      const d = this.decisions.get(top.id);
      if (!d || d.rewarded || d.record.default_value === undefined) continue;
      this.apply(d, d.record.default_value, gamma(d.record.campaign));
      out.push(structuredClone(d.record));
    }
    return out;
  }

  async setPriors(campaign: string, priors: readonly PriorEntry[]): Promise<void> {
    checkPriors(priors);
    const s = this.state(campaign);
    for (const p of priors) s.priors.set(priorField(p.segment, p.arm), { ...p });
  }

  async priors(campaign: string): Promise<PriorEntry[]> {
    const s = this.states.get(campaign);
    return s ? [...s.priors.values()].map((p) => ({ ...p })).sort(comparePriors) : [];
  }

  async close(): Promise<void> {}

  private state(campaign: string): CampaignState {
    let s = this.states.get(campaign);
    if (!s) {
      s = { clock: 0, arms: new Map(), segments: new Map(), priors: new Map() };
      this.states.set(campaign, s);
    }
    return s;
  }

  /** The reward of a stored, unrewarded decision: as the Lua `apply` of the Redis store. */
  private apply(d: StoredDecision, value: number, gamma: number): RewardOutcome {
    d.rewarded = true;
    this.dueIds.delete(d.record.id);
    const s = this.state(d.record.campaign);
    const clock = s.clock++;
    const a = armIn(s.arms, d.record.arm, d.record.arm);
    recordReward(a, value, clock, gamma);
    if (d.field !== undefined) recordReward(armIn(s.segments, d.field, d.record.arm), value, clock, gamma);
    return { status: 'applied', arm: copyArm(a), clock: s.clock };
  }

  /** At most once a minute: drops decisions past their retention, and forgotten feedback keys. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 60_000;
    for (const [id, d] of this.decisions)
      if (d.dropAt <= now) {
        this.decisions.delete(id);
        this.dueIds.delete(id);
      }
    for (const [k, forget] of this.seen) if (forget <= now) this.seen.delete(k);
  }
}

function atLeastOne(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1)
    throw new RangeError(`MemoryCampaignStore: ${name} must be an integer >= 1 (got ${v})`);
  return v;
}

function armIn(m: Map<string, ArmStats>, key: string, arm: string): ArmStats {
  let a = m.get(key);
  if (!a) m.set(key, (a = emptyArm(arm)));
  return a;
}

function copyArm(a: ArmStats): ArmStats {
  return { arm: a.arm, pulls: a.pulls, obs: { ...a.obs }, disc: { ...a.disc } };
}

/** Due decisions, earliest first, then by member: the order of Redis's sorted set. */
class DueHeap {
  private readonly items: Due[] = [];

  peek(): Due | undefined {
    return this.items[0];
  }

  push(d: Due): void {
    const h = this.items;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): Due | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}

function before(a: Due, b: Due): boolean {
  return a.at < b.at || (a.at === b.at && a.member < b.member);
}
