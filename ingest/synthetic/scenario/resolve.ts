import type { BrandSpec } from '../../../stream/model/index.js';
import type { GeneratorConfig } from '../config.js';
import { SPIKE_TOPICS } from '../spikes.js';
import { durationMs, type Scenario } from './schema.js';

/** Default delay bound of re-sent copies. */
const DEFAULT_DUPLICATE_DELAY = '5s';
/** Default negative share of a spike, as for `--synthetic-spikes`. */
const DEFAULT_SPIKE_NEGATIVE_SHARE = 0.8;

/** A scenario pinned to a start time, with what the generator needs. */
export interface ResolvedScenario {
  name: string;
  description: string;
  /** ms epoch */
  start: number;
  /** ms epoch: start + duration, or undefined when the scenario has no duration. */
  end: number | undefined;
  config: GeneratorConfig;
}

/**
 * Pins a scenario to a start: an ISO `start` as it is, a relative one ("now", "-30m") against `now`;
 * `startOverride` (ms epoch) replaces either. Every offset in the file becomes an ms epoch.
 */
export function resolveScenario(s: Scenario, now: number, startOverride?: number): ResolvedScenario {
  const start = startOverride ?? resolveStart(s.start, now);
  const at = (offset: string): number => start + durationMs(offset);
  const config: GeneratorConfig = {
    seed: s.seed,
    brands: scenarioBrands(s),
    ratePerSec: s.rate,
    faultsFrom: start,
  };
  if (s.mix) config.mix = { ...s.mix };
  if (s.dailyAmplitude !== undefined) config.dailyAmplitude = s.dailyAmplitude;
  if (s.brandlessShare !== undefined) config.brandlessShare = s.brandlessShare;
  if (s.outOfOrderShare !== undefined) config.outOfOrderShare = s.outOfOrderShare;
  if (s.authors !== undefined) config.authors = s.authors;
  if (s.topics) config.topics = s.topics.map(({ description: _d, ...t }) => t);
  if (s.topicPhases)
    config.topicPhases = s.topicPhases.map((p) => ({ from: at(p.at), weights: { ...p.weights } }));
  if (s.campaigns) {
    config.campaigns = s.campaigns.map(({ at: offset, duration, ...c }) => {
      const from = offset === undefined ? undefined : at(offset);
      const until = duration === undefined ? undefined : (from ?? start) + durationMs(duration);
      return {
        ...c,
        arms: c.arms.map((a) => ({ ...a })),
        ...(from !== undefined && { from }),
        ...(until !== undefined && { until }),
      };
    });
  }
  if (s.spikes) {
    config.spikes = s.spikes.map((sp, i) => ({
      brand: sp.brand,
      start: at(sp.at),
      durationMs: durationMs(sp.duration),
      volumeMultiplier: sp.size,
      negativeShare: sp.negativeShare ?? DEFAULT_SPIKE_NEGATIVE_SHARE,
      topic: sp.topic ?? SPIKE_TOPICS[i % SPIKE_TOPICS.length]!,
    }));
  }
  if (s.late) {
    config.late = {
      share: s.late.share,
      minDelayMs: durationMs(s.late.minDelay),
      maxDelayMs: durationMs(s.late.maxDelay),
    };
  }
  if (s.duplicates) {
    config.duplicates = {
      share: s.duplicates.share,
      maxDelayMs: durationMs(s.duplicates.maxDelay ?? DEFAULT_DUPLICATE_DELAY),
    };
  }
  if (s.malformed) config.malformed = { share: s.malformed.share };
  return {
    name: s.name,
    description: s.description,
    start,
    end: s.duration === undefined ? undefined : start + durationMs(s.duration),
    config,
  };
}

/** The brands to track for a scenario: its own brands, then its competitors. */
export function scenarioBrands(s: Scenario): BrandSpec[] {
  const spec = (b: Scenario['brands'][number], kind: 'own' | 'competitor'): BrandSpec => ({
    name: b.name,
    ...(b.aliases && { aliases: [...b.aliases] }),
    ...(b.handles && { handles: [...b.handles] }),
    kind,
  });
  return [...s.brands.map((b) => spec(b, 'own')), ...(s.competitors ?? []).map((b) => spec(b, 'competitor'))];
}

function resolveStart(start: string, now: number): number {
  if (start === 'now') return now;
  if (start.startsWith('-')) return now - durationMs(start.slice(1));
  if (start.startsWith('+')) return now + durationMs(start.slice(1));
  return Date.parse(start);
}
