/**
 * Evaluates one sentiment tier on a JSON Lines file.
 *
 *   npm run eval:sentiment -- --data FILE.jsonl --model rules|linear|transformer|afinn|vader
 *       [--weights FILE.bin] [--transformer-dir DIR] [--fp32] [--limit N] [--json]
 *
 * `afinn` and `vader` are the npm packages `sentiment` and `vader-sentiment` (dev dependencies), as
 * baselines: AFINN's sign is its label; VADER's compound score is labelled with its authors'
 * ±0.05 thresholds.
 *
 * Rows with `label` (negative/neutral/positive) get macro-averaged recall (TweetEval's main
 * metric), accuracy, macro F1, per-class figures and the confusion matrix; rows with a continuous
 * `score` (vader-tweets.jsonl) get Pearson's r between it and the model's score. Both get texts
 * per second on one core. With --json the last line is one JSON object with every figure.
 */
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import {
  classificationReport,
  detectLanguage,
  pearson,
  RulesSentiment,
  type SentimentLabel,
  type SentimentResult,
  type SentimentScorer,
} from '../../engines/sentiment/index.js';
import { tokenize } from '../../engines/text/index.js';
import { loadLinearSentiment, TransformerPool } from '../../stream/index.js';
import { isMain, numberFlag, parseFlags, runTool, UsageError, type FlagOptions } from '../flags.js';
import { PROJECT_ROOT } from '../paths.js';
import { DEFAULT_LINEAR_WEIGHTS, readRows, type DataRow } from './sentiment-data.js';

const USAGE = `usage: npm run eval:sentiment -- --data FILE.jsonl --model rules|linear|transformer|afinn|vader
    [--weights FILE.bin] [--transformer-dir DIR] [--fp32] [--limit N] [--json]`;

