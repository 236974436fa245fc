/**
 * External scores of a clustering against true labels: normalized mutual information (the
 * geometric-mean normalization, NMI = I(C;K) / sqrt(H(C) H(K)), as MStream and GSDMM report it),
 * the adjusted Rand index (Hubert & Arabie, 1985) and purity.
 */

export interface ClusteringScores {
  nmi: number;
  ari: number;
  purity: number;
  /** Distinct predicted clusters. */
  clusters: number;
  /** Documents scored. */
  n: number;
}

/**
 * Scores `predicted` against `truth`, position by position (same length, or a RangeError). Both
 * partitions trivial (one class, one cluster) score 1; exactly one trivial scores NMI 0. Empty
 * input scores 0 everywhere. Never NaN.
 */
export function clusteringScores(
  truth: readonly (string | number)[],
  predicted: readonly number[],
): ClusteringScores {
  if (truth.length !== predicted.length)
    throw new RangeError(`clusteringScores: ${truth.length} labels but ${predicted.length} predictions`);
  const n = truth.length;
  if (n === 0) return { nmi: 0, ari: 0, purity: 0, clusters: 0, n: 0 };

  const classOf = indexer<string | number>();
  const clusterOf = indexer<number>();
  const pairs = new Map<number, number>();
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = classOf(truth[i]!);
    const k = clusterOf(predicted[i]!);
    rows[c] = (rows[c] ?? 0) + 1;
    cols[k] = (cols[k] ?? 0) + 1;
    const key = c * n + k;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
  }

  const plogp = (x: number) => (x > 0 ? (x / n) * Math.log(x / n) : 0);
  let hc = 0;
  let hk = 0;
  for (const r of rows) hc -= plogp(r);
  for (const c of cols) hk -= plogp(c);
  let mi = 0;
  const best = new Map<number, number>();
  let pairSum = 0;
  for (const [key, nij] of pairs) {
    const c = Math.floor(key / n);
    const k = key % n;
    mi += (nij / n) * Math.log((nij * n) / (rows[c]! * cols[k]!));
    best.set(k, Math.max(best.get(k) ?? 0, nij));
    pairSum += choose2(nij);
  }
  const trivialC = rows.length === 1;
  const trivialK = cols.length === 1;
  let nmi: number;
  if (trivialC && trivialK) nmi = 1;
  else if (trivialC || trivialK) nmi = 0;
  else nmi = clamp01(mi / Math.sqrt(hc * hk));

  const rowSum = rows.reduce((s, r) => s + choose2(r), 0);
  const colSum = cols.reduce((s, c) => s + choose2(c), 0);
  const totalPairs = choose2(n);
  const expected = totalPairs > 0 ? (rowSum * colSum) / totalPairs : 0;
  const maxIndex = (rowSum + colSum) / 2;
  // Both partitions trivial (all singletons, or one block each) leave nothing to adjust: 1 if they agree.
  const ari =
    maxIndex === expected ? (pairSum === maxIndex ? 1 : 0) : (pairSum - expected) / (maxIndex - expected);

  let correct = 0;
  for (const v of best.values()) correct += v;
  return { nmi, ari: Number.isFinite(ari) ? ari : 0, purity: correct / n, clusters: cols.length, n };
}

function choose2(x: number): number {
  return (x * (x - 1)) / 2;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** Dense indexes 0, 1, 2… for values in order of first appearance. */
function indexer<T>(): (v: T) => number {
  const ids = new Map<T, number>();
  return (v) => {
    let i = ids.get(v);
    if (i === undefined) {
      i = ids.size;
      ids.set(v, i);
    }
    return i;
  };
}
