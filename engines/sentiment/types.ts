import type { Token } from '../text/index.js';

export type SentimentLabel = 'negative' | 'neutral' | 'positive';

/** The sentiment tiers, fastest first (DESIGN.md, "Sentiment tiers"). */
export type SentimentTier = 'rules' | 'linear' | 'transformer';

/** The three labels in the order every model in this project uses for class indices. */
export const SENTIMENT_LABELS: readonly SentimentLabel[] = ['negative', 'neutral', 'positive'];

export interface SentimentResult {
  label: SentimentLabel;
  /** Compound polarity in [-1, 1]: -1 most negative, 0 neutral or mixed, 1 most positive. */
  score: number;
  /**
   * How sure the model is of the label, in [0, 1], for models that know it (the probability of the
   * label under the linear and transformer tiers); absent for the rules tier.
   */
  confidence?: number;
}

/** One sentiment tier. Implementations are pure: the same text (and tokens) always give the same result. */
export interface SentimentScorer {
  /** Model id stored with every result (for example "rules-v2"), so results of tiers can be told apart. */
  readonly model: string;
  /** Which tier this model belongs to; a scorer that does not say counts as a rules tier. */
  readonly tier?: SentimentTier;
  /** Scores a text; pass the text's tokens when they are already at hand to skip tokenizing again. */
  score(text: string, tokens?: Token[]): SentimentResult;
}
