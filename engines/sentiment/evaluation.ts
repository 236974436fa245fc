import { SENTIMENT_LABELS, type SentimentLabel } from './types.js';

/** Classification figures over negative/neutral/positive (TweetEval's main metric is macro recall). */
export interface ClassificationReport {
  n: number;
  accuracy: number;
  macro_recall: number;
  macro_f1: number;
  per_class: Record<SentimentLabel, { precision: number; recall: number; f1: number; support: number }>;
  /** confusion[true][predicted], rows and columns in SENTIMENT_LABELS order. */
  confusion: number[][];
}

export function classificationReport(
  gold: readonly SentimentLabel[],
  predicted: readonly SentimentLabel[],
): ClassificationReport {
  if (gold.length !== predicted.length) throw new RangeError('gold and predicted differ in length');
  const k = SENTIMENT_LABELS.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < gold.length; i++) {
    const g = SENTIMENT_LABELS.indexOf(gold[i]!);
    const p = SENTIMENT_LABELS.indexOf(predicted[i]!);
    if (g < 0 || p < 0) throw new RangeError(`unknown label at ${i}`);
    confusion[g]![p]!++;
  }
  let correct = 0;
  let recallSum = 0;
  let f1Sum = 0;
  const perClass = {} as ClassificationReport['per_class'];
  SENTIMENT_LABELS.forEach((label, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, row) => a + row[c]!, 0);
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    correct += tp;
    recallSum += recall;
    f1Sum += f1;
    perClass[label] = { precision, recall, f1, support };
  });
  return {
    n: gold.length,
    accuracy: gold.length === 0 ? 0 : correct / gold.length,
    macro_recall: recallSum / k,
    macro_f1: f1Sum / k,
    per_class: perClass,
    confusion,
  };
}

/** Pearson's correlation coefficient; NaN when either side has no variance. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError('x and y differ in length');
  const n = x.length;
  if (n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}
