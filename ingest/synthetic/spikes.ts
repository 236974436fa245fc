import type { Random } from '../../engines/stats/index.js';
import type { SentimentLabel } from '../../stream/model/index.js';
import { checkRange, checkShare, invalidConfig } from './config-checks.js';
import type { SentimentMix } from './rates.js';

/** Spikes: a brand's volume multiplied for a while, mostly complaints about one topic. */

/** Built-in topics whose complaints a spike is about by default, in turn by the spike's position. */
export type SpikeTopic = 'outage' | 'recall' | 'price-hike' | 'data-breach';
export const SPIKE_TOPICS: readonly SpikeTopic[] = ['outage', 'recall', 'price-hike', 'data-breach'];

/** The share of a spike's negative posts that are about the spike's topic. */
export const SPIKE_TOPIC_SHARE = 0.85;

export interface SpikeSpec {
  brand: string;
  /** ms epoch */
  start: number;
  durationMs: number;
  volumeMultiplier: number;
  /** 0..1 share of that brand's posts that are negative during the spike */
  negativeShare: number;
  /** A topic name (built-in or custom, not `general`). Default: SPIKE_TOPICS in turn by the spike's position in the list. */
  topic?: string;
}

/** A checked spike with its topic filled in and its brand's index. */
export type SpikePlan = SpikeSpec & { topic: string; brandIndex: number };

/** A spike as generated, for ground truth. */
export interface SpikeTruth {
  brand: string;
  start: number;
  end: number;
  topic: string;
  size: number;
  negativeShare: number;
}

/** What the spikes over a brand at one time do to its posts. */
export interface ActiveSpike {
  multiplier: number;
  negativeShare: number;
  topic: string;
}

/** `brands` indexes the brand names; `topics` holds every topic a spike may name. */
export function normalizeSpikes(
  spikes: readonly SpikeSpec[],
  brands: Map<string, number>,
  topics: ReadonlyMap<string, unknown>,
): SpikePlan[] {
  return spikes.map((s, i) => {
    const brandIndex = brands.get(s.brand);
    if (brandIndex === undefined) invalidConfig(`spikes[${i}] names unknown brand "${s.brand}"`);
    if (!Number.isFinite(s.start)) invalidConfig(`spikes[${i}].start must be a finite ms epoch`);
    if (!Number.isFinite(s.durationMs) || s.durationMs <= 0)
      invalidConfig(`spikes[${i}].durationMs must be > 0`);
    checkRange(`spikes[${i}].volumeMultiplier`, s.volumeMultiplier, 0, 1000);
    checkShare(`spikes[${i}].negativeShare`, s.negativeShare, 0);
    const topic = s.topic ?? SPIKE_TOPICS[i % SPIKE_TOPICS.length]!;
    if (!topics.has(topic))
      invalidConfig(`spikes[${i}].topic must be one of ${[...topics.keys()].join(', ')}`);
    return { ...s, topic, brandIndex };
  });
}

/** The spikes over brand `brandIndex` at `t`, combined: multipliers multiply, the first one's topic holds. */
export function activeSpike(
  spikes: readonly SpikePlan[],
  brandIndex: number,
  t: number,
): ActiveSpike | undefined {
  let active: ActiveSpike | undefined;
  for (const s of spikes) {
    if (s.brandIndex !== brandIndex || t < s.start || t >= s.start + s.durationMs) continue;
    active = active
      ? {
          multiplier: active.multiplier * s.volumeMultiplier,
          negativeShare: Math.max(active.negativeShare, s.negativeShare),
          topic: active.topic,
        }
      : { multiplier: s.volumeMultiplier, negativeShare: s.negativeShare, topic: s.topic };
  }
  return active;
}

export function spikeTruth(s: SpikePlan): SpikeTruth {
  return {
    brand: s.brand,
    start: s.start,
    end: s.start + s.durationMs,
    topic: s.topic,
    size: s.volumeMultiplier,
    negativeShare: s.negativeShare,
  };
}

/** During a spike the negative share is fixed; positive and neutral keep their ratio. */
export function spikeLabel(rng: Random, mix: SentimentMix, negativeShare: number): SentimentLabel {
  if (rng.chance(negativeShare)) return 'negative';
  const rest = mix.positive + mix.neutral;
  if (rest <= 0) return 'neutral';
  return rng.chance(mix.positive / rest) ? 'positive' : 'neutral';
}
