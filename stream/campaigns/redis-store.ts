import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { ArmStats } from '../../engines/bandits/index.js';
import { APPLY_DEFAULT, ARMS, DECIDE, FEEDBACK, REWARD, UPDATE_CAMPAIGN } from './lua.js';
import { checkPriors, comparePriors, parsePriorField, priorField } from './priors.js';
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

export interface RedisCampaignStoreOptions {
  url: string;
  /** Prefix of every key (`--redis-prefix`), so several deployments can share one Redis. */
  prefix?: string;
  /** How long a decision is kept after it expires, and a feedback key after it came (ms). */
  retentionMs?: number;
  /** `now` of `feedback` when not given (ms). */
  now?: () => number;
  redis?: RedisOptions;
}

type Arg = string | number;
/** The scripts, as ioredis's defineCommand adds them (EVALSHA, with EVAL when Redis lacks one). */
interface CampaignCommands {
  pwCampaignUpdate(key: string, id: string, json: string, previous: string): Promise<number>;
  pwCampaignDecide(...args: Arg[]): Promise<number>;
  pwCampaignReward(...args: Arg[]): Promise<string[][]>;
  pwCampaignDefault(...args: Arg[]): Promise<string | null>;
  pwCampaignFeedback(...args: Arg[]): Promise<number>;
  pwCampaignArms(...args: Arg[]): Promise<[string, string[], ...(string | null)[][]]>;
}

/**
 * Campaign state in Redis, for services mode: every update is one Lua script (one round trip), so
 * every API replica and the stream share one state, atomically, and it outlives every process.
 * Keys (under the prefix):
 * - `campaigns:defs`: hash campaign id → the campaign (JSON).
 * - `campaigns:clock:<campaign>`: the campaign's number of observations (the discount clock).
 * - `campaigns:arms:<campaign>`: hash arm → its statistics, eight numbers (see lua.ts).
 * - `campaigns:segs:<campaign>`: hash `<segment>|<arm>` → the arm's statistics in that segment.
 * - `campaigns:priors:<campaign>`: hash `<segment>|<arm>` (`|<arm>` without one) → `{n, mean}`.
 * - `campaigns:decision:<id>`: hash, a decision and whether it was rewarded; kept until
 *   `expires_at` plus the retention (its time to live is set from `expires_at - at`).
 * - `campaigns:due`: sorted set of the decisions with a default reward still to apply, scored by
 *   `expires_at`; members `["<campaign>","<id>"]`.
 * - `campaigns:fb:<key>`: a feedback update's idempotency key (SET NX, time to live the retention).
 * The statistics, clocks, priors and definitions have no expiry.
 */
