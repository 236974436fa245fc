import type { SocialEventInput } from '../../stream/model/index.js';
import { CampaignTraffic, type CampaignSpec } from './campaigns.js';
import { normalizeConfig, type GeneratorConfig, type NormalizedConfig } from './config.js';
import type { GeneratedEvent, Slotted, SocialSlot } from './events.js';
import { injectFaults, MAX_LATE_MS } from './faults.js';
import { PostWriter } from './posts.js';
import { brandShares, slotMean } from './rates.js';
import { SLOT_MS, slotRandom, STREAM_SOCIAL } from './slots.js';
import { activeSpike, spikeTruth, type ActiveSpike, type SpikeTruth } from './spikes.js';
import { phaseAt } from './topics.js';

/** Out-of-order events carry a ts up to this much before their slot. */
export const MAX_OUT_OF_ORDER_MS = 3000;

const MIN_TS = 946_684_800_000 + MAX_LATE_MS;
const MAX_TS = 4_102_444_800_000;

/**
 * Seeded synthetic traffic: social posts about a set of brands and campaign feedback. Every 100 ms
 * slot is generated from its own random stream derived from (seed, slot), so any range of event time
 * can be generated on its own, in any order, on any instance, with identical results; event ids
 * (`syn-<seed>-<slot>-<k>`) are stable too, so a restarted source that regenerates a range produces
 * duplicates that the bus dedups instead of new events.
 *
 * Injected faults (late, duplicate and malformed posts) draw from a random stream of their own, so
 * turning them on changes nothing else; with them off the output is what it was before they existed.
 */
export class SyntheticGenerator {
  private readonly cfg: NormalizedConfig;
  private readonly posts: PostWriter;
  private readonly brandShare: number[];
  private readonly campaignTraffic: CampaignTraffic;
  /** Slots a re-sent copy can trail its original by. */
  private readonly copySlots: number;
  /** Recent slots' social output, so a slot can collect the copies that earlier slots scheduled into it. */
  private readonly recent = new Map<number, SocialSlot>();

  constructor(config: GeneratorConfig) {
    this.cfg = normalizeConfig(config);
    this.campaignTraffic = new CampaignTraffic(this.cfg.seed, this.cfg.campaigns, this.cfg.closedLoop);
    this.posts = new PostWriter(this.cfg, this.campaignTraffic);
    this.brandShare = brandShares(this.cfg.brands);
    this.copySlots = Math.ceil((this.cfg.faults.duplicates?.maxDelayMs ?? 0) / SLOT_MS);
  }

  /** The spikes with their topics filled in, for ground truth. */
  spikes(): SpikeTruth[] {
    return this.cfg.spikes.map(spikeTruth);
  }

  /** The campaigns with their hidden arm rates, for ground truth. */
  campaigns(): CampaignSpec[] {
    return this.campaignTraffic.specs();
  }

  /**
   * All events whose generation time lies in [fromMs, toMs), in slot order (by generation time
   * within a slot). A post's ts equals its generation time except for the out-of-order share, whose
   * ts is 1–3000 ms earlier, and injected late posts. Because every slot has its own random stream,
   * [a,b) then [b,c) yields exactly the events of [a,c), and the result does not depend on earlier
   * calls.
   */
  *generate(fromMs: number, toMs: number): Generator<GeneratedEvent> {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) {
      throw new RangeError(`generate: need finite fromMs <= toMs (got ${fromMs}, ${toMs})`);
    }
    if (fromMs >= toMs) return;
    if (fromMs < MIN_TS || toMs > MAX_TS) {
      throw new RangeError(`generate: range must lie within ${MIN_TS}..${MAX_TS} ms epoch`);
    }
    const first = Math.floor(fromMs / SLOT_MS);
    const last = Math.ceil(toMs / SLOT_MS) - 1;
    for (let slot = first; slot <= last; slot++) {
      for (const { at, item } of this.slot(slot)) {
        if (at >= fromMs && at < toMs) yield item;
      }
    }
  }

  private slot(slot: number): Slotted[] {
    const duplicates = this.cfg.faults.duplicates;
    const out = [...this.socialOf(slot).sent];
    for (let s = slot - this.copySlots; duplicates && s <= slot; s++) {
      for (const c of this.socialOf(s).copies) if (Math.floor(c.at / SLOT_MS) === slot) out.push(c);
    }
    out.push(...this.campaignTraffic.feedback(slot));
    // stable sort: ties keep social before feedback, each in generation order
    return out.sort((a, b) => a.at - b.at);
  }

  /** socialSlot, kept for the slots that may still hold copies due later when duplicates are on. */
  private socialOf(slot: number): SocialSlot {
    if (!this.cfg.faults.duplicates) return this.socialSlot(slot);
    let s = this.recent.get(slot);
    if (!s) {
      s = this.socialSlot(slot);
      this.recent.set(slot, s);
      if (this.recent.size > 4 * (this.copySlots + 1)) {
        for (const k of this.recent.keys()) if (k < slot - this.copySlots || k > slot) this.recent.delete(k);
      }
    }
    return s;
  }

  private socialSlot(slot: number): SocialSlot {
    const { cfg } = this;
    const rng = slotRandom(cfg.seed, slot, STREAM_SOCIAL);
    const start = slot * SLOT_MS;
    const base = slotMean(cfg.ratePerSec, start, cfg.dailyAmplitude);
    const phase = phaseAt(cfg.phases, start);

    const drafts: { offset: number; make: (k: number) => Slotted }[] = [];
    const add = (brandIndex: number | undefined, spike: ActiveSpike | undefined): void => {
      const offset = rng.int(SLOT_MS);
      const post = this.posts.write(rng, start, phase, brandIndex, spike);
      const late = rng.chance(cfg.outOfOrderShare) ? 1 + rng.int(MAX_OUT_OF_ORDER_MS) : 0;
      drafts.push({
        offset,
        make: (k) => {
          const at = start + offset;
          const event: SocialEventInput = {
            id: `syn-${cfg.seed}-${slot}-${k}`,
            ts: at - late,
            ...post.event,
          };
          return { at, item: { kind: 'social', event, truth: post.truth } };
        },
      });
    };

    const brandless = rng.poisson(base * cfg.brandlessShare);
    for (let i = 0; i < brandless; i++) add(undefined, undefined);
    for (let b = 0; b < cfg.brands.length; b++) {
      const spike = activeSpike(cfg.spikes, b, start);
      const mean = base * (1 - cfg.brandlessShare) * (this.brandShare[b] ?? 0) * (spike?.multiplier ?? 1);
      const n = rng.poisson(mean);
      for (let i = 0; i < n; i++) add(b, spike);
    }
    drafts.sort((a, b) => a.offset - b.offset);
    const sent = drafts.map((d, k) => d.make(k));
    return injectFaults(cfg.seed, cfg.faults, slot, sent);
  }
}
