import t from 'tap';
import { StreamingDmm } from '../../engines/clusters/index.js';
import { ClusterCounts } from '../../engines/clusters/counts.js';
import { keyTermMerges, type KeyTermOptions } from '../../engines/clusters/keyterms.js';
import { Vocabulary } from '../../engines/clusters/vocabulary.js';
import { Random } from '../../engines/stats/index.js';

const OPTIONS: KeyTermOptions = {
  share: 0.5,
  concentration: 0.5,
  top: 3,
  minMembers: 2,
  hashtagShare: 2, // off, but in the tests of hashtags
  hashtagLift: 3,
};
const HASHTAGS: KeyTermOptions = { ...OPTIONS, hashtagShare: 0.25 };

/** Counts and vocabulary holding `clusters` (each a list of documents, each a list of terms), cluster i with id i + 1. */
function build(clusters: string[][][]) {
  const counts = new ClusterCounts(16);
  const vocabulary = new Vocabulary(1000);
  let globalTokens = 0;
  const slots = clusters.map((docs, i) => {
    const slot = counts.open(i + 1, i);
    for (const terms of docs) {
      const ids = terms.map((term) => vocabulary.intern(term)!);
      for (const id of ids) vocabulary.counts[id]! += 1;
      globalTokens += ids.length;
      counts.add({ ids, counts: ids.map(() => 1), length: ids.length }, slot, 1);
    }
    return slot;
  });
  return { counts, vocabulary, globalTokens, slots };
}

const repeat = (n: number, terms: string[]) => Array.from({ length: n }, () => [...terms]);

t.test('clusters that share a concentrated key term merge into the larger one', async (t) => {
  const { counts, vocabulary, globalTokens, slots } = build([
    repeat(4, ['outage', 'app', 'crashed']),
    repeat(6, ['outage', 'free', 'cortado']),
    repeat(8, ['latte', 'morning', 'usual']),
  ]);
  t.same(keyTermMerges(counts, vocabulary, globalTokens, OPTIONS), [[slots[0], slots[1]]]);
  t.same(
    keyTermMerges(counts, vocabulary, globalTokens, { ...OPTIONS, share: 2 }),
    [],
    'a share above 1: never',
  );
});

t.test('a word spread over many clusters merges nothing', async (t) => {
  // "northwind" is in every document of the first two clusters, but as much of it is elsewhere.
  const { counts, vocabulary, globalTokens } = build([
    repeat(4, ['northwind', 'outage', 'app']),
    repeat(4, ['northwind', 'recall', 'beans']),
    [...repeat(6, ['northwind', 'latte', 'usual']), ...repeat(4, ['bluebird', 'latte', 'usual'])],
    [...repeat(6, ['northwind', 'holiday', 'hours']), ...repeat(4, ['aurora', 'holiday', 'hours'])],
  ]);
  t.same(keyTermMerges(counts, vocabulary, globalTokens, OPTIONS), []);
});

t.test('a shared term held by few of a cluster’s documents merges nothing', async (t) => {
  const { counts, vocabulary, globalTokens } = build([
    [...repeat(1, ['breach', 'card', 'leaked']), ...repeat(4, ['card', 'leaked', 'details'])],
    [...repeat(1, ['breach', 'passwords', 'email']), ...repeat(4, ['passwords', 'email', 'changed'])],
  ]);
  t.same(keyTermMerges(counts, vocabulary, globalTokens, OPTIONS), []);
});