export class RedisCampaignStore implements CampaignStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly cmd: CampaignCommands;
  private readonly prefix: string;
  private readonly retentionMs: number;
  /** Rewards waiting for this turn's group commit. */
  private rewards: {
    campaign: string;
    decisionId: string;
    value: number;
    now: number;
    gamma: number;
    resolve: (o: RewardOutcome) => void;
    reject: (err: unknown) => void;
  }[] = [];
  /** Tokens of reward calls: this store's random prefix and a sequence number (see REWARD). */
  private readonly rewardTokens = randomBytes(9).toString('base64url');
  private rewardSeq = 0;
  /** Decisions waiting for this turn's group commit. */
  private decisions: { d: DecisionRecord; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private readonly now: () => number;
  private readonly defsKey: string;
  private readonly defsVersionKey: string;
  private readonly dueKey: string;

  constructor(o: RedisCampaignStoreOptions) {
    this.prefix = `${o.prefix ?? 'pw:'}campaigns:`;
    this.retentionMs = o.retentionMs ?? DEFAULT_DECISION_RETENTION_MS;
    this.now = o.now ?? Date.now;
    this.defsKey = `${this.prefix}defs`;
    this.defsVersionKey = `${this.prefix}defs:version`;
    this.dueKey = `${this.prefix}due`;
    this.redis = new Redis(o.url, {
      maxRetriesPerRequest: 3,
      enableOfflineQueue: true,
      // Decide and reward come thousands a second: concurrent calls share round trips.
      enableAutoPipelining: true,
      ...o.redis,
    });
    // Errors surface on the commands; without a listener ioredis would print each reconnect attempt.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('pwCampaignUpdate', { numberOfKeys: 1, lua: UPDATE_CAMPAIGN });
    this.redis.defineCommand('pwCampaignDecide', { lua: DECIDE });
    this.redis.defineCommand('pwCampaignReward', { lua: REWARD });
    this.redis.defineCommand('pwCampaignDefault', { numberOfKeys: 5, lua: APPLY_DEFAULT });
    this.redis.defineCommand('pwCampaignFeedback', { numberOfKeys: 6, lua: FEEDBACK });
    this.redis.defineCommand('pwCampaignArms', { numberOfKeys: 3, lua: ARMS });
    this.cmd = this.redis as unknown as CampaignCommands;
  }

  private k(kind: string, id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }

  async create(c: Campaign): Promise<boolean> {
    const json = JSON.stringify(c);
    if ((await this.redis.hsetnx(this.defsKey, c.id, json)) === 1) {
      await this.redis.incr(this.defsVersionKey);
      return true;
    }
    // Taken, by this very definition (created_at included) when the HSETNX was sent again after a
    // lost reply: the create succeeded (and its version bump may not have run).
    if ((await this.redis.hget(this.defsKey, c.id)) !== json) return false;
    await this.redis.incr(this.defsVersionKey);
    return true;
  }

  async update(c: Campaign, previous?: Campaign): Promise<boolean> {
    // The stored JSON is JSON.stringify of a campaign, and get() parses it: stringified again, the same text.
    const expected = previous ? JSON.stringify(previous) : '';
    if ((await this.cmd.pwCampaignUpdate(this.defsKey, c.id, JSON.stringify(c), expected)) !== 1)
      return false;
    await this.redis.incr(this.defsVersionKey);
    return true;
  }

  async definitionsVersion(): Promise<number> {
    return Number((await this.redis.get(this.defsVersionKey)) ?? 0);
  }

  async get(id: string): Promise<Campaign | undefined> {
    const v = await this.redis.hget(this.defsKey, id);
    return v === null ? undefined : (JSON.parse(v) as Campaign);
  }

  async list(): Promise<Campaign[]> {
    const all = (await this.redis.hvals(this.defsKey)).map((v) => JSON.parse(v) as Campaign);
    return all.sort(byId);
  }

  async arms(campaign: string, segments?: readonly string[]): Promise<CampaignArms> {
    const [clock, flat, ...perSegment] = await this.cmd.pwCampaignArms(
      this.k('clock', campaign),
      this.k('arms', campaign),
      this.k('segs', campaign),
      ...(segments ?? []).map((s) => priorField(s, '')),
    );
    const names: string[] = [];
    const arms: ArmStats[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      names.push(flat[i]!);
      arms.push(parseStats(flat[i]!, flat[i + 1]!));
    }
    const out: CampaignArms = { clock: Number(clock), arms };
    if (segments) {
      out.segments = {};
      segments.forEach((seg, i) => {
        const values = perSegment[i] ?? [];
        const list: ArmStats[] = [];
        values.forEach((v, j) => {
          if (v !== null) list.push(parseStats(names[j]!, v));
        });
        out.segments![seg] = list;
      });
    }
    return out;
  }

  /**
   * Stores the decision with its pull. Decisions made in the same turn of the event loop go to
   * Redis together, in one script call (a group commit): each promise resolves once its decision
   * is stored, as with a call of its own, at a fraction of the cost per decision.
   */
  decide(d: DecisionRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      checkDecision(d);
      if (this.decisions.length === 0) setImmediate(() => this.commitDecisions());
      this.decisions.push({ d, resolve, reject });
    });
  }

  private commitDecisions(): void {
    const batch = this.decisions;
    this.decisions = [];
    const keys: Arg[] = [];
    const args: Arg[] = [];
    for (const { d } of batch) {
      keys.push(
        this.k('decision', d.id),
        this.k('arms', d.campaign),
        this.k('segs', d.campaign),
        this.dueKey,
      );
      args.push(
        JSON.stringify(d),
        d.campaign,
        d.arm,
        d.segment === undefined ? '' : priorField(d.segment, d.arm),
        d.expires_at,
        d.default_value === undefined ? '' : d.default_value,
        decisionKeptMs(d, this.retentionMs),
        dueMember(d.campaign, d.id),
      );
    }
    this.cmd.pwCampaignDecide(keys.length, ...keys, ...args).then(
      () => {
        for (const b of batch) b.resolve();
      },
      (err: unknown) => {
        for (const b of batch) b.reject(err);
      },
    );
  }

  /**
   * A reward, applied at most once per decision; rewards of one turn go together, in order (see
   * decide). A call whose script ran but whose reply was lost (ioredis sends it again on reconnect)
   * is still told 'applied', not 'duplicate': each carries a token of its own (see REWARD).
   */
  reward(
    campaign: string,
    decisionId: string,
    value: number,
    now: number,
    gamma: number,
  ): Promise<RewardOutcome> {
    return new Promise((resolve, reject) => {
      checkFinite('a reward', value);
      if (this.rewards.length === 0) setImmediate(() => this.commitRewards());
      this.rewards.push({ campaign, decisionId, value, now, gamma, resolve, reject });
    });
  }

  private commitRewards(): void {
    const batch = this.rewards;
    this.rewards = [];
    const keys: Arg[] = [];
    const args: Arg[] = [];
    for (const r of batch) {
      keys.push(this.k('decision', r.decisionId), this.dueKey, ...this.campaignKeys(r.campaign));
      args.push(
        r.campaign,
        r.value,
        r.now,
        r.gamma,
        dueMember(r.campaign, r.decisionId),
        `${this.rewardTokens}:${(this.rewardSeq++).toString(36)}`,
      );
    }
    this.cmd.pwCampaignReward(keys.length, ...keys, ...args).then(
      (results) => batch.forEach((b, i) => b.resolve(outcome(results[i]!))),
      (err: unknown) => {
        for (const b of batch) b.reject(err);
      },
    );
  }

  async feedback(
    updates: readonly FeedbackUpdate[],
    gamma: (campaign: string) => number,
    now = this.now(),
  ): Promise<number> {
    checkFeedback(updates);
    // In order: two updates of one arm apply as they came (a pipeline keeps the order).
    const results = await Promise.all(
      updates.map((u) =>
        this.cmd.pwCampaignFeedback(
          this.k('fb', u.key),
          this.k('decision', u.decision_id ?? ''),
          this.dueKey,
          ...this.campaignKeys(u.campaign),
          u.kind,
          u.campaign,
          u.arm,
          u.value,
          gamma(u.campaign),
          Math.min(u.ts ?? now, now),
          this.retentionMs,
          dueMember(u.campaign, u.decision_id ?? ''),
          u.own ? '1' : '',
        ),
      ),
    );
    return results.filter((r) => r === 2).length;
  }

  async applyDefaults(
    now: number,
    limit: number,
    gamma: (campaign: string) => number,
  ): Promise<DecisionRecord[]> {
    if (limit <= 0) return [];
    const members = await this.redis.zrangebyscore(this.dueKey, '-inf', now, 'LIMIT', 0, limit);
    // Each decision is applied by the caller whose ZREM removes it (in its script): once, whoever
    // else sweeps at the same time, and never lost if this process dies halfway.
    const done = await Promise.all(
      members.map((m) => {
        const [campaign, id] = JSON.parse(m) as [string, string];
        return this.cmd.pwCampaignDefault(
          this.k('decision', id),
          this.dueKey,
          ...this.campaignKeys(campaign),
          campaign,
          gamma(campaign),
          m,
        );
      }),
    );
    return done.filter((r): r is string => typeof r === 'string').map((r) => JSON.parse(r) as DecisionRecord);
  }

  async setPriors(campaign: string, priors: readonly PriorEntry[]): Promise<void> {
    checkPriors(priors);
    if (priors.length === 0) return;
    const fields: string[] = [];
    for (const p of priors)
      fields.push(priorField(p.segment, p.arm), JSON.stringify({ n: p.n, mean: p.mean }));
    await this.redis.hset(this.k('priors', campaign), ...fields);
  }

  async priors(campaign: string): Promise<PriorEntry[]> {
    const all = await this.redis.hgetall(this.k('priors', campaign));
    return Object.entries(all)
      .map(([field, v]) => ({ ...parsePriorField(field), ...(JSON.parse(v) as { n: number; mean: number }) }))
      .sort(comparePriors);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Clock, arms and segments of a campaign: the last three keys of the update scripts. */
  private campaignKeys(campaign: string): [string, string, string] {
    return [this.k('clock', campaign), this.k('arms', campaign), this.k('segs', campaign)];
  }
}

/** An arm's statistics from the eight numbers of its hash field. */
function parseStats(arm: string, s: string): ArmStats {
  const v = s.split(' ').map(Number);
  const at = (i: number) => v[i] ?? 0;
  return {
    arm,
    pulls: at(0),
    obs: { n: at(1), sum: at(2), sumSq: at(3) },
    disc: { n: at(4), sum: at(5), sumSq: at(6), at: at(7) },
  };
}

function outcome(r: string[]): RewardOutcome {
  switch (r[0]) {
    case 'applied':
      return { status: 'applied', arm: parseStats(r[3]!, r[1]!), clock: Number(r[2]) };
    case 'duplicate':
      return { status: 'duplicate' };
    case 'expired':
      return { status: 'expired' };
    default:
      return { status: 'unknown' };
  }
}
