import { randomBytes, randomInt } from 'node:crypto';
import {
  createPolicy,
  emptyArm,
  policyGamma,
  recordPull,
  type ArmStats,
  type ArmView,
  type Policy,
  type Prior,
  type Ranked,
} from '../../engines/bandits/index.js';
import { Random } from '../../engines/stats/index.js';
import { PipelineError } from '../model/errors.js';
import type { FeedbackEvent } from '../model/events.js';
import type { KeyedFeedback } from '../operators/operator.js';
import { campaignFrom, decisionLifetime, rewardInRange, type CampaignInput } from './definition.js';
import type { FeedbackPublisher } from './feedback-publisher.js';
import type { Campaign, CampaignStore, DecisionRecord, FeedbackUpdate, PriorEntry } from './store.js';
import { summarize, type CampaignSummary } from './summary.js';

export interface CampaignServiceOptions {
  store: CampaignStore;
  /**
   * A campaign's definition and arm statistics are read from the store again when the copy this
   * process holds is older than this (ms), so decisions see other replicas' and the stream's
   * updates within it; this process's own decisions and rewards update its copy at once. Default 100.
   */
  refreshMs?: number;
  /** How often due default rewards are applied (ms); default 250. 0: never (another process does). */
  defaultsEveryMs?: number;
  /** Publishes decisions (as impressions) and rewards to the bus for stage 2's campaign windows. */
  feedback?: FeedbackPublisher;
  /** The audience segment of a user, for contextual policies when the context names none. */
  segmentOf?: (user: string) => string | undefined;
  /** Seed of the policies' random numbers; default: random. */
  seed?: number;
  now?: () => number;
  onError?: (err: unknown, what: string) => void;
  /**
   * Stream feedback for a decision of `decide` the store no longer holds (dropped after its
   * retention, or past the memory store's cap) is not applied, as its REST reward gets 410 (or
   * 404): called with how many such updates a batch had.
   */
  onExpiredFeedback?: (count: number) => void;
}

export interface DecideInput {
  context?: Record<string, unknown>;
  user?: string;
}

export interface Decision {
  decision_id: string;
  arm: string;
  ranking: Ranked[];
}

export type RewardStatus = 'applied' | 'duplicate';

/** What this process holds of one campaign. */
interface Entry {
  campaign: Campaign;
  policy: Policy;
  gamma: number;
  clock: number;
  /** Every arm's statistics with its prior attached (the objects the live view holds). */
  arms: Map<string, ArmView>;
  /** The live arms' views in campaign order, built once per read of the store. */
  liveView?: ArmView[];
  segments: Map<string, Map<string, ArmStats>>;
  priors: Map<string, Prior>;
  segmentPriors: Map<string, Map<string, Prior>>;
  fetchedAt: number;
  refreshing?: Promise<void>;
}

const MAX_CONTEXT_KEYS = 32;
/**
 * Context segments a process holds per campaign, the most recently decided in: every read of the
 * campaign reads them all, so a segment per user would make every refresh read every user ever seen.
 * A segment let go is read again (one read) at its next decision.
 */
const MAX_SEGMENTS = 1000;
/** The sweeper reads every campaign's discount again this often (ms). */
const GAMMAS_EVERY_MS = 5000;
const MAX_CONTEXT_STRING = 200;
/** Decision ids: the time made (base 36 ms) and 72 random bits. */
const DECISION_ID = /^([0-9a-z]{6,10})-[A-Za-z0-9_-]{12}$/;

/** Random bytes for decision ids come from a pool: one system call per 455 decisions, not one each. */
const ID_POOL_BYTES = 4095;
const ID_RANDOM_BYTES = 9;
let idPool = randomBytes(ID_POOL_BYTES);
let idAt = 0;

/** A new decision id: the time (base 36 ms) and 72 random bits. */
export function newDecisionId(now: number): string {
  if (idAt + ID_RANDOM_BYTES > idPool.length) {
    idPool = randomBytes(ID_POOL_BYTES);
    idAt = 0;
  }
  const random = idPool.toString('base64url', idAt, idAt + ID_RANDOM_BYTES);
  idAt += ID_RANDOM_BYTES;
  return `${now.toString(36)}-${random}`;
}