t.test('clusters that share a distinctive hashtag on some of their posts merge', async (t) => {
  // A topic written two ways, a third of its posts tagged #recall: the words are the clusters' key
  // terms, the hashtag is not (a third is under `share`), but it is a label its authors gave.
  const { counts, vocabulary, globalTokens, slots } = build([
    [...repeat(2, ['contaminated', 'batch', '#recall']), ...repeat(4, ['contaminated', 'batch', 'pulled'])],
    [...repeat(2, ['refund', 'apology', '#recall']), ...repeat(4, ['refund', 'apology', 'handled'])],
    repeat(40, ['latte', 'morning', 'usual']),
  ]);
  t.same(keyTermMerges(counts, vocabulary, globalTokens, OPTIONS), [], 'not as a key term');
  t.same(keyTermMerges(counts, vocabulary, globalTokens, HASHTAGS), [[slots[1], slots[0]]], 'as a hashtag');
  t.same(
    keyTermMerges(counts, vocabulary, globalTokens, { ...HASHTAGS, hashtagShare: 0.4 }),
    [],
    'held by fewer than hashtagShare of the documents: no merge',
  );
});

t.test('a hashtag everybody uses merges nothing', async (t) => {
  // "#coffee" on a third of all posts: at its stream rate in every cluster, nowhere distinctive.
  const { counts, vocabulary, globalTokens, slots } = build([
    [...repeat(2, ['contaminated', 'batch', '#coffee']), ...repeat(4, ['contaminated', 'batch', 'pulled'])],
    [...repeat(2, ['refund', 'apology', '#coffee']), ...repeat(4, ['refund', 'apology', 'handled'])],
    [...repeat(4, ['latte', 'morning', '#coffee']), ...repeat(8, ['latte', 'morning', 'usual'])],
  ]);
  t.same(keyTermMerges(counts, vocabulary, globalTokens, HASHTAGS), []);
  t.same(
    keyTermMerges(counts, vocabulary, globalTokens, { ...HASHTAGS, hashtagLift: 0.5 }),
    [
      [slots[0], slots[2]],
      [slots[1], slots[2]],
    ],
    'without the lift it would merge them all',
  );
});

t.test('the merged cluster keeps the id of the larger, older one on a tie', async (t) => {
  const { counts, vocabulary, globalTokens, slots } = build([
    repeat(5, ['recall', 'contaminated', 'batch']),
    repeat(5, ['recall', 'refund', 'apology']),
    repeat(10, ['latte', 'morning', 'usual']),
  ]);
  t.same(keyTermMerges(counts, vocabulary, globalTokens, OPTIONS), [[slots[1], slots[0]]]);
});

/**
 * One topic written two ways (its key term "outage" in every post) among four unrelated topics,
 * interleaved: a third of the posts are about the outage.
 */
function templated(n: number, seed: number): { terms: string[]; topic: string }[] {
  const rng = new Random(seed);
  const ways = [
    [
      'app',
      'crashed',
      'cannot',
      'order',
      'pay',
      'error',
      'mobile',
      'broken',
      'again',
      'morning',
      'store',
      'checkout',
    ],
    [
      'free',
      'cortado',
      'nice',
      'touch',
      'thanks',
      'fixed',
      'quick',
      'sorry',
      'gift',
      'kind',
      'staff',
      'treat',
    ],
  ];
  const others: Record<string, string[]> = {
    beach: ['sunny', 'beach', 'holiday', 'swim', 'sand', 'waves', 'towel', 'sunscreen', 'surf', 'shells'],
    garden: ['tomato', 'soil', 'seeds', 'compost', 'weeds', 'garden', 'roses', 'watering', 'shed', 'spade'],
    chess: [
      'chess',
      'opening',
      'bishop',
      'knight',
      'endgame',
      'rook',
      'pawn',
      'checkmate',
      'gambit',
      'castle',
    ],
    train: [
      'train',
      'platform',
      'delayed',
      'ticket',
      'station',
      'carriage',
      'commute',
      'rail',
      'signal',
      'driver',
    ],
  };
  const names = Object.keys(others);
  const out: { terms: string[]; topic: string }[] = [];
  for (let i = 0; i < n; i++) {
    const topic = rng.chance(0.35) ? 'outage' : names[rng.int(names.length)]!;
    const words = topic === 'outage' ? ways[rng.int(2)]! : others[topic]!;
    const terms: string[] = [];
    for (let k = 0; k < 3; k++) terms.push(words[rng.int(words.length)]!);
    if (topic === 'outage') terms.splice(rng.int(4), 0, 'outage');
    out.push({ terms, topic });
  }
  return out;
}

