import t from 'tap';
import { MiniBatchKMeans } from '../../engines/clusters/index.js';
import { Random } from '../../engines/stats/index.js';

const TOPICS = [
  ['match', 'goal', 'team', 'score', 'coach', 'league'],
  ['recipe', 'bake', 'oven', 'flour', 'sugar', 'butter'],
  ['laptop', 'battery', 'screen', 'keyboard', 'charger', 'chip'],
];

function stream(n: number, seed: number): { terms: string[]; topic: number }[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => {
    const topic = rng.int(TOPICS.length);
    return { terms: Array.from({ length: 4 }, () => rng.pick(TOPICS[topic]!)), topic };
  });
}

t.test('bad options are refused with a RangeError naming the option', async (t) => {
  for (const [name, value] of [
    ['k', 0],
    ['dimensions', 1000],
    ['warmup', 0],
    ['batchSize', 1.5],
    ['seed', -1],
  ] as const)
    t.throws(
      () => new MiniBatchKMeans({ [name]: value }),
      { name: 'RangeError', message: new RegExp(name) },
      name,
    );
});

t.test('warm-up answers id 0, then its documents are reported with their clusters', async (t) => {
  const km = new MiniBatchKMeans({ k: 3, warmup: 60, batchSize: 20 });
  const docs = stream(300, 1);
  const ids = docs.map((d, i) => km.add(d.terms, i * 1000)!.id);
  t.ok(
    ids.slice(0, 59).every((id) => id === 0),
    'provisional id 0 during the warm-up',
  );
  t.ok(
    ids.slice(60).every((id) => id >= 1 && id <= 3),
    'ids 1..k afterwards',
  );
  const moved = km.drainReassignments();
  t.same(
    moved.map((m) => m.seq),
    Array.from({ length: 60 }, (_, i) => i),
    'every warm-up document reported',
  );
  for (const m of moved) ids[m.seq] = m.id;
  // separable topics: each cluster holds one topic
  for (let c = 1; c <= 3; c++) {
    const topics = new Set(docs.filter((_, i) => ids[i] === c).map((d) => d.topic));
    t.equal(topics.size, 1, `cluster ${c} is one topic`);
  }
  const events = km.drainEvents();
  t.same(
    events.map((e) => e.type === 'created' && e.id),
    [1, 2, 3],
  );
  const summaries = km.summaries(3);
  t.equal(summaries.length, 3);
  for (const s of summaries) {
    t.ok(s.docs > 0 && s.terms.length > 0 && s.terms.length <= 3);
    t.ok(s.terms.every((x) => x.weight > 0 && Number.isFinite(x.weight)));
  }
});

t.test('k larger than the data, identical documents and empty input do not throw', async (t) => {
  const few = new MiniBatchKMeans({ k: 20 });
  few.add(['a', 'b'], 0);
  few.add(['c'], 1);
  few.add(['a', 'b'], 2);
  few.flush();
  t.equal(few.clusterCount, 2, 'k lowered to the distinct documents');
  t.same(
    few.drainReassignments().map((m) => m.id),
    [1, 2, 1],
  );
  const same = new MiniBatchKMeans({ k: 5, warmup: 10 });
  for (let i = 0; i < 30; i++) t.ok(same.add(['same', 'words'], i));
  t.equal(same.clusterCount, 1);
  t.equal(same.add([], 0), null);
  t.equal(same.add([3, null] as unknown as string[], 0), null);
  t.ok(same.add(['x'.repeat(1000)], Number.NaN));
  for (const s of same.summaries())
    t.ok(Number.isFinite(s.docs) && s.terms.every((x) => Number.isFinite(x.weight)));
  const empty = new MiniBatchKMeans();
  empty.flush();
  t.equal(empty.clusterCount, 0);
  t.same(empty.summaries(), []);
});

t.test('deterministic, and restore(JSON round trip) continues identically, mid-batch', async (t) => {
  const docs = stream(700, 2);
  const run = () => {
    const km = new MiniBatchKMeans({ k: 3, warmup: 100, batchSize: 30, seed: 4 });
    return { km, ids: docs.map((d, i) => km.add(d.terms, i)!.id) };
  };
  const a = run();
  const b = run();
  t.same(a.ids, b.ids);
  t.equal(JSON.stringify(a.km.snapshot()), JSON.stringify(b.km.snapshot()));

  for (const half of [50, 345]) {
    const x = new MiniBatchKMeans({ k: 3, warmup: 100, batchSize: 30, seed: 4 });
    docs.slice(0, half).forEach((d, i) => x.add(d.terms, i));
    const y = new MiniBatchKMeans({ k: 3, warmup: 100, batchSize: 30, seed: 4 });
    y.restore(JSON.parse(JSON.stringify(x.snapshot())));
    const outX = docs.slice(half).map((d, i) => [x.add(d.terms, half + i), x.drainReassignments()]);
    const outY = docs.slice(half).map((d, i) => [y.add(d.terms, half + i), y.drainReassignments()]);
    t.same(outY, outX, `restored at ${half}`);
    t.same(y.summaries(), x.summaries());
  }
  t.throws(() => new MiniBatchKMeans().restore({ v: 1, df: [1, 2] }), RangeError);
});
