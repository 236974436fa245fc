import type { BrandSpec } from '../stream/model/index.js';
import type { CampaignSpec, TopicPhase } from './synthetic/index.js';

/**
 * Fictional brands for the embedded demo: one own brand and three competitors. Aliases include an
 * accented and an unaccented spelling, so brand matching has to cope with both.
 */
export const DEFAULT_BRANDS: BrandSpec[] = [
  {
    name: 'Northwind Coffee',
    aliases: ['Northwind', 'Northwind Café'],
    handles: ['northwindcoffee'],
    kind: 'own',
  },
  {
    name: 'Bluebird Roasters',
    aliases: ['Bluebird', 'Bluebird Coffee'],
    handles: ['bluebirdroasters'],
    kind: 'competitor',
  },
  {
    name: 'Cafe Aurora',
    aliases: ['Café Aurora', 'Aurora Cafe'],
    handles: ['cafeaurora'],
    kind: 'competitor',
  },
  {
    name: 'Harbor Brew',
    aliases: ['Harbor Brew Co', 'Harbour Brew'],
    handles: ['harborbrew'],
    kind: 'competitor',
  },
];

/**
 * One campaign for the own brand (or the first brand) with three arms. The arm with the best click
 * rate is not the one with the most conversions per impression (clickRate × conversionRate), so a
 * bandit that optimises the wrong reward picks visibly differently.
 */
export function defaultCampaigns(brands: readonly BrandSpec[] = DEFAULT_BRANDS): CampaignSpec[] {
  const brand = brands.find((b) => b.kind === 'own') ?? brands[0];
  if (!brand) return [];
  return [
    {
      id: 'spring-menu',
      brand: brand.name,
      arms: [
        { id: 'oat-latte', clickRate: 0.04, conversionRate: 0.2 },
        { id: 'two-for-one', clickRate: 0.06, conversionRate: 0.1 },
        { id: 'double-points', clickRate: 0.03, conversionRate: 0.35 },
      ],
      impressionsPerSec: 20,
      decide: true,
    },
  ];
}

/**
 * The topic mix of the demo's brand posts: about half everyday chatter (`general`), the rest the
 * steady topics a coffee brand's followers talk about. The crisis topics (outage, recall, data
 * breach) are left to spikes, so the topic panel shows them as they break.
 */
export const DEFAULT_TOPIC_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  general: 6,
  loyalty: 2,
  'seasonal-menu': 2,
  sustainability: 1,
  'store-opening': 1,
  'price-hike': 1,
});

/** The demo's topic phases: the default mix throughout (from `start`; before it the first phase applies too). */
export function defaultTopicPhases(start: number): TopicPhase[] {
  return [{ from: start, weights: { ...DEFAULT_TOPIC_WEIGHTS } }];
}
