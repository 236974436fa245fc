import { FeatureBuffer, tokenize } from '../text/index.js';
import { SentimentFeaturizer, type FeatureSpec } from './features.js';
import { minimizeLbfgs } from './lbfgs.js';
import { CLASSES, quantizeWeights, type LinearModel } from './linear.js';
import { SENTIMENT_LABELS, type SentimentLabel } from './types.js';

export interface TrainExample {
  text: string;
  label: SentimentLabel;
}

export interface TrainOptions {
  id: string;
  features: FeatureSpec;
  /** L2 penalty on the weights (not the biases), added to the mean log loss. */
  l2: number;
  /**
   * `balanced` weighs each example by n / (3 · n_class), so each class counts the same in the loss:
   * the objective then matches macro-averaged recall instead of accuracy on the majority class.
   */
  classWeights: 'balanced' | 'none';
  maxIterations: number;
  /** Stop when the loss improves by less than this fraction over 5 iterations. */
  tolerance: number;
  /** Store int8 weights (a quarter of the size) instead of float32. */
  quantize: boolean;
  /** Recorded in the model's training facts (for example the data file and the command). */
  notes?: Record<string, unknown>;
}

/** l2 chosen on the TweetEval validation split (1e-5 overfits, 1e-4 and up underfit). */
export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'id' | 'features'> = {
  l2: 3e-5,
  classWeights: 'balanced',
  maxIterations: 300,
  tolerance: 1e-5,
  quantize: true,
};

export type TrainProgress =
  { phase: 'features'; done: number; total: number } | { phase: 'optimize'; iteration: number; loss: number };

/** Hashed features of many texts, in compressed sparse rows over the buckets the texts use. */
interface Design {
  offsets: Int32Array;
  columns: Int32Array;
  values: Float32Array;
  /** columns index this list of buckets. */
  buckets: Int32Array;
}

/**
 * Trains the linear tier: multinomial logistic regression with an L2 penalty, fitted by L-BFGS on
 * the full batch. There are no random steps, so the same examples and options give the same
 * weights, byte for byte; the seed in the feature spec chooses the hash function.
 */
export function trainLinear(
  examples: readonly TrainExample[],
  options: TrainOptions,
  onProgress?: (p: TrainProgress) => void,
): LinearModel {
  if (examples.length === 0) throw new RangeError('no training examples');
  const featurizer = new SentimentFeaturizer(options.features);
  const labels = Int8Array.from(examples, (e) => {
    const y = SENTIMENT_LABELS.indexOf(e.label);
    if (y < 0) throw new RangeError(`unknown label "${String(e.label)}"`);
    return y;
  });
  const design = buildDesign(examples, featurizer, onProgress);
  const weights = exampleWeights(labels, options.classWeights);

  const features = design.buckets.length;
  const size = features * CLASSES + CLASSES;
  const objective = (theta: Float64Array, grad: Float64Array) =>
    logLoss(theta, grad, design, labels, weights, options.l2);
  const { x } = minimizeLbfgs(
    objective,
    new Float64Array(size),
    { memory: 10, maxIterations: options.maxIterations, tolerance: options.tolerance },
    (p) => onProgress?.({ phase: 'optimize', iteration: p.iteration, loss: p.value }),
  );

  const full = new Float32Array(featurizer.dims * CLASSES);
  for (let f = 0; f < features; f++) {
    const bucket = design.buckets[f]!;
    for (let c = 0; c < CLASSES; c++) full[bucket * CLASSES + c] = x[f * CLASSES + c]!;
  }
  const bias = Array.from({ length: CLASSES }, (_, c) => x[features * CLASSES + c]!);
  const counts = SENTIMENT_LABELS.map((_, c) => labels.filter((y) => y === c).length);
  const training = {
    examples: examples.length,
    class_counts: Object.fromEntries(SENTIMENT_LABELS.map((l, c) => [l, counts[c]])),
    buckets_used: features,
    l2: options.l2,
    class_weights: options.classWeights,
    max_iterations: options.maxIterations,
    tolerance: options.tolerance,
    quantized: options.quantize,
    ...options.notes,
  };
  if (!options.quantize)
    return { id: options.id, features: featurizer.spec, weights: full, scales: [1, 1, 1], bias, training };
  const q = quantizeWeights(full);
  return { id: options.id, features: featurizer.spec, weights: q.weights, scales: q.scales, bias, training };
}

