import type { BrandSpec } from '../stream/model/index.js';
import type { CampaignSpec } from './synthetic/index.js';

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
    },
  ];
}
