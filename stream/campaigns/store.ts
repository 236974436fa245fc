import type { ArmStats, Prior, RewardKind } from '../../engines/bandits/index.js';

/** Costs of a campaign or of one arm (an arm's own override the campaign's). */
export interface Costs {
  per_impression?: number;
  per_click?: number;
  per_conversion?: number;
  /** A fixed budget, spread over the arms by their share of impressions. */
  budget?: number;
}

/** A campaign as `POST /v1/campaigns` defines it, with what the server adds. */
export interface Campaign {
  id: string;
  /** Live arms, in the order they were added. */
  arms: string[];
  /** Arms taken out of play: kept with their statistics, never chosen again. */
  retired: string[];
  policy: string;
  policy_options: Record<string, unknown>;
  reward: RewardKind;
  default_reward?: { value: number; after_ms: number };
  /** How long a decision takes rewards when it has no default reward (ms). */
  decision_ttl_ms: number;
  /** Which stream feedback kind rewards a decision of a binary campaign (default `click`). */
  reward_on?: 'click' | 'conversion';
  costs?: Costs;
  arm_costs?: Record<string, Costs>;
  /** Per-arm features for the ROI model (numbers by name). */
  arm_features?: Record<string, Record<string, number>>;
  created_at: number;
  updated_at: number;
}

/** A decision as stored until its reward (or its expiry). */
export interface DecisionRecord {
  id: string;
  campaign: string;
  arm: string;
  /** The context's segment, for contextual policies. */
  segment?: string;
  /** ms epoch it was made. */
  at: number;
  /** ms epoch after which rewards get 410 (and the default reward, if any, is applied). */
  expires_at: number;
  /** The reward applied when none came before `expires_at`. */
  default_value?: number;
}

export type RewardOutcome =
  /** Applied now: the arm's statistics after it. */
  | { status: 'applied'; arm: ArmStats; clock: number }
  /** The decision was rewarded before (by this path or another): nothing changed. */
  | { status: 'duplicate' }
  /** Past `expires_at`: too late (its default reward, if any, stands), rewarded before or not. */
  | { status: 'expired' }
  /** No such decision in this campaign. */
  | { status: 'unknown' };

/**
 * Feedback from the stream (stage 2's `campaigns` operator), applied once per `key`: an impression
 * counts a pull, a reward an observation. A decision this store made absorbs its own impression,
 * and its reward counts once whichever path (REST or stream) brings it first.
 */
export interface FeedbackUpdate {
  /** Idempotency key (the decision id and kind, else the client's `id`, else the message's position). */
  key: string;
  campaign: string;
  arm: string;
  decision_id?: string;
  /**
   * What happened; a "known decision" is one this store holds for `campaign` (`decision_id`):
   * - `pull`: a known decision: nothing (its pull counted at decide); else a pull of `arm`.
   * - `impression`: a known decision: nothing; else a pull of `arm` and an observation of 0
   *   (CTR-style counting for decisions made outside, which a later `credit` turns into a click).
   * - `reward`: a known decision: its reward, as `reward()` (once; nothing if rewarded or expired);
   *   else an observation of `value` for `arm`, without a pull.
   * - `credit`: a known decision: as `reward`; else `value` added to an observation counted before
   *   (by an impression): obs.sum += value, obs.sumSq += value², the same on the discounted moments
   *   (brought up to the clock first), n and the clock unchanged; each sum grows at most to its n
   *   (credits are binary: a click without a counted impression credits nothing; see recordCredit).
   *
   * Whatever the kind, an update with `own` whose decision the store does not hold (for `campaign`)
   * does nothing: the decision was made by `decide` and dropped since (its retention is over, or
   * the memory store's cap was reached), so its pull was counted and its reward (or default) may
   * have been; `reward()` refuses it alike (410, or 404). `feedback()` counts it.
   */
  kind: 'pull' | 'reward' | 'impression' | 'credit';
  /** `decision_id` is an id `decide` makes (see decisionTime), not one of a decision made elsewhere. */
  own?: boolean;
  value: number;
  /**
   * When it happened (event time, ms): a known decision takes it if this is within its lifetime,
   * however late the stream brings it (no later than when it is applied; absent: then).
   */
  ts?: number;
}

