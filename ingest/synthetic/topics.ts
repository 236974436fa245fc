import type { Random } from '../../engines/stats/index.js';
import type { BrandSpec } from '../../stream/model/index.js';
import { checkId, invalidConfig } from './config-checks.js';
import { BUILTIN_TOPICS, type TopicMaterial } from './text/topic-vocabulary.js';

/**
 * What brand posts are about over time: the built-in topics and a scenario's own, and phases that
 * change the topic mix at given times.
 */

/** The topic of everyday posts (the generic templates), of comparisons and of posts without a brand. */
export const GENERAL_TOPIC = 'general';

/**
 * A topic's own vocabulary, so a topic detector can find its posts: templates per true label
 * (`{1}` the brand, required; `{p}` a product; `{n}` a number) and hashtags without the `#`.
 */
export interface TopicSpec {
  name: string;
  positive: readonly string[];
  neutral: readonly string[];
  negative: readonly string[];
  hashtags?: readonly string[];
  /** Only posts about these brands take this topic (others share its weight out); default: all brands. */
  brands?: readonly string[];
}

/** From `from` (ms epoch) on, the topic of each brand post is drawn by these weights (any scale). */
export interface TopicPhase {
  from: number;
  weights: Record<string, number>;
}

/** A phase's topic draw for one brand: topic names and their cumulative weights. */
export interface TopicDraw {
  names: string[];
  cumulative: number[];
}

/** A phase as the generator uses it: `byBrand[b]` is the draw for brand index b. */
export interface PhaseDraws {
  from: number;
  byBrand: TopicDraw[];
}

/** The built-in topics and the custom ones, by name; `brands` indexes the brand names. */
export function normalizeTopics(
  custom: readonly TopicSpec[],
  brands: Map<string, number>,
): Map<string, TopicMaterial> {
  const topics = new Map<string, TopicMaterial>(Object.entries(BUILTIN_TOPICS));
  custom.forEach((t, i) => {
    const name = checkId(`topics[${i}].name`, t.name, 100);
    if (name === GENERAL_TOPIC || topics.has(name)) invalidConfig(`topics[${i}].name "${name}" is taken`);
    for (const label of ['positive', 'neutral', 'negative'] as const) {
      const list = t[label];
      if (!Array.isArray(list) || list.length === 0)
        invalidConfig(`topics[${i}].${label} needs at least one template`);
      list.forEach((tpl, j) => {
        if (typeof tpl !== 'string' || !tpl.includes('{1}'))
          invalidConfig(`topics[${i}].${label}[${j}] must be a string that names the brand as {1}`);
      });
    }
    (t.brands ?? []).forEach((b, j) => {
      if (!brands.has(b)) invalidConfig(`topics[${i}].brands[${j}] names unknown brand "${b}"`);
    });
    topics.set(name, {
      positive: [...t.positive],
      neutral: [...t.neutral],
      negative: [...t.negative],
      hashtags: [...(t.hashtags ?? [])],
    });
  });
  return topics;
}

/** Each phase's draw per brand: the topics it may take (restricted topics only for their brands). */
export function normalizePhases(
  phases: readonly TopicPhase[],
  topics: Map<string, TopicMaterial>,
  custom: readonly TopicSpec[],
  brands: readonly BrandSpec[],
): PhaseDraws[] {
  const only = new Map(custom.filter((t) => t.brands).map((t) => [t.name, new Set(t.brands)]));
  let previous = Number.NEGATIVE_INFINITY;
  return phases.map((p, i) => {
    if (!Number.isFinite(p.from) || p.from <= previous)
      invalidConfig(`topicPhases[${i}].from must be a finite ms epoch after the previous phase's`);
    previous = p.from;
    for (const [name, w] of Object.entries(p.weights)) {
      if (name !== GENERAL_TOPIC && !topics.has(name))
        invalidConfig(`topicPhases[${i}] names unknown topic "${name}"`);
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
        invalidConfig(`topicPhases[${i}].weights.${name} must be a number >= 0`);
    }
    const byBrand = brands.map((b) => {
      const names: string[] = [];
      const cumulative: number[] = [];
      let total = 0;
      for (const [name, w] of Object.entries(p.weights)) {
        if (w <= 0 || (only.has(name) && !only.get(name)!.has(b.name))) continue;
        total += w;
        names.push(name);
        cumulative.push(total);
      }
      return total > 0 ? { names, cumulative } : { names: [GENERAL_TOPIC], cumulative: [1] };
    });
    return { from: p.from, byBrand };
  });
}

/** The draws of the phase at `t`; before the first phase the first one applies. */
export function phaseAt(phases: readonly PhaseDraws[], t: number): TopicDraw[] | undefined {
  let current = phases[0];
  for (const p of phases) {
    if (p.from > t) break;
    current = p;
  }
  return current?.byBrand;
}

export function drawTopic(rng: Random, draw: TopicDraw): string {
  const total = draw.cumulative[draw.cumulative.length - 1]!;
  const u = rng.next() * total;
  const i = draw.cumulative.findIndex((c) => u < c);
  return draw.names[i < 0 ? draw.names.length - 1 : i]!;
}

/** A topic's material; normalizeTopics has checked every name a config uses. */
export function materialOf(topics: Map<string, TopicMaterial>, topic: string): TopicMaterial {
  const m = topics.get(topic);
  if (!m) throw new Error(`no material for topic "${topic}"`);
  return m;
}
