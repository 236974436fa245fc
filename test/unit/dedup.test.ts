import t from 'tap';
import { DedupIndex, HashSet64, hash64 } from '../../stream/stages/dedup.js';
import { chunkLines, joinLines, splitLines } from '../../stream/model/event-batch.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

t.test('HashSet64 keeps every key through growth and tells repeats', async (t) => {
  const set = new HashSet64();
  const n = 50_000;
  let added = 0;
  for (let i = 0; i < n; i++) {
    const h = hash64(`src:${i}`);
    if (set.add(h.hi, h.lo)) added++;
  }
  t.equal(added, n, 'no two of 50,000 keys collide');
  t.equal(set.size, n);
  let found = 0;
  for (let i = 0; i < n; i++) {
    const h = hash64(`src:${i}`);
    if (set.has(h.hi, h.lo)) found++;
  }
  t.equal(found, n);
  const other = hash64('src:not-there');
  t.notOk(set.has(other.hi, other.lo));
  const again = hash64('src:7');
  t.notOk(set.add(again.hi, again.lo), 'adding a present key is a no-op');
});

t.test('DedupIndex drops repeats inside the window and forgets them after it', async (t) => {
  const d = new DedupIndex(60_000);
  d.advance(1, 0);
  t.notOk(d.seen('a:1'));
  t.ok(d.seen('a:1'), 'a repeat in the same message');
  d.advance(2, 59_000);
  t.ok(d.seen('a:1'), 'a repeat 59 s later');
  t.notOk(d.seen('b:1'));
  // 'a:1' was seen again at 59 s, so its copy there is what ages out.
  d.advance(3, 59_000 + 60_000 + 15_001 + 1);
  t.notOk(d.seen('a:1'), 'forgotten once its last sighting is older than window + span');
  t.notOk(d.seen('b:1'));
});

t.test('DedupIndex keeps only the generations it needs', async (t) => {
  const d = new DedupIndex(60_000);
  for (let i = 0; i < 1000; i++) {
    d.advance(i + 1, i * 1000);
    d.seen(`k:${i}`);
  }
  const gens = d.snapshot().generations;
  t.ok(gens.length <= 6, `about window/span + 1 generations (got ${gens.length})`);
  t.ok(d.size <= 80, `only keys of the last window and a span are held (got ${d.size})`);
  t.ok(d.size >= 60);
});

t.test(
  'DedupIndex restored from a snapshot and replayed from the log decides like the original',
  async (t) => {
    // A log of messages: (seq, time, keys) with repeats near and far apart.
    const log: { seq: number; ts: number; keys: string[] }[] = [];
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let seq = 1; seq <= 3000; seq++) {
      const ts = seq * 100 + Math.floor(rnd() * 500); // not monotone
      const keys = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => `s:${Math.floor(rnd() * 4000)}`);
      log.push({ seq, ts, keys });
    }
    const run = (d: DedupIndex, msgs: typeof log) =>
      msgs.map((m) => {
        d.advance(m.seq, m.ts);
        return m.keys.map((k) => d.seen(k));
      });
    const straight = new DedupIndex(30_000);
    const expected = run(straight, log);

    const cut = 1800;
    const first = new DedupIndex(30_000);
    run(first, log.slice(0, cut));
    const snap = JSON.parse(JSON.stringify(first.snapshot()));
    const restored = new DedupIndex(30_000);
    restored.restore(snap);
    const from = restored.replayFrom!;
    t.ok(from > 1 && from <= cut, 'the replay starts inside the log, not at its beginning');
    for (const m of log.slice(from - 1, cut)) for (const k of m.keys) restored.replay(m.seq, k);
    t.equal(restored.size, first.size, 'the replay refills as many keys');
    const after = run(restored, log.slice(cut));
    t.same(after, expected.slice(cut), 'every decision after the checkpoint is the same');
    t.ok(
      expected.slice(cut).flat().some(Boolean),
      'the log has repeats after the checkpoint, so the comparison means something',
    );
  },
);

t.test('DedupIndex rejects a bad window and a key before any message', async (t) => {
  t.throws(() => new DedupIndex(0), RangeError);
  t.throws(() => new DedupIndex(1000).seen('x'), /advance/);
});

t.test('event batches: join, split and chunk', async (t) => {
  const lines = ['{"a":1}', '{"b":"x\\ny"}', '{}'].map(enc);
  const body = joinLines(lines);
  t.equal(dec(body), '{"a":1}\n{"b":"x\\ny"}\n{}');
  t.same(splitLines(body).map(dec), ['{"a":1}', '{"b":"x\\ny"}', '{}']);
  t.same(splitLines(enc('\n{"a":1}\n\n{}\n')).map(dec), ['{"a":1}', '{}'], 'empty lines are skipped');
  t.equal(joinLines([enc('{}')]).length, 2, 'one line is its own body');
  const many = Array.from({ length: 10 }, (_, i) => enc(`{"i":${i}}`));
  t.same(
    [...chunkLines(many, 4, 1 << 20)].map((c) => c.length),
    [4, 4, 2],
  );
  t.same(
    [...chunkLines(many, 100, 16)].map((c) => c.length),
    [2, 2, 2, 2, 2],
    'cut by bytes too',
  );
  t.same([...chunkLines([enc('x'.repeat(100))], 10, 16)].length, 1, 'a line over the byte limit goes alone');
});
