import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../app/flags.js';
import { main as evalMain } from '../../app/tools/eval-sentiment.js';
import { main as trainMain } from '../../app/tools/train-sentiment.js';
import { decodeEscapes } from '../../app/tools/sentiment-data.js';
import { runMain } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-sentiment-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const jsonl = (name: string, rows: unknown[]) => {
  const file = join(dir, name);
  writeFileSync(file, rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return file;
};

const labelled = jsonl('labelled.jsonl', [
  ...['I love it', 'great coffee', 'best day ever', 'so happy', 'amazing service'].map((text) => ({
    text,
    label: 'positive',
  })),
  ...['I hate it', 'awful coffee', 'worst day ever', 'so angry', 'terrible service'].map((text) => ({
    text,
    label: 'negative',
  })),
  ...['it opens at 9', 'coffee on the menu', 'the day starts', 'store is open', 'service hours'].map(
    (text) => ({ text, label: 'neutral' }),
  ),
]);
const scored = jsonl('scored.jsonl', [
  { id: '1', score: 3.1, text: 'I love it so much' },
  { id: '2', score: -2.9, text: 'I hate this, awful' },
  { id: '3', score: 0.1, text: 'the store opens at 9' },
  { id: '4', score: 1.5, text: 'pretty good' },
]);

t.test('eval prints the figures, and with --json ends with one JSON object', async (t) => {
  const { code, out } = await runMain(evalMain, ['--data', labelled, '--model', 'rules', '--json']);
  t.equal(code, 0);
  const text = out.join('\n');
  for (const label of ['macro recall', 'accuracy', 'macro F1', 'confusion', 'texts/s']) t.match(text, label);
  const last = JSON.parse(out[out.length - 1]!) as Record<string, unknown>;
  t.match(last, {
    model: 'rules-v2',
    n: 15,
    macro_recall: Number,
    accuracy: Number,
    macro_f1: Number,
    texts_per_s: Number,
  });
  t.equal(
    (last.confusion as number[][]).flat().reduce((a, b) => a + b, 0),
    15,
  );
});

t.test('eval gives Pearson r for rows with a continuous score', async (t) => {
  const { out } = await runMain(evalMain, ['--data', scored, '--model', 'rules', '--json']);
  const last = JSON.parse(out[out.length - 1]!) as { pearson: number; n: number };
  t.equal(last.n, 4);
  t.ok(last.pearson > 0.8, `r = ${last.pearson}`);
  t.match(out.join('\n'), 'pearson r');
});

t.test('train writes a weights file that eval can use; the same data gives the same file', async (t) => {
  const { readFileSync } = await import('node:fs');
  const a = join(dir, 'a.bin');
  const files: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    const argv = [
      '--data',
      labelled,
      '--out',
      a,
      '--dims-log2',
      '12',
      '--max-iterations',
      '40',
      '--val',
      labelled,
    ];
    const r = await runMain(trainMain, argv);
    files.push(readFileSync(a));
    t.equal(r.code, 0);
    t.match(r.out.join('\n'), /wrote .*\.bin/);
    t.match(r.out.join('\n'), /labelled\.jsonl: macro recall/);
  }
  t.ok(files[0]!.equals(files[1]!), 'byte for byte');
  const { out } = await runMain(evalMain, [
    '--data',
    labelled,
    '--model',
    'linear',
    '--weights',
    a,
    '--json',
  ]);
  const last = JSON.parse(out[out.length - 1]!) as { model: string; macro_recall: number };
  t.equal(last.model, 'a', 'the id defaults to the file name');
  t.ok(last.macro_recall > 0.9, 'it learned its training data');
});

t.test('clear errors for bad arguments, missing files and bad lines', async (t) => {
  const bad = [
    [['--model', 'rules'], /--data is required/],
    [['--data', labelled], /--model must be/],
    [
      ['--data', labelled, '--model', 'bert'],
      /--model must be rules, linear, transformer, afinn or vader, got "bert"/,
    ],
    [['--data', join(dir, 'missing.jsonl'), '--model', 'rules'], /cannot read .*missing\.jsonl: ENOENT/],
    [
      ['--data', jsonl('broken.jsonl', [{ text: 'ok', label: 'positive' }, '{not json']), '--model', 'rules'],
      /broken\.jsonl:2: not valid JSON/,
    ],
    [
      ['--data', jsonl('nolabel.jsonl', [{ text: 'ok', label: 'great' }]), '--model', 'rules'],
      /nolabel\.jsonl:1: expected "label"/,
    ],
    [
      ['--data', jsonl('notext.jsonl', [{ label: 'positive' }]), '--model', 'rules'],
      /notext\.jsonl:1: expected an object with a string "text"/,
    ],
    [
      [
        '--data',
        jsonl('mixed.jsonl', [
          { text: 'a', label: 'positive' },
          { text: 'b', score: 1 },
        ]),
        '--model',
        'rules',
      ],
      /mixes rows/,
    ],
    [['--data', jsonl('empty.jsonl', []), '--model', 'rules'], /no rows/],
    [['--data', labelled, '--model', 'rules', '--limit', 'x'], /--limit: expected a number/],
    [['--data', labelled, '--model', 'rules', '--nope'], /unknown flag --nope/],
    [['--data'], /--data needs a value/],
    [['--data', labelled, '--model', 'linear', '--weights', join(dir, 'none.bin')], /none\.bin/],
  ] as const;
  for (const [argv, message] of bad) {
    const err = await evalMain(
      [...argv],
      () => {},
      () => {},
    ).catch((e: unknown) => e);
    t.match(err, { message }, argv.join(' '));
  }
  const err = await trainMain(
    ['--data', scored],
    () => {},
    () => {},
  ).catch((e: unknown) => e);
  t.ok(err instanceof UsageError, 'training needs labels, not scores');
});

t.test('literal \\u escapes in the data are decoded', async (t) => {
  t.equal(decodeEscapes('it\\u2019s great\\u002c really'), 'it’s great, really');
  t.equal(decodeEscapes('no escapes'), 'no escapes');
});