const OPTIONS = {
  data: { type: 'string' },
  model: { type: 'string' },
  weights: { type: 'string' },
  'transformer-dir': { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean', default: false },
  fp32: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

const DEFAULT_TRANSFORMER = join(PROJECT_ROOT, '..', 'shared', 'models', 'tiny-random-roberta-sentiment');
/** JS tiers are timed over repeated passes until this much time has passed; the best pass counts. */
const TIMING_MS = 1500;

interface Scored {
  results: SentimentResult[];
  model: string;
  textsPerSecond: number;
  timing: string;
}

export async function main(
  argv: readonly string[],
  log = console.log,
  progress = console.error,
): Promise<number> {
  const { values: flags } = parseFlags(argv, OPTIONS);
  if (flags.help) {
    log(USAGE);
    return 0;
  }
  const data = flags.data;
  if (data === undefined) throw new UsageError('--data is required');
  const tier = flags.model;
  if (tier !== 'rules' && tier !== 'linear' && tier !== 'transformer' && tier !== 'afinn' && tier !== 'vader')
    throw new UsageError(
      `--model must be rules, linear, transformer, afinn or vader${tier ? `, got "${tier}"` : ''}`,
    );
  const limit = numberFlag('limit', flags.limit, { min: 1 });
  const rows = (await readRows(resolve(data), 'label-or-score')).slice(0, limit);
  const texts = rows.map((r) => r.text);
  progress(`scoring ${rows.length} texts from ${basename(data)} with the ${tier} tier`);

  const local = async (): Promise<SentimentScorer> => {
    if (tier === 'rules') return new RulesSentiment();
    if (tier === 'afinn' || tier === 'vader') return baseline(tier);
    const started = performance.now();
    const linear = await loadLinearSentiment(resolve(flags.weights ?? DEFAULT_LINEAR_WEIGHTS));
    loadMs = performance.now() - started;
    return linear;
  };
  let loadMs: number | undefined;
  const scored =
    tier === 'transformer'
      ? await scoreTransformer(
          texts,
          resolve(flags['transformer-dir'] ?? DEFAULT_TRANSFORMER),
          !flags.fp32,
          progress,
        )
      : scoreLocal(texts, await local());

  const notEnglish = texts.filter((t) => !detectLanguage(tokenize(t)).supported).length;
  const summary = report(rows, scored, basename(data), notEnglish);
  if (loadMs !== undefined) {
    summary.lines.push(`load          ${loadMs.toFixed(0)} ms (read, checksum and decode the weights file)`);
    summary.json.load_ms = Math.round(loadMs);
  }
  for (const line of summary.lines) log(line);
  if (flags.json) log(JSON.stringify(summary.json));
  return 0;
}

/** The npm baselines, as scorers. Both are CommonJS packages without types. */
function baseline(name: 'afinn' | 'vader'): SentimentScorer {
  const require = createRequire(import.meta.url);
  const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;
  if (name === 'afinn') {
    const Afinn = require('sentiment') as new () => { analyze(text: string): { score: number } };
    const afinn = new Afinn();
    return {
      model: `npm sentiment ${version('sentiment')} (AFINN-165)`,
      score: (text) => {
        const x = afinn.analyze(text).score;
        return {
          label: x > 0 ? 'positive' : x < 0 ? 'negative' : 'neutral',
          score: x / Math.sqrt(x * x + 15),
        };
      },
    };
  }
  const vader = require('vader-sentiment') as {
    SentimentIntensityAnalyzer: { polarity_scores(text: string): { compound: number } };
  };
  return {
    model: `npm vader-sentiment ${version('vader-sentiment')}`,
    score: (text) => {
      const c = vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;
      return { label: c >= 0.05 ? 'positive' : c <= -0.05 ? 'negative' : 'neutral', score: c };
    },
  };
}

function scoreLocal(texts: string[], scorer: SentimentScorer): Scored {
  const results = texts.map((t) => scorer.score(t));
  let best = Infinity;
  let passes = 0;
  const until = performance.now() + TIMING_MS;
  do {
    const start = performance.now();
    for (const t of texts) scorer.score(t);
    best = Math.min(best, performance.now() - start);
    passes++;
  } while (performance.now() < until || passes < 3);
  return {
    results,
    model: scorer.model,
    textsPerSecond: texts.length / (best / 1000),
    timing: `best of ${passes} passes, one thread, tokenizing included`,
  };
}

async function scoreTransformer(
  texts: string[],
  modelDir: string,
  quantized: boolean,
  progress: (s: string) => void,
): Promise<Scored> {
  const pool = await TransformerPool.start({
    modelDir,
    quantized,
    workers: 1,
    threads: 1,
    batchSize: 32,
    maxQueue: texts.length + 1,
  });
  try {
    const start = performance.now();
    let done = 0;
    const results = await Promise.all(
      texts.map((t) =>
        pool.classify(t).then((r) => {
          if (++done % 1000 === 0) progress(`  ${done}/${texts.length}`);
          return r;
        }),
      ),
    );
    const seconds = (performance.now() - start) / 1000;
    return {
      results,
      model: pool.model,
      textsPerSecond: texts.length / seconds,
      timing: 'one worker process with one onnxruntime thread, batches of 32',
    };
  } finally {
    await pool.close();
  }
}

function report(
  rows: DataRow[],
  s: Scored,
  file: string,
  notEnglish: number,
): { lines: string[]; json: Record<string, unknown> } {
  const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
  const rate = Math.round(s.textsPerSecond);
  const lines = [`model         ${s.model}`, `data          ${file} (${rows.length} texts)`];
  const json: Record<string, unknown> = { model: s.model, data: file, n: rows.length };
  if (rows[0]?.label !== undefined) {
    const r = classificationReport(
      rows.map((x) => x.label as SentimentLabel),
      s.results.map((x) => x.label),
    );
    lines.push(
      `macro recall  ${f4(r.macro_recall)}`,
      `accuracy      ${f4(r.accuracy)}`,
      `macro F1      ${f4(r.macro_f1)}`,
      '',
      '              precision  recall      f1  support',
      ...Object.entries(r.per_class).map(
        ([label, c]) =>
          `  ${label.padEnd(10)}  ${f4(c.precision).padStart(9)}  ${f4(c.recall).padStart(6)}  ${f4(c.f1).padStart(6)}  ${String(c.support).padStart(7)}`,
      ),
      '',
      'confusion (rows: true label, columns: predicted)',
      '              negative   neutral  positive',
      ...r.confusion.map(
        (row, i) =>
          `  ${['negative', 'neutral', 'positive'][i]!.padEnd(10)}${row.map((v) => String(v).padStart(10)).join('')}`,
      ),
    );
    Object.assign(json, {
      macro_recall: r.macro_recall,
      accuracy: r.accuracy,
      macro_f1: r.macro_f1,
      per_class: r.per_class,
      confusion: r.confusion,
    });
  } else {
    const r = pearson(
      rows.map((x) => x.score!),
      s.results.map((x) => x.score),
    );
    lines.push(`pearson r     ${f4(r)} (model score against the mean human rating)`);
    Object.assign(json, { pearson: r, macro_recall: null, accuracy: null, macro_f1: null });
  }
  lines.push(
    '',
    `texts/s       ${rate.toLocaleString('en-US')} on one core (${s.timing})`,
    `not English   ${notEnglish} texts (the pipeline marks these unsupported; scored here all the same)`,
  );
  Object.assign(json, { texts_per_s: rate, not_english: notEnglish });
  return { lines, json };
}

if (isMain(import.meta.url)) runTool('eval-sentiment', USAGE, () => main(process.argv.slice(2)));