/** When a decision id of this service was made (ms), or undefined for an id it did not make. */
export function decisionTime(id: string): number | undefined {
  const m = DECISION_ID.exec(id);
  return m ? parseInt(m[1]!, 36) : undefined;
}

function priorMaps(entries: readonly PriorEntry[]): Pick<Entry, 'priors' | 'segmentPriors'> {
  const priors = new Map<string, Prior>();
  const segmentPriors = new Map<string, Map<string, Prior>>();
  for (const p of entries) {
    const prior = { n: p.n, mean: p.mean };
    if (p.segment === undefined) priors.set(p.arm, prior);
    else {
      let m = segmentPriors.get(p.segment);
      if (!m) segmentPriors.set(p.segment, (m = new Map()));
      m.set(p.arm, prior);
    }
  }
  return { priors, segmentPriors };
}

/**
 * Campaigns: definitions, decisions, rewards and default rewards, over a campaign store (memory or
 * Redis). Decisions are ranked by the campaign's policy from the arm statistics this process holds
 * (refreshed from the store every `refreshMs`), then stored with their pull in one atomic store
 * call; rewards are one atomic store call each, applied once per decision whatever path brings
 * them (REST here, or stream feedback folded by stage 2 and applied through `applyFeedback`).
 */
export class CampaignService {
  private readonly entries = new Map<string, Entry>();
  private readonly rng: Random;
  private readonly now: () => number;
  private readonly refreshMs: number;
  /** The discount of every campaign seen, for default rewards applied by the sweeper. */
  private readonly gammas = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private gammasAt = Number.NEGATIVE_INFINITY;
  private gammasVersion: number | undefined;

  constructor(private readonly o: CampaignServiceOptions) {
    this.rng = new Random(o.seed ?? randomInt(2 ** 31));
    this.now = o.now ?? Date.now;
    this.refreshMs = o.refreshMs ?? 100;
  }

  get store(): CampaignStore {
    return this.o.store;
  }

  // ---- definitions ----

  async create(input: CampaignInput & { id: string }): Promise<Campaign> {
    const c = campaignFrom(input.id, input, this.now());
    if (!(await this.o.store.create(c)))
      throw new PipelineError(
        'CAMPAIGN_EXISTS',
        `campaign "${c.id}" exists; PUT /v1/campaigns/${c.id} updates it`,
      );
    this.entries.delete(c.id);
    this.gammas.set(c.id, policyGamma(c.policy, c.policy_options));
    return c;
  }

  /** Replaces a campaign's definition (arms added, retired or back, policy, costs); statistics stay. */
  async update(id: string, input: CampaignInput): Promise<Campaign> {
    if (input.id !== undefined && input.id !== id)
      throw new PipelineError('INVALID_CAMPAIGN', `the body's id "${input.id}" is not the path's "${id}"`);
    // Read, change, write only if unchanged meanwhile: an update by another replica in between (an
    // arm added) is read again and kept, where writing over it would lose the arm (neither live nor
    // retired). Each retry means another update succeeded.
    let c: Campaign;
    for (let attempt = 0; ; attempt++) {
      const previous = await this.o.store.get(id);
      if (!previous) throw new PipelineError('UNKNOWN_CAMPAIGN', `no campaign "${id}"`);
      c = campaignFrom(id, input, this.now(), previous);
      if (await this.o.store.update(c, previous)) break;
      if (attempt >= 100) throw new Error(`campaign "${id}": the update kept meeting other updates`);
    }
    this.entries.delete(id);
    this.gammas.set(id, policyGamma(c.policy, c.policy_options));
    return c;
  }

  list(): Promise<Campaign[]> {
    return this.o.store.list();
  }

  async get(id: string): Promise<Campaign> {
    const c = await this.o.store.get(id);
    if (!c) throw new PipelineError('UNKNOWN_CAMPAIGN', `no campaign "${id}"`);
    return c;
  }

  /** Arm statistics read from the store now (what every replica reports alike). */
  async summary(id: string): Promise<CampaignSummary> {
    const c = await this.get(id);
    const [arms, priors] = await Promise.all([this.o.store.arms(id), this.o.store.priors(id)]);
    return summarize(c, arms, priorMaps(priors).priors);
  }

  // ---- decisions ----

