import type { Random } from '../../engines/stats/index.js';
import type { BrandSpec, SentimentLabel } from '../../stream/model/index.js';
import { checkShare, invalidConfig } from './config-checks.js';
import { SLOT_MS } from './slots.js';

/** How much is posted when, about whom, and how it feels: the daily curve, brand shares and label mix. */

/** Shares of true labels; they sum to 1. */
export interface SentimentMix {
  positive: number;
  neutral: number;
  negative: number;
}

const DEFAULT_MIX: SentimentMix = { positive: 0.35, neutral: 0.45, negative: 0.2 };
/** The own brand gets a larger share of voice than each competitor. */
const OWN_BRAND_WEIGHT = 1.5;

/** 1 ± amplitude, peak at 18:00 UTC, trough at 06:00 UTC; averages 1 over a day. */
function dailyFactor(ts: number, amplitude: number): number {
  const hour = (((ts % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000;
  return 1 + amplitude * Math.cos((2 * Math.PI * (hour - 18)) / 24);
}

/** Mean posts in the slot that starts at `start`, before brands and spikes share them out. */
export function slotMean(ratePerSec: number, start: number, amplitude: number): number {
  return (ratePerSec / (1000 / SLOT_MS)) * dailyFactor(start, amplitude);
}

/** Each brand's share of the brand posts. */
export function brandShares(brands: readonly BrandSpec[]): number[] {
  const weights = brands.map((b) => (b.kind === 'own' ? OWN_BRAND_WEIGHT : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** The configured mix (default 0.35/0.45/0.20), scaled to sum to exactly 1. */
export function normalizeMix(m: SentimentMix = DEFAULT_MIX): SentimentMix {
  const positive = checkShare('mix.positive', m.positive, 0);
  const neutral = checkShare('mix.neutral', m.neutral, 0);
  const negative = checkShare('mix.negative', m.negative, 0);
  const sum = positive + neutral + negative;
  if (Math.abs(sum - 1) > 0.01) invalidConfig(`mix must sum to 1 (got ${sum})`);
  return { positive: positive / sum, neutral: neutral / sum, negative: negative / sum };
}

export function drawLabel(rng: Random, mix: SentimentMix): SentimentLabel {
  const u = rng.next();
  if (u < mix.negative) return 'negative';
  if (u < mix.negative + mix.neutral) return 'neutral';
  return 'positive';
}
