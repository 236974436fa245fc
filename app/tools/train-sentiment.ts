/**
 * Trains the linear sentiment tier and writes its weights file.
 *
 *   npm run train:sentiment -- [--data FILE.jsonl] [--out FILE.bin] [--id NAME] [--seed N]
 *       [--l2 X] [--dims-log2 N] [--char-min N] [--char-max N] [--max-iterations N]
 *       [--no-lexicon] [--no-negation] [--float] [--val FILE.jsonl]
 *
 * The data is JSON Lines with `text` and `label` (negative, neutral or positive). The defaults train
 * the committed model from ../shared/data/tweeteval-sentiment-train.jsonl. Training is
 * deterministic: the same data and flags give the same file, byte for byte.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import {
  classificationReport,
  DEFAULT_FEATURE_SPEC,
  DEFAULT_TRAIN_OPTIONS,
  encodeLinearModel,
  LinearSentiment,
  trainLinear,
  type SentimentLabel,
  type TrainExample,
} from '../../engines/sentiment/index.js';
import { isMain, numberFlag, parseFlags, runTool, UsageError, type FlagOptions } from '../flags.js';
import { DEFAULT_LINEAR_WEIGHTS, readRows, SHARED_DATA } from './sentiment-data.js';

const USAGE = `usage: npm run train:sentiment -- [--data FILE.jsonl] [--out FILE.bin] [--id NAME] [--seed N]
    [--l2 X] [--dims-log2 N] [--char-min N] [--char-max N] [--max-iterations N]
    [--no-lexicon] [--no-negation] [--float] [--val FILE.jsonl]`;

const OPTIONS = {
  data: { type: 'string' },
  out: { type: 'string' },
  id: { type: 'string' },
  seed: { type: 'string' },
  l2: { type: 'string' },
  'dims-log2': { type: 'string' },
  'char-min': { type: 'string' },
  'char-max': { type: 'string' },
  'max-iterations': { type: 'string' },
  val: { type: 'string' },
  'no-lexicon': { type: 'boolean', default: false },
  'no-negation': { type: 'boolean', default: false },
  float: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

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
  const data = resolve(flags.data ?? join(SHARED_DATA, 'tweeteval-sentiment-train.jsonl'));
  const out = resolve(flags.out ?? DEFAULT_LINEAR_WEIGHTS);
  const id = flags.id ?? (out === DEFAULT_LINEAR_WEIGHTS ? 'linear-v1' : basename(out, extname(out)));
  const features = {
    ...DEFAULT_FEATURE_SPEC,
    seed: numberFlag('seed', flags.seed, { min: 0 }) ?? DEFAULT_FEATURE_SPEC.seed,
    dimsLog2: numberFlag('dims-log2', flags['dims-log2'], { min: 4 }) ?? DEFAULT_FEATURE_SPEC.dimsLog2,
    charMin: numberFlag('char-min', flags['char-min'], { min: 1 }) ?? DEFAULT_FEATURE_SPEC.charMin,
    charMax: numberFlag('char-max', flags['char-max'], { min: 1 }) ?? DEFAULT_FEATURE_SPEC.charMax,
    lexicon: !flags['no-lexicon'],
    negationScope: !flags['no-negation'],
  };
  const l2 = numberFlag('l2', flags.l2, { min: 0 }) ?? DEFAULT_TRAIN_OPTIONS.l2;
  const maxIterations =
    numberFlag('max-iterations', flags['max-iterations'], { min: 1 }) ?? DEFAULT_TRAIN_OPTIONS.maxIterations;
  const rows = await readRows(data, 'label');
  const examples: TrainExample[] = rows.map((r) => ({ text: r.text, label: r.label as SentimentLabel }));
  const sha256 = createHash('sha256')
    .update(await readFile(data))
    .digest('hex');
  progress(`training ${id} on ${examples.length} texts from ${basename(data)}`);
  const started = Date.now();
  let model: ReturnType<typeof trainLinear>;
  try {
    model = trainLinear(
      examples,
      {
        ...DEFAULT_TRAIN_OPTIONS,
        id,
        features,
        l2,
        maxIterations,
        quantize: !flags.float,
        notes: {
          data: basename(data),
          data_sha256: sha256,
          command: ['npm run train:sentiment', ...(argv.length ? ['--', ...argv] : [])].join(' '),
        },
      },
      (p) => {
        if (p.phase === 'features' && (p.done % 20_000 === 0 || p.done === p.total))
          progress(`  features ${p.done}/${p.total}`);
        if (p.phase === 'optimize' && p.iteration % 10 === 0)
          progress(`  iteration ${p.iteration}: loss ${p.loss.toFixed(5)}`);
      },
    );
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const bytes = encodeLinearModel(model);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, bytes);
  log(
    `wrote ${out}: ${(bytes.length / 1024 / 1024).toFixed(2)} MiB, ${String(model.training.buckets_used)} buckets used, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const val = flags.val;
  if (val !== undefined) {
    const vrows = await readRows(resolve(val), 'label');
    const scorer = new LinearSentiment(model);
    const r = classificationReport(
      vrows.map((x) => x.label as SentimentLabel),
      vrows.map((x) => scorer.score(x.text).label),
    );
    log(
      `${basename(val)}: macro recall ${r.macro_recall.toFixed(4)}, accuracy ${r.accuracy.toFixed(4)}, macro F1 ${r.macro_f1.toFixed(4)} (n=${r.n})`,
    );
  }
  return 0;
}

if (isMain(import.meta.url)) runTool('train-sentiment', USAGE, () => main(process.argv.slice(2)));