  async decide(campaignId: string, input: DecideInput = {}): Promise<Decision> {
    const segment = this.segmentOf(input);
    const e = await this.entry(campaignId, segment);
    const now = this.now();
    const view = this.view(e, segment);
    // JSON has no infinities: an arm never observed (UCB's +∞) ranks with the largest number.
    const ranking = e.policy
      .rank({ view, reward: e.campaign.reward, rng: this.rng })
      .map((r) => (Number.isFinite(r.score) ? r : { arm: r.arm, score: finite(r.score) }));
    const arm = ranking[0]!.arm;
    const id = newDecisionId(now);
    const record: DecisionRecord = {
      id,
      campaign: campaignId,
      arm,
      ...(segment !== undefined && { segment }),
      at: now,
      expires_at: now + decisionLifetime(e.campaign),
      ...(e.campaign.default_reward && { default_value: e.campaign.default_reward.value }),
    };
    await this.o.store.decide(record);
    recordPull(this.armOf(e.arms, arm));
    if (segment !== undefined) recordPull(this.armOf(this.segmentArms(e, segment), arm));
    this.o.feedback?.add({ campaign: campaignId, arm, decision_id: id, kind: 'impression', ts: now });
    return { decision_id: id, arm, ranking };
  }

  /**
   * A reward for one decision. Throws UNKNOWN_CAMPAIGN, REWARD_OUT_OF_RANGE, UNKNOWN_DECISION
   * (no such decision in the campaign) or DECISION_EXPIRED (past its lifetime; its default reward,
   * if any, stands). A repeat is a success that changes nothing (`duplicate`).
   */
  async reward(campaignId: string, decisionId: string, value: number): Promise<RewardStatus> {
    const e = await this.entry(campaignId);
    const kind = e.campaign.reward;
    if (!rewardInRange(kind, value))
      throw new PipelineError(
        'REWARD_OUT_OF_RANGE',
        kind === 'binary'
          ? `value ${value}: binary rewards are from 0 to 1`
          : `value ${value}: continuous rewards are from -1e15 to 1e15`,
      );
    const now = this.now();
    const out = await this.o.store.reward(campaignId, decisionId, value, now, e.gamma);
    switch (out.status) {
      case 'applied': {
        // in place: the cached view holds this object
        Object.assign(this.armOf(e.arms, out.arm.arm), out.arm);
        e.clock = Math.max(e.clock, out.clock);
        this.o.feedback?.add({
          campaign: campaignId,
          arm: out.arm.arm,
          decision_id: decisionId,
          kind: 'reward',
          value,
          ts: now,
        });
        return 'applied';
      }
      case 'duplicate':
        return 'duplicate';
      case 'expired':
        throw new PipelineError('DECISION_EXPIRED', `decision "${decisionId}" expired`);
      case 'unknown': {
        // Kept for the retention after their lifetime; an older id of this service is still expired.
        const made = decisionTime(decisionId);
        if (made !== undefined && made + decisionLifetime(e.campaign) < now)
          throw new PipelineError('DECISION_EXPIRED', `decision "${decisionId}" expired`);
        throw new PipelineError(
          'UNKNOWN_DECISION',
          `no decision "${decisionId}" in campaign "${campaignId}"`,
        );
      }
    }
  }

  // ---- stream feedback ----

  /**
   * Feedback folded by stage 2, applied to the arm statistics once per key: an impression of a
   * decision made elsewhere is a pull and a 0 observation (clicks credit it later); the campaign's
   * `reward_on` kind (binary; default click) or a `reward` credits or rewards; a decision made here
   * takes its own reward once, whichever path brings it, and while the store holds it: after that
   * (its retention over, or past the memory store's cap) its feedback is dropped and counted
   * (`onExpiredFeedback`), as REST refuses its reward. Feedback of unknown campaigns is skipped.
   */
  async applyFeedback(items: readonly KeyedFeedback[]): Promise<void> {
    if (items.length === 0) return;
    const campaigns = new Map<string, Campaign | undefined>();
    for (const id of new Set(items.map((i) => i.event.campaign)))
      campaigns.set(id, this.entries.get(id)?.campaign ?? (await this.o.store.get(id)));
    const updates: FeedbackUpdate[] = [];
    for (const { key, event } of items) {
      const c = campaigns.get(event.campaign);
      if (!c) continue;
      const u = feedbackUpdate(c, key, event);
      if (u) updates.push(u);
    }
    for (const c of campaigns.values()) if (c) this.gammas.set(c.id, policyGamma(c.policy, c.policy_options));
    if (updates.length === 0) return;
    const expired = await this.o.store.feedback(updates, (id) => this.gammas.get(id) ?? 1);
    if (expired > 0) this.o.onExpiredFeedback?.(expired);
  }

