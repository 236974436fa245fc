import type { Random } from '../../engines/stats/index.js';
import type { FeedbackEvent } from '../../stream/model/index.js';
import { checkFlag, checkId, checkRange, checkShare, invalidConfig } from './config-checks.js';
import type { Slotted } from './events.js';
import { SLOT_MS, slotRandom, streamOf } from './slots.js';

/** Hidden true rates. conversionRate is per click (a conversion only follows a click), as in ad funnels. */
export interface ArmSpec {
  id: string;
  clickRate: number;
  conversionRate: number;
}

export interface CampaignSpec {
  id: string;
  brand: string;
  arms: ArmSpec[];
  impressionsPerSec: number;
  /** ms epoch the campaign starts at (feedback and post tags); default: always on. */
  from?: number;
  /** ms epoch the campaign ends at; default: never. */
  until?: number;
  /**
   * Each impression asks the campaign's policy for its arm (a `ClosedLoopCampaigns` client, where
   * the process decides), so a policy that learns moves the traffic to the best arm. Default false:
   * impressions rotate evenly over the arms. The generator rotates a `decide` campaign's impressions
   * too unless its config says `closedLoop` (this process decides them).
   */
  decide?: boolean;
}

/** A checked campaign with its own random stream. */
export type CampaignPlan = CampaignSpec & { stream: number };

/** The share of posts about a brand with a campaign that carry the campaign's tag. */
const CAMPAIGN_TAG_SHARE = 0.15;

/** `brands` holds the brand names. */
export function normalizeCampaigns(
  campaigns: readonly CampaignSpec[],
  brands: ReadonlyMap<string, unknown>,
): CampaignPlan[] {
  const campaignIds = new Set<string>();
  return campaigns.map((camp, i) => {
    const id = checkId(`campaigns[${i}].id`, camp.id, 100);
    if (campaignIds.has(id)) invalidConfig(`duplicate campaign id "${id}"`);
    campaignIds.add(id);
    if (!brands.has(camp.brand)) invalidConfig(`campaigns[${i}] names unknown brand "${camp.brand}"`);
    if (!Array.isArray(camp.arms) || camp.arms.length === 0)
      invalidConfig(`campaigns[${i}] needs at least one arm`);
    const armIds = new Set<string>();
    camp.arms.forEach((a, j) => {
      const armId = checkId(`campaigns[${i}].arms[${j}].id`, a.id, 256);
      if (armIds.has(armId)) invalidConfig(`campaigns[${i}] has duplicate arm id "${armId}"`);
      armIds.add(armId);
      checkShare(`campaigns[${i}].arms[${j}].clickRate`, a.clickRate, 0);
      checkShare(`campaigns[${i}].arms[${j}].conversionRate`, a.conversionRate, 0);
    });
    checkRange(`campaigns[${i}].impressionsPerSec`, camp.impressionsPerSec, 0, 1e6, '1e6');
    checkFlag(`campaigns[${i}].decide`, camp.decide);
    for (const k of ['from', 'until'] as const) {
      if (camp[k] !== undefined && !Number.isFinite(camp[k]))
        invalidConfig(`campaigns[${i}].${k} must be a finite ms epoch`);
    }
    return { ...camp, arms: camp.arms.map((a) => ({ ...a })), stream: streamOf(id) };
  });
}

/**
 * Campaigns with hidden true click and conversion rates: the feedback they cause (impressions,
 * clicks, conversions) and the tags they put on posts about their brand.
 */
export class CampaignTraffic {
  private readonly byBrand = new Map<string, CampaignPlan[]>();
  private readonly timed: boolean;

  /** `closedLoop`: `decide` campaigns get no feedback here (a closed-loop client makes it by asking for decisions). */
  constructor(
    private readonly seed: number,
    private readonly plans: readonly CampaignPlan[],
    private readonly closedLoop = false,
  ) {
    for (const c of plans) {
      const list = this.byBrand.get(c.brand) ?? [];
      list.push(c);
      this.byBrand.set(c.brand, list);
    }
    this.timed = plans.some((c) => c.from !== undefined || c.until !== undefined);
  }

  /** The campaigns with their hidden arm rates, for ground truth. */
  specs(): CampaignSpec[] {
    return this.plans.map(({ stream: _stream, ...c }) => ({ ...c, arms: c.arms.map((a) => ({ ...a })) }));
  }

  /** The campaign and arm a post about `brand` at `t` is tagged with, for a share of posts. */
  tag(rng: Random, brand: string, t: number): { id: string; arm: string } | undefined {
    let campaigns = this.byBrand.get(brand);
    if (campaigns && this.timed) campaigns = campaigns.filter((c) => isActive(c, t));
    if (!campaigns || campaigns.length === 0 || !rng.chance(CAMPAIGN_TAG_SHARE)) return undefined;
    const c = rng.pick(campaigns);
    return { id: c.id, arm: rng.pick(c.arms).id };
  }

  /** The feedback of every campaign active at the slot's start, campaign by campaign. */
  feedback(slot: number): Slotted[] {
    const start = slot * SLOT_MS;
    return this.plans
      .filter((c) => isActive(c, start) && !(this.closedLoop && c.decide === true))
      .flatMap((c) => this.campaignSlot(slot, c));
  }

  private campaignSlot(slot: number, c: CampaignPlan): Slotted[] {
    const rng = slotRandom(this.seed, slot, c.stream);
    const start = slot * SLOT_MS;
    const n = rng.poisson(c.impressionsPerSec / (1000 / SLOT_MS));
    const out: Slotted[] = [];
    const emit = (arm: string, decision: string, kind: FeedbackEvent['kind'], at: number): void => {
      const event: FeedbackEvent = { campaign: c.id, arm, decision_id: decision, kind, value: 1, ts: at };
      out.push({ at, item: { kind: 'feedback', event } });
    };
    for (let k = 0; k < n; k++) {
      // rotating start so impressions split evenly over arms across slots
      const arm = c.arms[(slot + k) % c.arms.length]!;
      const decision = `d-${this.seed}-${c.id}-${slot}-${k}`;
      // the whole chain stays inside the slot, so a range never holds a click without its impression
      const shown = start + rng.int(SLOT_MS);
      emit(arm.id, decision, 'impression', shown);
      if (!rng.chance(arm.clickRate)) continue;
      const clicked = shown + rng.int(start + SLOT_MS - shown);
      emit(arm.id, decision, 'click', clicked);
      if (!rng.chance(arm.conversionRate)) continue;
      emit(arm.id, decision, 'conversion', clicked + rng.int(start + SLOT_MS - clicked));
    }
    return out;
  }
}

export function isActive(c: CampaignSpec, t: number): boolean {
  return (c.from === undefined || t >= c.from) && (c.until === undefined || t < c.until);
}
