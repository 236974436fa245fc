import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { UsageError } from '../../app/flags.js';
import { main } from '../../app/tools/eval-clusters.js';
import { SHARED_DATA } from '../../app/tools/sentiment-data.js';
import { Random } from '../../engines/stats/index.js';
import { runMain } from '../helpers/tools.js';

const run = (args: string[]) => runMain(main, args);
const dir = mkdtempSync(join(tmpdir(), 'eval-clusters-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const TOPICS: Record<string, string[]> = {
  coffee: ['espresso', 'latte', 'barista', 'roast', 'beans', 'grinder'],
  cycling: ['bike', 'saddle', 'pedal', 'helmet', 'chain', 'gears'],
  garden: ['tomatoes', 'compost', 'seedlings', 'weeds', 'soil', 'watering'],
};

/** A labelled file: three topics, a bad line and a row without a text. */
function writeData(): string {
  const rng = new Random(3);
  const lines: string[] = [];
  for (let i = 0; i < 240; i++) {
    const topic = rng.pick(Object.keys(TOPICS));
    const words = Array.from({ length: 5 }, () => rng.pick(TOPICS[topic]!));
    lines.push(JSON.stringify({ topic, body: `today ${words.join(' ')}` }));
    if (i === 10) lines.push('{not json');
    if (i === 20) lines.push(JSON.stringify({ topic: 'coffee', body: null }));
  }
  const file = join(dir, 'posts.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function checkFigures(t: Test, f: Record<string, unknown>, n: number) {
  for (const key of ['nmi', 'ari', 'purity', 'clusters', 'events_per_s', 'n', 'algo']) t.ok(key in f, key);
  t.equal(f.n, n);
  for (const key of ['nmi', 'purity']) t.ok((f[key] as number) >= 0 && (f[key] as number) <= 1, key);
  t.ok((f.ari as number) >= -1 && (f.ari as number) <= 1, 'ari');
  t.ok(Number.isInteger(f.clusters) && (f.clusters as number) >= 1);
  t.ok((f.events_per_s as number) > 0);
}

t.test('a labelled file: both clusterers, one JSON line with the baseline beside', async (t) => {
  const file = writeData();
  const { code, out } = await run([
    '--data',
    file,
    '--label-field',
    'topic',
    '--text-field',
    'body',
    '--json',
  ]);
  t.equal(code, 0);
  const text = out.join('\n');
  t.match(
    text,
    /skipped: 1 lines that are not JSON objects; 1 rows without a usable label or text \(the first at line 23\)/,
  );
  t.match(text, /k = 3, the number of distinct labels/);
  const json = JSON.parse(out[out.length - 1]!) as Record<string, unknown> & {
    baseline: Record<string, unknown>;
  };
  checkFigures(t, json, 240);
  t.equal(json.algo, 'dmm');
  checkFigures(t, json.baseline, 240);
  t.equal(json.baseline.algo, 'kmeans');
  t.equal(json.baseline.k, 3);
  t.ok((json.nmi as number) > 0.8, `dmm separates the three topics (nmi ${json.nmi})`);
});

t.test('--algo kmeans alone, --k and --limit', async (t) => {
  const file = writeData();
  const { out } = await run([
    '--data',
    file,
    '--label-field',
    'topic',
    '--text-field',
    'body',
    '--algo',
    'kmeans',
    '--k',
    '5',
    '--limit',
    '100',
    '--json',
  ]);
  const json = JSON.parse(out[out.length - 1]!) as Record<string, unknown>;
  checkFigures(t, json, 100);
  t.equal(json.algo, 'kmeans');
  t.equal(json.k, 5);
  t.notOk('baseline' in json);
});

t.test('the synthetic topic scenario by default', async (t) => {
  const { out } = await run(['--limit', '1500', '--json']);
  t.match(out.join('\n'), /synthetic topic scenario, seed 42: 1,500 posts/);
  const json = JSON.parse(out[out.length - 1]!) as Record<string, unknown> & {
    baseline: Record<string, unknown>;
  };
  checkFigures(t, json, 1500);
  checkFigures(t, json.baseline, 1500);
  const topical = json.without_general as { nmi: number; ari: number; n: number };
  t.ok(topical.n > 0 && topical.n < 1500, 'the general posts scored apart');
  t.ok(topical.nmi >= 0 && topical.nmi <= 1 && topical.ari <= 1);
  const one = json.general_as_one as { nmi: number; ari: number };
  t.ok(one.nmi >= 0 && one.nmi <= 1 && one.ari <= 1, 'scored with the general posts as one cluster');
  t.not(one.ari, json.ari, 'which is another clustering than the one scored');
  t.match(out.join('\n'), /ARI, general as 1 cluster/);
  const fine = json.general_by_template as { nmi: number; ari: number; labels: number };
  t.ok(fine.labels > 9, 'the general posts labelled by template: more labels than topics');
  t.ok(fine.nmi >= 0 && fine.nmi <= 1 && fine.ari <= 1);
  t.not(fine.ari, json.ari, 'scored against other labels than the topics');
  t.match(out.join('\n'), /ARI, general by template/);
});

t.test('--brands leaves the mentions of the brands out of the terms, as the pipeline does', async (t) => {
  const file = join(dir, 'brand-posts.jsonl');
  const rows = [
    ...Array.from({ length: 30 }, (_, i) => ({ label: 'outage', text: `Acme Coffee app outage ${i % 3}` })),
    ...Array.from({ length: 30 }, (_, i) => ({ label: 'menu', text: `#acmecoffee pumpkin menu ${i % 3}` })),
    { label: 'none', text: 'Acme Coffee!' },
  ];
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const brandsFile = join(dir, 'brands.json');
  writeFileSync(brandsFile, JSON.stringify([{ name: 'Acme Coffee', handles: ['acmecoffee'] }]));
  const figures = async (extra: string[]) => {
    const { out } = await run(['--data', file, '--algo', 'dmm', '--json', ...extra]);
    return { text: out.join('\n'), json: JSON.parse(out[out.length - 1]!) as { unassigned: number } };
  };
  const plain = await figures([]);
  t.equal(plain.json.unassigned, 0, 'without: "Acme Coffee!" has terms');
  const told = await figures(['--brands', brandsFile]);
  t.equal(told.json.unassigned, 1, 'with: a post that only names the brand has none');
  t.match(told.text, /the mentions of the brands of .*brands\.json left out of the terms/);
  await t.rejects(run(['--brands', brandsFile]), { name: 'UsageError', message: /goes with --data/ });
  await t.rejects(run(['--data', file, '--brands', join(dir, 'nope.json')]), UsageError);
});

t.test('the many-topics stream: 150 small topics, shuffled or one after another', async (t) => {
  const { out } = await run(['--scenario', 'many', '--algo', 'dmm', '--json']);
  t.match(out.join('\n'), /synthetic many-topics stream, seed 42: [\d,]+ posts over 150 topics, shuffled/);
  const json = JSON.parse(out[out.length - 1]!) as Record<string, number>;
  checkFigures(t, json, json.n!);
  t.ok(json.n! >= 150 * 30 && json.n! <= 150 * 180, 'every topic has 30 to 180 posts');
  t.ok(json.clusters! > 20, `many topics found (${json.clusters})`);
  const again = await run(['--scenario', 'many', '--algo', 'dmm', '--json']);
  const second = JSON.parse(again.out[again.out.length - 1]!) as Record<string, number>;
  t.same(
    [second.nmi, second.ari, second.clusters],
    [json.nmi, json.ari, json.clusters],
    'the same seed, the same figures',
  );
  const ordered = await run(['--scenario', 'many', '--algo', 'dmm', '--order', 'label', '--limit', '3000']);
  t.match(ordered.out.join('\n'), /3,000 posts over \d+ topics, shuffled, in label order/);
  await t.rejects(run(['--scenario', 'news']), {
    name: 'UsageError',
    message: /--scenario must be topics or many/,
  });
});

t.test('usage errors: a missing file, a field the data does not have, bad flags', async (t) => {
  const file = writeData();
  await t.rejects(run(['--data', join(dir, 'nope.jsonl')]), { name: 'UsageError', message: /no such file/ });
  await t.rejects(run(['--data', file, '--label-field', 'label', '--text-field', 'body']), {
    name: 'UsageError',
    message: /--label-field: line 1 of .* has no field "label" \(its fields: topic, body\)/,
  });
  await t.rejects(run(['--data', file, '--label-field', 'topic']), /--text-field: line 1 .*"text"/);
  await t.rejects(run(['--algo', 'lda']), UsageError);
  await t.rejects(run(['--alpha', '-1']), UsageError);
  await t.rejects(run(['--max-clusters', '0']), /maxClusters/);
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, 'garbage\n[1,2]\n');
  await t.rejects(run(['--data', empty]), /no row with a label and a text/);
});

const STACKOVERFLOW = join(SHARED_DATA, 'stackoverflow-titles.jsonl');
t.test(
  'Stack Overflow titles (../shared/data), when present',
  {
    skip: existsSync(STACKOVERFLOW)
      ? false
      : `${STACKOVERFLOW} is not there (the shared dev data sits beside the repository, not in it)`,
  },
  async (t) => {
    const file = STACKOVERFLOW;
    const { out } = await run(['--data', file, '--limit', '4000', '--json']);
    const json = JSON.parse(out[out.length - 1]!) as Record<string, unknown> & {
      baseline: Record<string, unknown>;
    };
    checkFigures(t, json, 4000);
    // Far above chance (20 tags): both find the tags' words.
    t.ok((json.nmi as number) > 0.25, `dmm nmi ${json.nmi}`);
    t.ok((json.baseline.nmi as number) > 0.25, `k-means nmi ${json.baseline.nmi}`);
    t.ok((json.ari as number) > 0.1, `dmm ari ${json.ari}`);
  },
);