export interface CampaignArms {
  /** The campaign's number of observations (the discount clock). */
  clock: number;
  /** Every arm with statistics (live and retired), in no particular order. */
  arms: ArmStats[];
  /** Per segment, per arm (contextual policies); only segments asked for. */
  segments?: Record<string, ArmStats[]>;
}

/**
 * Campaigns, decisions and arm statistics. In memory in the embedded default; in Redis in services
 * mode, where every update is one atomic Lua script, so every API replica and the stream share one
 * state and it survives restarts of every process.
 */
export interface CampaignStore {
  readonly kind: string;

  /** False (and nothing changes) when the id is taken. */
  create(c: Campaign): Promise<boolean>;
  /**
   * Replaces a campaign's definition; statistics stay. False when there is no such campaign, or,
   * with `previous`, when the stored definition is no longer `previous` (another update came in
   * between: read it again and redo the change on it, or that update's arms would be lost).
   */
  update(c: Campaign, previous?: Campaign): Promise<boolean>;
  get(id: string): Promise<Campaign | undefined>;
  /** Every campaign, by id. */
  list(): Promise<Campaign[]>;
  /**
   * A number that changes whenever a campaign is created or updated (by any process sharing the
   * store): a process that caches definitions reads them again when it changed.
   */
  definitionsVersion(): Promise<number>;

  /** The arms' statistics (and those of the given segments). */
  arms(campaign: string, segments?: readonly string[]): Promise<CampaignArms>;

  /**
   * Stores a decision and counts its pull (in its segment too), atomically. Kept until
   * `expires_at` plus the retention; with a default value it is due for `applyDefaults` at `expires_at`.
   */
  decide(d: DecisionRecord): Promise<void>;
  /** A reward for a decision of `campaign`, applied at most once per decision. `gamma`: the campaign's discount. */
  reward(
    campaign: string,
    decisionId: string,
    value: number,
    now: number,
    gamma: number,
  ): Promise<RewardOutcome>;
  /**
   * Stream feedback, each update applied at most once per key (keys are kept for the retention).
   * `now` (default: the store's clock) decides whether a known decision has expired. Returns how
   * many updates (of new keys) were dropped because their decision of `decide` is no longer held.
   */
  feedback(
    updates: readonly FeedbackUpdate[],
    gamma: (campaign: string) => number,
    now?: number,
  ): Promise<number>;
  /**
   * Applies the default reward of every unrewarded decision due at `now` (up to `limit`), each
   * once even with several callers at a time; returns the decisions it rewarded.
   */
  applyDefaults(now: number, limit: number, gamma: (campaign: string) => number): Promise<DecisionRecord[]>;

  /**
   * Priors per arm, and per segment and arm (`segment` set). A mean beyond ±MAX_PRIOR_MEAN or an n
   * that is negative or beyond MAX_PRIOR_N is refused (RangeError) before any is kept.
   */
  setPriors(campaign: string, priors: readonly PriorEntry[]): Promise<void>;
  priors(campaign: string): Promise<PriorEntry[]>;

  close(): Promise<void>;
}

export interface PriorEntry extends Prior {
  arm: string;
  segment?: string;
}

/** Decisions (and idempotency keys) are kept this long after they expire, so that late rewards get 410. */
export const DEFAULT_DECISION_RETENTION_MS = 7 * 24 * 3600_000;

/** A non-finite number would poison an arm's statistics for good: refused before anything changes. */
export function checkFinite(what: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number, not ${value}`);
}

/** A decision's numbers, checked before a store keeps it (see checkFinite). */
export function checkDecision(d: DecisionRecord): void {
  checkFinite('expires_at', d.expires_at);
  if (d.default_value !== undefined) checkFinite('default_value', d.default_value);
}

/** Feedback's values, every one checked before any update applies (see checkFinite). */
export function checkFeedback(updates: readonly FeedbackUpdate[]): void {
  for (const u of updates) checkFinite(`the value of feedback ${u.key}`, u.value);
}

/** How long a store keeps a decision from when it is made (ms): until it expires, then the retention. */
export function decisionKeptMs(d: DecisionRecord, retentionMs: number): number {
  return Math.max(0, d.expires_at - d.at) + retentionMs;
}

/** The member of a decision in the set of decisions due for their default reward. */
export function dueMember(campaign: string, id: string): string {
  return JSON.stringify([campaign, id]);
}

/** Campaigns in the order of `list()`: by id. */
export function byId(a: Campaign, b: Campaign): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
