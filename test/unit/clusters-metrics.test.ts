import t from 'tap';
import { clusteringScores } from '../../engines/clusters/index.js';

t.test('a perfect clustering scores 1 whatever the cluster names', async (t) => {
  const s = clusteringScores(['a', 'a', 'b', 'b', 'c'], [7, 7, 3, 3, 9]);
  t.same(s, { nmi: 1, ari: 1, purity: 1, clusters: 3, n: 5 });
});

t.test('a worked example: NMI with the geometric mean, ARI and purity', async (t) => {
  // H(C) = ln 2, H(K) = ln 3, I = (2/3) ln 2; pairs: 2 of 6 agree beyond chance (ARI 8/33).
  const s = clusteringScores([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]);
  t.ok(Math.abs(s.nmi - ((2 / 3) * Math.LN2) / Math.sqrt(Math.LN2 * Math.log(3))) < 1e-12, `nmi ${s.nmi}`);
  t.ok(Math.abs(s.ari - 8 / 33) < 1e-12, `ari ${s.ari}`);
  t.equal(s.purity, 5 / 6);
  t.equal(s.clusters, 3);
});

t.test('one cluster for everything says nothing: NMI and ARI 0', async (t) => {
  const s = clusteringScores(['a', 'b', 'a', 'b'], [1, 1, 1, 1]);
  t.equal(s.nmi, 0);
  t.equal(s.ari, 0);
  t.equal(s.purity, 0.5);
});

t.test('a random-like clustering scores an ARI near 0 (it can be negative)', async (t) => {
  const s = clusteringScores(['a', 'a', 'b', 'b'], [1, 2, 1, 2]);
  t.ok(s.ari < 0, `ari ${s.ari}`);
  t.equal(s.nmi, 0);
});

t.test('edge cases are defined and never NaN', async (t) => {
  t.same(clusteringScores([], []), { nmi: 0, ari: 0, purity: 0, clusters: 0, n: 0 });
  t.same(clusteringScores(['x'], [5]), { nmi: 1, ari: 1, purity: 1, clusters: 1, n: 1 });
  const singletons = clusteringScores([1, 2, 3], [4, 5, 6]);
  t.equal(singletons.ari, 1, 'identical all-singleton partitions');
  t.equal(singletons.nmi, 1);
  t.throws(() => clusteringScores(['a'], [1, 2]), RangeError);
  const big = clusteringScores(
    Array.from({ length: 3000 }, (_, i) => i % 7),
    Array.from({ length: 3000 }, (_, i) => i),
  );
  for (const v of Object.values(big)) t.ok(Number.isFinite(v), 'finite');
});
