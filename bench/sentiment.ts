/**
 * Sentiment benchmark: texts per second of each tier on one core, against two npm packages measured
 * in the same run: `sentiment` (AFINN-165 word lookup) and `vader-sentiment` (a port of VADER).
 * The input is every text of the shared evaluation files (TweetEval validation, Sentiment140 test,
 * VADER tweets). The JS scorers are timed in interleaved rounds, one pass over the input each, and
 * the best round counts, so a burst of load from other processes on a shared machine does not
 * decide the figure. The transformer runs in one worker process with one onnxruntime thread.
 *
 *   npm run bench:sentiment -- [--rounds 7] [--transformer-dir DIR] [--transformer-texts 2000]
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RulesSentiment, type SentimentScorer } from '../engines/sentiment/index.js';
import { loadLinearSentiment, TransformerPool } from '../stream/index.js';
import { PROJECT_ROOT } from '../app/paths.js';
import { decodeEscapes, DEFAULT_LINEAR_WEIGHTS, SHARED_DATA } from '../app/tools/sentiment-data.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const rounds = Number(arg('rounds', '7'));
const transformerDir = arg(
  'transformer-dir',
  join(PROJECT_ROOT, '..', 'shared', 'models', 'tiny-random-roberta-sentiment'),
);
const transformerTexts = Number(arg('transformer-texts', '2000'));

const FILES = ['tweeteval-sentiment-val.jsonl', 'sentiment140-test.jsonl', 'vader-tweets.jsonl'];
const missing = FILES.filter((f) => !existsSync(join(SHARED_DATA, f)));
if (missing.length > 0) {
  console.error(
    `bench:sentiment reads the dev sets in ../shared/data beside the repository (not part of a clone); missing in ${SHARED_DATA}: ${missing.join(', ')}`,
  );
  process.exit(2);
}
const texts: string[] = [];
for (const file of FILES) {
  for (const line of readFileSync(join(SHARED_DATA, file), 'utf8').split('\n')) {
    if (line.trim()) texts.push(decodeEscapes((JSON.parse(line) as { text: string }).text));
  }
}
const meanChars = texts.reduce((n, t) => n + t.length, 0) / texts.length;
console.log(
  `input: ${texts.length} texts (mean ${meanChars.toFixed(0)} characters), node ${process.version}, ${rounds} rounds`,
);

// The baselines are CommonJS packages without types: loaded through require, with the shape we use.
const require = createRequire(import.meta.url);
const AfinnSentiment = require('sentiment') as new () => { analyze(text: string): { score: number } };
const vader = require('vader-sentiment') as {
  SentimentIntensityAnalyzer: { polarity_scores(text: string): { compound: number } };
};
const afinn = new AfinnSentiment();

const linear = await loadLinearSentiment(DEFAULT_LINEAR_WEIGHTS);
const contenders: { name: string; score: (text: string) => unknown }[] = [
  { name: `rules tier (${new RulesSentiment().model})`, score: scorerOf(new RulesSentiment()) },
  { name: `linear tier (${linear.model})`, score: scorerOf(linear) },
  { name: 'npm sentiment (AFINN)', score: (t) => afinn.analyze(t) },
  { name: 'npm vader-sentiment', score: (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t) },
];

function scorerOf(s: SentimentScorer): (text: string) => unknown {
  return (t) => s.score(t);
}

// VADER is slow: one pass over a tenth of the input per round keeps the run short; rates are per text.
const inputs = contenders.map((c) =>
  c.name.includes('vader') ? texts.slice(0, Math.ceil(texts.length / 10)) : texts,
);
const best = contenders.map(() => 0);
let sink = 0;
for (let round = 0; round <= rounds; round++) {
  contenders.forEach((c, i) => {
    const input = inputs[i]!;
    const start = performance.now();
    for (const t of input) if (c.score(t)) sink++;
    const rate = input.length / ((performance.now() - start) / 1000);
    // Round 0 warms up the JIT and is not counted.
    if (round > 0) best[i] = Math.max(best[i]!, rate);
  });
}

let transformerRate: number | undefined;
let transformerModel = '';
try {
  const pool = await TransformerPool.start({
    modelDir: transformerDir,
    workers: 1,
    threads: 1,
    batchSize: 32,
    maxQueue: transformerTexts + 1,
  });
  transformerModel = pool.model;
  const sample = texts.slice(0, transformerTexts);
  await Promise.all(sample.slice(0, 64).map((t) => pool.classify(t)));
  const start = performance.now();
  await Promise.all(sample.map((t) => pool.classify(t)));
  transformerRate = sample.length / ((performance.now() - start) / 1000);
  await pool.close();
} catch (err) {
  console.log(`transformer tier skipped: ${(err as Error).message}`);
}

const afinnRate = best[2]!;
const vaderRate = best[3]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (n: number, base: number) => `${(n / base).toFixed(2)}×`;
const rows: [string, number][] = contenders.map((c, i) => [c.name, best[i]!]);
if (transformerRate !== undefined) rows.push([`transformer tier (${transformerModel})*`, transformerRate]);
console.log('');
console.log(`${'scorer'.padEnd(56)} ${'texts/s'.padStart(10)}  vs AFINN  vs VADER`);
for (const [name, rate] of rows)
  console.log(
    `${name.padEnd(56)} ${fmt(rate).padStart(10)}  ${ratio(rate, afinnRate).padStart(8)}  ${ratio(rate, vaderRate).padStart(7)}`,
  );
console.log('');
if (transformerRate !== undefined)
  console.log(
    '* one worker process with one onnxruntime thread, batches of 32; the speed of the model in that folder, not of any other.',
  );
console.log(
  `targets on one core: rules ≥ 100,000 texts/s (${best[0]! >= 100_000 ? 'met' : 'missed'}), linear ≥ 50,000 texts/s (${best[1]! >= 50_000 ? 'met' : 'missed'})`,
);
if (sink < 0) console.log(sink);
