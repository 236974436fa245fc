import { Random } from '../../engines/stats/index.js';
import type { FeedbackEvent } from '../../stream/model/index.js';
import { isActive, type ArmSpec, type CampaignSpec } from './campaigns.js';
import { streamOf } from './slots.js';

/** What a decision tells the client: as `POST /v1/campaigns/:id/decide` answers. */
export interface ClosedLoopDecision {
  decision_id: string;
  arm: string;
}

export interface ClosedLoopOptions {
  /** Seeds the impressions' arrivals and the users' clicks (the arms come from `decide`). */
  seed: number;
  /** The campaigns; only those with `decide` are driven. */
  campaigns: readonly CampaignSpec[];
  /** Asks the campaign's policy for an arm. */
  decide: (campaign: string) => Promise<ClosedLoopDecision>;
  /** Reports clicks and conversions (as a campaign system sends its feedback). */
  sink: (events: FeedbackEvent[]) => Promise<void>;
  /** Decisions (or reports) that failed; the loop goes on. Default: a process warning. */
  onError?: (err: unknown) => void;
  now?: () => number;
  /** default 100 */
  tickMs?: number;
}

/**
 * A click (or the reward of 0 of an impression nobody clicks) follows its impression by up to this
 * long, a conversion its click by up to twice it.
 */
export const CLICK_DELAY_MS = 2_000;
/** Time one tick makes up for at most: after a stall the loop goes on, it does not burst. */
const MAX_TICK_SPAN_MS = 1_000;
/** Clicks and conversions waiting for their time, at most (older ones are dropped first). */
const MAX_PENDING = 100_000;
/** Keeps the client's random streams apart from the generator's (streamOf(campaign) there). */
const STREAM_CLOSED_LOOP = 0xc105ed;

interface Pending {
  due: number;
  event: FeedbackEvent;
}

/**
 * The demo's campaign system: impressions of each `decide` campaign arrive at its rate, each asks
 * the campaign's policy for its arm, and a click, then a conversion, follow at that arm's hidden
 * rates a little later, reported as feedback events. An impression the user moves on from is
 * reported as a `reward` of 0, as a campaign system closes a decision nobody clicked: without it
 * only clicks would be observed, and every arm's mean would read 1. A policy
 * that learns moves the traffic to the best arm, which the generator's even rotation never shows.
 * Runs against the clock from `start()`; feedback not yet due at `stop()` is not sent.
 */
export class ClosedLoopCampaigns {
  readonly stats = { decisions: 0, clicks: 0, conversions: 0, unclicked: 0, failed: 0 };
  private readonly campaigns: { spec: CampaignSpec; rng: Random; rates: Map<string, ArmSpec> }[];
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly onError: (err: unknown) => void;
  private pending: Pending[] = [];
  private last: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: ClosedLoopOptions) {
    this.campaigns = o.campaigns
      .filter((c) => c.decide === true)
      .map((spec) => ({
        spec,
        rng: new Random((o.seed ^ streamOf(spec.id) ^ STREAM_CLOSED_LOOP) >>> 0),
        rates: new Map(spec.arms.map((a) => [a.id, a])),
      }));
    this.now = o.now ?? Date.now;
    this.tickMs = o.tickMs ?? 100;
    if (!Number.isFinite(this.tickMs) || this.tickMs <= 0)
      throw new RangeError(`ClosedLoopCampaigns: tickMs must be > 0 (got ${this.tickMs})`);
    this.onError =
      o.onError ??
      ((err) => process.emitWarning(err instanceof Error ? err : String(err), 'ClosedLoopWarning'));
  }

  /** The campaigns driven (those with `decide`; the others are left to the generator). */
  get ids(): string[] {
    return this.campaigns.map((c) => c.spec.id);
  }

  /** Whether any campaign is driven. */
  get active(): boolean {
    return this.campaigns.length > 0;
  }

  /**
   * Starts the clock: impressions from `from` (default: now) on, where the synthetic source has
   * delivered up to. A `from` ahead of the clock starts them then.
   */
  start(from?: number): void {
    if (!this.active || this.timer || this.stopped) return;
    this.last = from ?? this.now();
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** One step: the impressions since the last one, then the feedback now due. Tests drive it by hand. */
  tick(): Promise<void> {
    if (this.inFlight || this.stopped) return this.inFlight ?? Promise.resolve();
    const run = this.step().finally(() => (this.inFlight = undefined));
    this.inFlight = run;
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private async step(): Promise<void> {
    const now = this.now();
    const span = Math.min(Math.max(0, now - (this.last ?? now)), MAX_TICK_SPAN_MS);
    this.last = Math.max(this.last ?? now, now);
    const decisions: Promise<void>[] = [];
    for (const c of this.campaigns) {
      if (!isActive(c.spec, now)) continue;
      const n = c.rng.poisson((c.spec.impressionsPerSec * span) / 1000);
      for (let k = 0; k < n; k++) decisions.push(this.impression(c, now));
    }
    await Promise.all(decisions);
    await this.report(now);
  }

  /** One impression: an arm from the policy, and what the user then does, drawn now and sent when due. */
  private async impression(c: (typeof this.campaigns)[number], now: number): Promise<void> {
    // the user's draws first, so a failed decision does not shift the stream of the next ones
    const clickAfter = c.rng.int(CLICK_DELAY_MS);
    const u = c.rng.next();
    const convertAfter = c.rng.int(2 * CLICK_DELAY_MS);
    const v = c.rng.next();
    let d: ClosedLoopDecision;
    try {
      d = await this.o.decide(c.spec.id);
    } catch (err) {
      this.stats.failed++;
      this.onError(err);
      return;
    }
    this.stats.decisions++;
    // an arm the campaign gained outside the scenario has no hidden rates: nobody clicks it
    const arm = c.rates.get(d.arm);
    const event = (kind: 'click' | 'conversion' | 'reward', ts: number, value = 1): Pending => ({
      due: ts,
      event: { campaign: c.spec.id, arm: d.arm, decision_id: d.decision_id, kind, value, ts },
    });
    // after the impression, which the decision stamped when it answered (a store round trip after
    // the step began): a click drawn from the step's start could come before it
    const shown = Math.max(now, this.now());
    // the user clicks, or moves on, as long after the impression either way: a 0 sent later than
    // the clicks would leave the arms' means too high while the 0s are on their way
    const clicked = shown + clickAfter;
    if (!arm || u >= arm.clickRate) {
      this.queue(event('reward', clicked, 0));
      return;
    }
    this.queue(event('click', clicked));
    if (v < arm.conversionRate) this.queue(event('conversion', clicked + convertAfter));
  }

  private queue(p: Pending): void {
    this.pending.push(p);
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
  }

  /** Sends what is due; a failed send keeps it for the next tick (the keys make repeats harmless). */
  private async report(now: number): Promise<void> {
    const due = this.pending.filter((p) => p.due <= now);
    if (due.length === 0) return;
    due.sort((a, b) => a.due - b.due);
    try {
      await this.o.sink(due.map((p) => p.event));
    } catch (err) {
      this.onError(err);
      return;
    }
    this.pending = this.pending.filter((p) => p.due > now);
    for (const { event } of due)
      this.stats[event.kind === 'click' ? 'clicks' : event.kind === 'reward' ? 'unclicked' : 'conversions']++;
  }
}
