import { FeatureBuffer, tokenize, type Token } from '../text/index.js';
import { SentimentFeaturizer, type FeatureSpec } from './features.js';
import {
  SENTIMENT_LABELS,
  type SentimentLabel,
  type SentimentResult,
  type SentimentScorer,
  type SentimentTier,
} from './types.js';

/** The number of classes: negative, neutral, positive, in that order (SENTIMENT_LABELS). */
export const CLASSES = 3;

/**
 * A trained linear (multinomial logistic regression) sentiment model over hashed features.
 * Weights are bucket-major: the logit of class c gains `value * weights[bucket * 3 + c] * scales[c]`.
 */
export interface LinearModel {
  /** Model id stored with every result, for example "linear-v1". */
  id: string;
  features: FeatureSpec;
  weights: Int8Array | Float32Array;
  /** Per-class factor of the weights (int8 weights are stored scaled; 1 for float weights). */
  scales: readonly number[];
  bias: readonly number[];
  /** How the model was made: data, settings, command; kept with the weights for the record. */
  training: Record<string, unknown>;
}

/**
 * The fast trained tier: a linear classifier over hashed word and character n-grams plus the rules
 * tier's lexicon analysis. Pure: the weights are passed in, nothing is read from disk.
 */
export class LinearSentiment implements SentimentScorer {
  readonly tier: SentimentTier = 'linear';
  readonly model: string;
  private readonly featurizer: SentimentFeaturizer;
  private readonly buffer = new FeatureBuffer(1024);
  private readonly weights: Int8Array | Float32Array;
  private readonly s0: number;
  private readonly s1: number;
  private readonly s2: number;
  private readonly b0: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly logits = new Float64Array(CLASSES);

  constructor(readonly spec: LinearModel) {
    this.featurizer = new SentimentFeaturizer(spec.features);
    if (spec.weights.length !== this.featurizer.dims * CLASSES)
      throw new RangeError(
        `weights hold ${spec.weights.length} values; the features need ${this.featurizer.dims * CLASSES}`,
      );
    if (spec.scales.length !== CLASSES || spec.bias.length !== CLASSES)
      throw new RangeError('a linear model needs 3 scales and 3 biases');
    this.model = spec.id;
    this.weights = spec.weights;
    [this.s0, this.s1, this.s2] = spec.scales as [number, number, number];
    [this.b0, this.b1, this.b2] = spec.bias as [number, number, number];
  }

  score(text: string, tokens?: Token[]): SentimentResult {
    const p = this.probabilities(tokens ?? tokenize(typeof text === 'string' ? text : ''));
    const [neg, neu, pos] = [p[0]!, p[1]!, p[2]!];
    let best = 1;
    if (neg > p[best]!) best = 0;
    if (pos > p[best]!) best = 2;
    return {
      label: SENTIMENT_LABELS[best] as SentimentLabel,
      score: round4(pos - neg),
      confidence: round4(Math.max(neg, neu, pos)),
    };
  }

  /** Class probabilities (negative, neutral, positive) of a tokenized text. The array is reused by the next call. */
  probabilities(tokens: Token[]): Float64Array {
    const out = this.buffer;
    this.featurizer.featurize(tokens, out);
    const w = this.weights;
    const idx = out.indices;
    const val = out.values;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    for (let i = 0; i < out.length; i++) {
      const v = val[i]!;
      const at = idx[i]! * 3;
      z0 += v * w[at]!;
      z1 += v * w[at + 1]!;
      z2 += v * w[at + 2]!;
    }
    const p = this.logits;
    softmax3(z0 * this.s0 + this.b0, z1 * this.s1 + this.b1, z2 * this.s2 + this.b2, p);
    return p;
  }
}

/** Softmax of three logits into `out`, stable for any finite input. */
export function softmax3(z0: number, z1: number, z2: number, out: Float64Array): void {
  const m = Math.max(z0, z1, z2);
  const e0 = Math.exp(z0 - m);
  const e1 = Math.exp(z1 - m);
  const e2 = Math.exp(z2 - m);
  const sum = e0 + e1 + e2;
  out[0] = e0 / sum;
  out[1] = e1 / sum;
  out[2] = e2 / sum;
}

/**
 * Float weights to int8 with one scale per class (symmetric, round to nearest): a quarter of the
 * size, and the logits move by far less than the gaps between classes (the eval shows it).
 */
export function quantizeWeights(weights: Float32Array | Float64Array): {
  weights: Int8Array;
  scales: number[];
} {
  const scales: number[] = [];
  for (let c = 0; c < CLASSES; c++) {
    let max = 0;
    for (let i = c; i < weights.length; i += CLASSES) max = Math.max(max, Math.abs(weights[i]!));
    scales.push(max > 0 ? max / 127 : 1);
  }
  const q = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    q[i] = Math.max(-127, Math.min(127, Math.round(weights[i]! / scales[i % CLASSES]!)));
  }
  return { weights: q, scales };
}

function round4(x: number): number {
  const r = Math.round(x * 10_000) / 10_000;
  return r === 0 ? 0 : r;
}