  // ---- default rewards ----

  start(): void {
    const every = this.o.defaultsEveryMs ?? 250;
    if (every <= 0 || this.sweeper) return;
    this.sweeper = setInterval(() => {
      this.sweeping ??= this.applyDefaults()
        .then(() => undefined)
        .catch((err: unknown) => this.o.onError?.(err, 'default rewards'))
        .finally(() => (this.sweeping = undefined));
    }, every);
    this.sweeper.unref?.();
  }

  /** Applies every default reward due now; returns how many. Safe with other processes doing the same. */
  async applyDefaults(limit = 1000): Promise<number> {
    // Read the definitions again when one was created or changed anywhere (a default due for a
    // campaign this process never saw must not be applied undiscounted), and now and then anyway.
    const version = await this.o.store.definitionsVersion();
    if (version !== this.gammasVersion || this.now() - this.gammasAt >= GAMMAS_EVERY_MS) {
      for (const c of await this.o.store.list())
        this.gammas.set(c.id, policyGamma(c.policy, c.policy_options));
      this.gammasAt = this.now();
      this.gammasVersion = version;
    }
    let total = 0;
    for (;;) {
      const now = this.now();
      const done = await this.o.store.applyDefaults(now, limit, (id) => this.gammas.get(id) ?? 1);
      for (const d of done) {
        // read again before the next decision of the campaign
        const entry = this.entries.get(d.campaign);
        if (entry) entry.fetchedAt = 0;
        this.o.feedback?.add({
          campaign: d.campaign,
          arm: d.arm,
          decision_id: d.id,
          kind: 'reward',
          value: d.default_value ?? 0,
          ts: now,
        });
      }
      total += done.length;
      if (done.length < limit) return total;
    }
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.sweeping;
    await this.o.feedback?.stop();
  }

  // ---- internals ----

  private segmentOf(input: DecideInput): string | undefined {
    const ctx = input.context;
    if (ctx !== undefined) {
      if (typeof ctx !== 'object' || ctx === null || Array.isArray(ctx))
        throw new PipelineError('INVALID_CONTEXT', 'context must be a JSON object');
      const entries = Object.entries(ctx);
      if (entries.length > MAX_CONTEXT_KEYS)
        throw new PipelineError('INVALID_CONTEXT', `context: at most ${MAX_CONTEXT_KEYS} keys`);
      for (const [k, v] of entries) {
        const ok =
          (typeof v === 'string' && v.length <= MAX_CONTEXT_STRING) ||
          typeof v === 'boolean' ||
          (typeof v === 'number' && Number.isFinite(v));
        if (!ok)
          throw new PipelineError(
            'INVALID_CONTEXT',
            `context.${k}: a string (up to ${MAX_CONTEXT_STRING} characters), a finite number or a boolean`,
          );
      }
      if (ctx.segment !== undefined) return String(ctx.segment);
    }
    return input.user !== undefined ? this.o.segmentOf?.(input.user) : undefined;
  }

  private armOf<T extends ArmStats>(map: Map<string, T>, arm: string): T {
    let a = map.get(arm);
    if (!a) map.set(arm, (a = emptyArm(arm) as T));
    return a;
  }

  private segmentArms(e: Entry, segment: string): Map<string, ArmStats> {
    let m = e.segments.get(segment);
    if (!m) e.segments.set(segment, (m = new Map()));
    return m;
  }

  private view(e: Entry, segment: string | undefined) {
    if (segment === undefined) {
      e.liveView ??= e.campaign.arms.map((arm) => {
        const a = this.armOf(e.arms, arm);
        const prior = e.priors.get(arm);
        if (prior) a.prior = prior;
        return a;
      });
      return { clock: e.clock, arms: e.liveView };
    }
    const seg = segment !== undefined ? e.segments.get(segment) : undefined;
    const segPriors = segment !== undefined ? e.segmentPriors.get(segment) : undefined;
    const arms = e.campaign.arms.map((arm): ArmView => {
      const a = e.arms.get(arm) ?? emptyArm(arm);
      const prior = e.priors.get(arm);
      const segStats = seg?.get(arm);
      const segPrior = segPriors?.get(arm);
      return {
        ...a,
        ...(prior && { prior }),
        ...(segment !== undefined && { segment: segStats ?? emptyArm(arm) }),
        ...(segPrior && { segmentPrior: segPrior }),
      };
    });
    return { clock: e.clock, arms };
  }