function buildDesign(
  examples: readonly TrainExample[],
  featurizer: SentimentFeaturizer,
  onProgress?: (p: TrainProgress) => void,
): Design {
  const buffer = new FeatureBuffer(2048);
  const offsets = new Int32Array(examples.length + 1);
  let columns = new Int32Array(1 << 20);
  let values = new Float32Array(1 << 20);
  const compact = new Map<number, number>();
  const buckets: number[] = [];
  let nnz = 0;
  examples.forEach((e, i) => {
    featurizer.featurize(tokenize(e.text), buffer);
    if (nnz + buffer.length > columns.length) {
      const capacity = Math.max(columns.length * 2, nnz + buffer.length);
      const c = new Int32Array(capacity);
      c.set(columns);
      columns = c;
      const v = new Float32Array(capacity);
      v.set(values);
      values = v;
    }
    for (let k = 0; k < buffer.length; k++) {
      const bucket = buffer.indices[k]!;
      let col = compact.get(bucket);
      if (col === undefined) {
        col = buckets.length;
        compact.set(bucket, col);
        buckets.push(bucket);
      }
      columns[nnz] = col;
      values[nnz] = buffer.values[k]!;
      nnz++;
    }
    offsets[i + 1] = nnz;
    if ((i + 1) % 5000 === 0 || i + 1 === examples.length)
      onProgress?.({ phase: 'features', done: i + 1, total: examples.length });
  });
  return {
    offsets,
    columns: columns.subarray(0, nnz),
    values: values.subarray(0, nnz),
    buckets: Int32Array.from(buckets),
  };
}

function exampleWeights(labels: Int8Array, mode: TrainOptions['classWeights']): Float64Array {
  const counts = new Float64Array(CLASSES);
  for (const y of labels) counts[y]!++;
  return Float64Array.from(labels, (y) => (mode === 'balanced' ? labels.length / (CLASSES * counts[y]!) : 1));
}

/** Weighted mean cross-entropy plus (l2 / 2)·|W|², and its gradient. theta = [W (features × 3), b (3)]. */
function logLoss(
  theta: Float64Array,
  grad: Float64Array,
  d: Design,
  labels: Int8Array,
  weights: Float64Array,
  l2: number,
): number {
  grad.fill(0);
  const biasAt = d.buckets.length * CLASSES;
  const b0 = theta[biasAt]!;
  const b1 = theta[biasAt + 1]!;
  const b2 = theta[biasAt + 2]!;
  let total = 0;
  let weightSum = 0;
  for (let i = 0; i < labels.length; i++) weightSum += weights[i]!;
  let loss = 0;
  for (let i = 0; i < labels.length; i++) {
    const from = d.offsets[i]!;
    const to = d.offsets[i + 1]!;
    let z0 = b0;
    let z1 = b1;
    let z2 = b2;
    for (let k = from; k < to; k++) {
      const at = d.columns[k]! * CLASSES;
      const v = d.values[k]!;
      z0 += v * theta[at]!;
      z1 += v * theta[at + 1]!;
      z2 += v * theta[at + 2]!;
    }
    const m = Math.max(z0, z1, z2);
    const e0 = Math.exp(z0 - m);
    const e1 = Math.exp(z1 - m);
    const e2 = Math.exp(z2 - m);
    const sum = e0 + e1 + e2;
    const y = labels[i]!;
    const zy = y === 0 ? z0 : y === 1 ? z1 : z2;
    const w = weights[i]! / weightSum;
    loss += w * (m + Math.log(sum) - zy);
    const r0 = w * (e0 / sum - (y === 0 ? 1 : 0));
    const r1 = w * (e1 / sum - (y === 1 ? 1 : 0));
    const r2 = w * (e2 / sum - (y === 2 ? 1 : 0));
    for (let k = from; k < to; k++) {
      const at = d.columns[k]! * CLASSES;
      const v = d.values[k]!;
      grad[at]! += v * r0;
      grad[at + 1]! += v * r1;
      grad[at + 2]! += v * r2;
    }
    grad[biasAt]! += r0;
    grad[biasAt + 1]! += r1;
    grad[biasAt + 2]! += r2;
  }
  for (let j = 0; j < biasAt; j++) {
    const t = theta[j]!;
    total += t * t;
    grad[j]! += l2 * t;
  }
  return loss + 0.5 * l2 * total;
}
