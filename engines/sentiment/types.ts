import type { Token } from '../text/index.js';

export type SentimentLabel = 'negative' | 'neutral' | 'positive';

export interface SentimentResult {
  label: SentimentLabel;
  /** Compound polarity in [-1, 1]: -1 most negative, 0 neutral or mixed, 1 most positive. */
  score: number;
}

/** One sentiment tier. Implementations are pure: the same text (and tokens) always give the same result. */
export interface SentimentScorer {
  /** Model id stored with every result (for example "rules-v1"), so results of tiers can be told apart. */
  readonly model: string;
  /** Scores a text; pass the text's tokens when they are already at hand to skip tokenizing again. */
  score(text: string, tokens?: Token[]): SentimentResult;
}