  /** The campaign as this process holds it: read at first use, then again in the background when stale. */
  private async entry(id: string, segment?: string): Promise<Entry> {
    let e = this.entries.get(id);
    if (!e) {
      e = await this.fetch(id, segment !== undefined ? [segment] : []);
      this.entries.set(id, e);
      return e;
    }
    if (segment !== undefined) {
      const held = e.segments.get(segment);
      if (!held) {
        await this.refresh(e, segment);
        return e;
      }
      // most recently used last: refresh lets the first go
      e.segments.delete(segment);
      e.segments.set(segment, held);
    }
    if (this.now() - e.fetchedAt >= this.refreshMs && !e.refreshing) {
      const current = e;
      current.refreshing = this.refresh(current)
        .catch((err: unknown) => this.o.onError?.(err, 'campaign refresh'))
        .finally(() => (current.refreshing = undefined));
      if (current.fetchedAt === 0) await current.refreshing;
    }
    return e;
  }

  /** The campaign, its arms and priors from the store, with the statistics of the given segments. */
  private async fetch(id: string, segments: readonly string[] = []): Promise<Entry> {
    const [campaign, arms, priors] = await Promise.all([
      this.o.store.get(id),
      this.o.store.arms(id, segments.length > 0 ? segments : undefined),
      this.o.store.priors(id),
    ]);
    if (!campaign) throw new PipelineError('UNKNOWN_CAMPAIGN', `no campaign "${id}"`);
    const gamma = policyGamma(campaign.policy, campaign.policy_options);
    this.gammas.set(id, gamma);
    const bySegment = new Map<string, Map<string, ArmStats>>();
    for (const s of segments) bySegment.set(s, new Map((arms.segments?.[s] ?? []).map((a) => [a.arm, a])));
    return {
      campaign,
      policy: createPolicy(campaign.policy, campaign.policy_options),
      gamma,
      clock: arms.clock,
      arms: new Map(arms.arms.map((a) => [a.arm, a])),
      segments: bySegment,
      ...priorMaps(priors),
      fetchedAt: this.now(),
    };
  }

  private async refresh(e: Entry, segment?: string): Promise<void> {
    let segments = [...e.segments.keys()];
    if (segment !== undefined && !e.segments.has(segment)) segments.push(segment);
    if (segments.length > MAX_SEGMENTS) segments = segments.slice(-MAX_SEGMENTS);
    // one read of the store for the campaign and every segment this process decides in
    const fresh = await this.fetch(e.campaign.id, segments);
    Object.assign(e, { ...fresh, refreshing: e.refreshing });
    delete e.liveView; // built again from the new objects
  }
}

function finite(x: number): number {
  if (Number.isNaN(x)) return 0;
  return x > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/** What one stream feedback event does to the arm statistics of its campaign (undefined: nothing). */
export function feedbackUpdate(c: Campaign, key: string, event: FeedbackEvent): FeedbackUpdate | undefined {
  const base = {
    key,
    campaign: event.campaign,
    arm: event.arm,
    ts: event.ts,
    ...(event.decision_id !== undefined && { decision_id: event.decision_id }),
    // an id of this service's decide: once the store no longer holds it, nothing (see FeedbackUpdate)
    ...(event.decision_id !== undefined && decisionTime(event.decision_id) !== undefined && { own: true }),
  };
  const rewardOn = c.reward === 'binary' ? (c.reward_on ?? 'click') : undefined;
  switch (event.kind) {
    case 'impression':
      return { ...base, kind: 'impression', value: 0 };
    case 'reward': {
      const value = event.value ?? 0;
      return rewardInRange(c.reward, value) ? { ...base, kind: 'reward', value } : undefined;
    }
    default: {
      if (event.kind !== rewardOn) return undefined;
      return { ...base, kind: 'credit', value: 1 };
    }
  }
}
