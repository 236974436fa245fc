import t from 'tap';
import { fnv1a, partitionOf } from '../../stream/bus/partition.js';

t.test('fnv1a matches the reference vectors', async (t) => {
  t.equal(fnv1a(''), 0x811c9dc5);
  t.equal(fnv1a('a'), 0xe40c292c);
  t.equal(fnv1a('foobar'), 0xbf9cf968);
});

t.test('partitionOf spreads keys over every partition and is stable', async (t) => {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[partitionOf(`u${i}`, 4)]!++;
  for (const c of counts) t.ok(c > 800 && c < 1200, `balanced: ${c}`);
  t.equal(partitionOf('u42', 4), partitionOf('u42', 4));
});