/** Per topic, the share of its posts in its largest cluster (the clusters they end in), and its clusters. */
function clustersOf(dmm: StreamingDmm, stream: { terms: string[]; topic: string }[]) {
  const final: number[] = [];
  stream.forEach((d, i) => (final[i] = dmm.add(d.terms, i * 1000)!.id));
  for (const m of dmm.drainReassignments()) final[m.seq] = m.id;
  const by = new Map<string, Map<number, number>>();
  stream.forEach((d, i) => {
    if (!by.has(d.topic)) by.set(d.topic, new Map());
    const n = by.get(d.topic)!;
    n.set(final[i]!, (n.get(final[i]!) ?? 0) + 1);
  });
  const share = (topic: string) => {
    const n = [...by.get(topic)!.values()];
    return Math.max(...n) / n.reduce((a, b) => a + b, 0);
  };
  return { share, ids: (topic: string) => new Set(by.get(topic)!.keys()) };
}

t.test('the DMM merges a topic’s clusters by its key term, and not an unrelated topic', async (t) => {
  const stream = templated(1000, 5);
  const off = clustersOf(new StreamingDmm({ seed: 5, keyTermShare: 2, trackReassignments: true }), stream);
  t.ok(off.share('outage') < 0.7, `without key terms the topic is split (${off.share('outage')})`);
  const dmm = new StreamingDmm({ seed: 5, trackReassignments: true });
  const on = clustersOf(dmm, stream);
  t.ok(on.share('outage') > 0.9, `with them, one cluster holds the topic (${on.share('outage')})`);
  for (const topic of ['beach', 'garden', 'chess', 'train'])
    t.ok(
      [...on.ids(topic)].every((id) => !on.ids('outage').has(id)),
      `no cluster holds both the outage and ${topic}`,
    );
  t.ok(
    dmm.drainEvents().some((e) => e.type === 'forgotten'),
    'a merged cluster is reported as forgotten',
  );
});

t.test('key-term merging is deterministic and survives a snapshot round trip', async (t) => {
  const stream = templated(1400, 9);
  const run = () => {
    const dmm = new StreamingDmm({ seed: 9 });
    return { dmm, ids: stream.map((d, i) => dmm.add(d.terms, i * 1000)!.id) };
  };
  const whole = run();
  t.same(run().ids, whole.ids, 'the same input gives the same answers');
  t.ok(
    whole.dmm.drainEvents().some((e) => e.type === 'forgotten'),
    'clusters were merged on the way',
  );
  const first = new StreamingDmm({ seed: 9 });
  for (let i = 0; i < 700; i++) first.add(stream[i]!.terms, i * 1000);
  const restored = new StreamingDmm({ seed: 9 });
  restored.restore(JSON.parse(JSON.stringify(first.snapshot())));
  const rest = stream.slice(700).map((d, j) => restored.add(d.terms, (j + 700) * 1000)!.id);
  t.same(rest, whole.ids.slice(700), 'the restored run answers as the uninterrupted one');
  t.same(restored.summaries(), whole.dmm.summaries(), 'and ends with the same clusters');
});

t.test('bad key-term options are refused with a RangeError naming the option', async (t) => {
  for (const [name, value] of [
    ['keyTermShare', 0],
    ['keyTermConcentration', 1.5],
    ['keyTermTop', 0],
    ['keyTermMinMembers', 0.5],
    ['hashtagShare', 0],
    ['hashtagLift', -1],
  ] as const)
    t.throws(
      () => new StreamingDmm({ [name]: value }),
      { name: 'RangeError', message: new RegExp(name) },
      name,
    );
});
