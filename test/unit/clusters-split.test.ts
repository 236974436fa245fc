import t from 'tap';
import { clusteringScores, StreamingDmm } from '../../engines/clusters/index.js';
import { ClusterCounts } from '../../engines/clusters/counts.js';
import { logGamma, splitOff, type SplitDoc, type SplitSettings } from '../../engines/clusters/split.js';
import { Vocabulary } from '../../engines/clusters/vocabulary.js';
import { Random } from '../../engines/stats/index.js';

t.test('logGamma', async (t) => {
  t.ok(Math.abs(logGamma(1)) < 1e-12);
  t.ok(Math.abs(logGamma(2)) < 1e-12);
  t.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-12);
  t.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
  t.ok(Math.abs(logGamma(0.05) - 2.968879201051731) < 1e-12, 'below 1/2 by reflection');
  t.ok(Math.abs(logGamma(1000) - 5905.220423209181) < 1e-9);
});

const SETTINGS: SplitSettings = {
  beta: 0.05,
  vocabularySize: 60,
  newWeight: 6,
  passes: 3,
  keyTermShare: 0.5,
};

/**
 * A cluster (slot 0) holding `old` documents no longer retained and `recent` ones, the retained
 * documents; each a list of terms.
 */
function cluster(old: string[][], recent: string[][]) {
  const counts = new ClusterCounts(4);
  const vocabulary = new Vocabulary(100);
  const slot = counts.open(1, 0);
  const doc = (terms: string[]): SplitDoc => {
    const ids = terms.map((w) => vocabulary.intern(w)!);
    return { ids, counts: ids.map(() => 1), length: ids.length, weight: 1 };
  };
  for (const terms of old) counts.add(doc(terms), slot, 1);
  const retained = recent.map(doc);
  for (const d of retained) counts.add(d, slot, 1);
  return { counts, slot, retained };
}

function posts(n: number, seed: number, words: string[], extra: string[] = []): string[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => [
    ...extra,
    ...Array.from({ length: 3 }, () => words[rng.int(words.length)]!),
  ]);
}

const SPORT = ['match', 'goal', 'team', 'score', 'coach', 'league', 'striker', 'referee'];
const FOOD = ['recipe', 'bake', 'oven', 'flour', 'sugar', 'butter', 'dough', 'cake'];

t.test('a cluster whose recent documents are another topic is split, and its counts stay', async (t) => {
  const { counts, slot, retained } = cluster(posts(80, 1, SPORT), [
    ...posts(10, 2, SPORT),
    ...posts(30, 3, FOOD),
  ]);
  const before = JSON.stringify(counts.snapshot());
  const out = splitOff(counts, slot, retained, SETTINGS);
  t.ok(out, 'split');
  t.same(out, retained.slice(10), 'the food posts leave, the sport posts stay');
  t.equal(JSON.stringify(counts.snapshot()), before, 'the counts are as they were');
});

t.test('a cluster whose recent documents are more of the same is not split', async (t) => {
  const { counts, slot, retained } = cluster(posts(80, 1, SPORT), posts(40, 2, SPORT));
  t.equal(splitOff(counts, slot, retained, SETTINGS), undefined);
});

t.test('parts that share a key term stay together', async (t) => {
  // One topic written two ways: the outage in every post.
  const { counts, slot, retained } = cluster(posts(80, 1, SPORT, ['outage']), posts(30, 3, FOOD, ['outage']));
  t.equal(splitOff(counts, slot, retained, SETTINGS), undefined);
  t.ok(splitOff(counts, slot, retained, { ...SETTINGS, keyTermShare: 2 }), 'without the check it splits');
});

t.test('too few documents, or none left behind, is no split', async (t) => {
  const one = cluster(posts(80, 1, SPORT), posts(1, 3, FOOD));
  t.equal(splitOff(one.counts, one.slot, one.retained, SETTINGS), undefined);
  const all = cluster([], posts(40, 3, FOOD));
  t.equal(splitOff(all.counts, all.slot, all.retained, SETTINGS), undefined);
});

/** Topics one after another (400 posts each), each post two of its topic's words and three words every topic uses. */
function topicOrder(seed: number): { terms: string[]; topic: number }[] {
  const rng = new Random(seed);
  const common = Array.from({ length: 12 }, (_, i) => `common${i}`);
  const out: { terms: string[]; topic: number }[] = [];
  for (let topic = 0; topic < 8; topic++)
    for (let i = 0; i < 400; i++) {
      const terms: string[] = [];
      for (let k = 0; k < 2; k++) terms.push(`t${topic}w${rng.int(15)}`);
      for (let k = 0; k < 3; k++) terms.push(common[rng.int(common.length)]!);
      out.push({ terms, topic });
    }
  return out;
}

function nmi(dmm: StreamingDmm, stream: { terms: string[]; topic: number }[]): number {
  const final = stream.map((d, i) => dmm.add(d.terms, i * 1000)!.id);
  for (const m of dmm.drainReassignments()) final[m.seq] = m.id;
  return clusteringScores(
    stream.map((d) => d.topic),
    final,
  ).nmi;
}

t.test('topics in turn: a topic taken in by an older cluster gets its own', async (t) => {
  const stream = topicOrder(2);
  const off = nmi(new StreamingDmm({ seed: 2, splitPasses: 0, trackReassignments: true }), stream);
  const dmm = new StreamingDmm({ seed: 2, trackReassignments: true });
  const on = nmi(dmm, stream);
  t.ok(on > off, `NMI ${on.toFixed(3)} with splits, ${off.toFixed(3)} without`);
  t.ok(on > 0.95, `NMI ${on.toFixed(3)}`);
  const events = dmm.drainEvents();
  const ids = events.filter((e) => e.type === 'created').map((e) => e.id);
  t.equal(new Set(ids).size, ids.length, 'every created id is new');
});

t.test('splitting is deterministic and survives a snapshot round trip', async (t) => {
  const stream = topicOrder(2);
  const run = () => {
    const dmm = new StreamingDmm({ seed: 2 });
    return { dmm, ids: stream.map((d, i) => dmm.add(d.terms, i * 1000)!.id) };
  };
  const whole = run();
  t.same(run().ids, whole.ids, 'the same input gives the same answers');
  const first = new StreamingDmm({ seed: 2 });
  for (let i = 0; i < 1700; i++) first.add(stream[i]!.terms, i * 1000);
  const restored = new StreamingDmm({ seed: 2 });
  restored.restore(JSON.parse(JSON.stringify(first.snapshot())));
  const rest = stream.slice(1700).map((d, j) => restored.add(d.terms, (j + 1700) * 1000)!.id);
  t.same(rest, whole.ids.slice(1700), 'the restored run answers as the uninterrupted one');
  t.same(restored.summaries(), whole.dmm.summaries(), 'and ends with the same clusters');
});

t.test('bad split options are refused with a RangeError naming the option', async (t) => {
  for (const [name, value] of [
    ['splitPasses', -1],
    ['splitMinDocs', 1],
  ] as const)
    t.throws(
      () => new StreamingDmm({ [name]: value }),
      { name: 'RangeError', message: new RegExp(name) },
      name,
    );
});
