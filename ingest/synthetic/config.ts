import type { BrandSpec } from '../../stream/model/index.js';
import { normalizeCampaigns, type CampaignPlan, type CampaignSpec } from './campaigns.js';
import { checkFlag, checkId, checkRange, checkShare, invalidConfig } from './config-checks.js';
import { normalizeFaults, type FaultPlan, type FaultSpec } from './faults.js';
import { normalizeMix, type SentimentMix } from './rates.js';
import { normalizeSpikes, type SpikePlan, type SpikeSpec } from './spikes.js';
import type { TopicMaterial } from './text/topic-vocabulary.js';
import {
  normalizePhases,
  normalizeTopics,
  type PhaseDraws,
  type TopicPhase,
  type TopicSpec,
} from './topics.js';

/** What to generate. Late, duplicate and malformed posts: see FaultSpec. */
export interface GeneratorConfig extends FaultSpec {
  seed: number;
  brands: BrandSpec[];
  /** mean social posts per second over a day */
  ratePerSec: number;
  /** default 0.35/0.45/0.20 */
  mix?: SentimentMix;
  /** 0..1, default 0.5: volume follows a daily curve, peak 18:00 UTC, trough 06:00 */
  dailyAmplitude?: number;
  spikes?: SpikeSpec[];
  campaigns?: CampaignSpec[];
  /** author pool size, default 5000; followers Pareto-distributed, a few verified */
  authors?: number;
  /** default 0.05: share of posts whose ts is up to 3 s before their slot, so they arrive out of order */
  outOfOrderShare?: number;
  /** default 0.1: posts that mention no tracked brand */
  brandlessShare?: number;
  /** Topics besides BUILTIN_TOPICS and `general`. */
  topics?: TopicSpec[];
  /**
   * The topic mix over time, phases in ascending `from`; before the first phase the first one
   * applies. Default: every brand post is `general` (the generic templates).
   */
  topicPhases?: TopicPhase[];
  /**
   * Campaigns with `decide` get no feedback from the generator, backfill included: a
   * `ClosedLoopCampaigns` client makes it live by asking the campaign's policy. Default false: the
   * generator rotates their arms evenly, as for every campaign.
   */
  closedLoop?: boolean;
}

/** A checked config with every default filled in. */
export interface NormalizedConfig {
  seed: number;
  brands: BrandSpec[];
  ratePerSec: number;
  mix: SentimentMix;
  dailyAmplitude: number;
  spikes: SpikePlan[];
  campaigns: CampaignPlan[];
  authors: number;
  outOfOrderShare: number;
  brandlessShare: number;
  topics: Map<string, TopicMaterial>;
  /** Ascending by `from`. */
  phases: PhaseDraws[];
  faults: FaultPlan;
  closedLoop: boolean;
}

/** Checks a config (a RangeError naming the first bad setting) and fills in the defaults. */
export function normalizeConfig(c: GeneratorConfig): NormalizedConfig {
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffff_ffff) {
    invalidConfig(`seed must be an integer in 0..4294967295 (got ${c.seed})`);
  }
  if (!Array.isArray(c.brands) || c.brands.length === 0) invalidConfig('brands must list at least one brand');
  const names = new Map<string, number>();
  c.brands.forEach((b, i) => {
    const name = checkId(`brands[${i}].name`, b.name, 200);
    if (names.has(name)) invalidConfig(`duplicate brand name "${name}"`);
    names.set(name, i);
  });
  checkRange('ratePerSec', c.ratePerSec, 0, 1e6, '1e6');
  const mix = normalizeMix(c.mix);
  const topics = normalizeTopics(c.topics ?? [], names);
  const spikes = normalizeSpikes(c.spikes ?? [], names, topics);
  const campaigns = normalizeCampaigns(c.campaigns ?? [], names);
  const authors = c.authors ?? 5000;
  if (!Number.isInteger(authors) || authors < 1 || authors > 1_000_000) {
    invalidConfig(`authors must be an integer in 1..1000000 (got ${authors})`);
  }
  return {
    seed: c.seed,
    brands: c.brands.map((b) => ({ ...b })),
    ratePerSec: c.ratePerSec,
    mix,
    dailyAmplitude: checkShare('dailyAmplitude', c.dailyAmplitude, 0.5),
    spikes,
    campaigns,
    authors,
    outOfOrderShare: checkShare('outOfOrderShare', c.outOfOrderShare, 0.05),
    brandlessShare: checkShare('brandlessShare', c.brandlessShare, 0.1),
    topics,
    phases: normalizePhases(c.topicPhases ?? [], topics, c.topics ?? [], c.brands),
    faults: normalizeFaults(c),
    closedLoop: checkFlag('closedLoop', c.closedLoop),
  };
}
