import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_FEATURE_SPEC,
  DEFAULT_TRAIN_OPTIONS,
  decodeLinearModel,
  encodeLinearModel,
  LinearSentiment,
  ModelFormatError,
  quantizeWeights,
  SentimentFeaturizer,
  trainLinear,
  type SentimentLabel,
  type TrainExample,
  type TrainOptions,
} from '../../engines/sentiment/index.js';
import { FeatureBuffer, hashString, tokenize } from '../../engines/text/index.js';
import { loadLinearSentiment, SentimentError } from '../../stream/index.js';
import { PROJECT_ROOT } from '../../app/paths.js';

const COMMITTED = join(PROJECT_ROOT, 'engines', 'sentiment', 'models', 'sentiment-linear-v1.bin');

const TEMPLATES: Record<SentimentLabel, string[]> = {
  positive: ['I love {x}', '{x} is great', 'best {x} ever', 'so happy with the {x}', 'amazing {x} today'],
  negative: ['I hate {x}', '{x} is awful', 'worst {x} ever', 'so angry about the {x}', 'terrible {x} today'],
  neutral: [
    '{x} opens at 9',
    'new {x} tomorrow',
    '{x} is on the menu',
    'reading about {x}',
    'the {x} at the store',
  ],
};
const THINGS = ['coffee', 'tea', 'service', 'app', 'latte', 'store'];
const EXAMPLES: TrainExample[] = Object.entries(TEMPLATES).flatMap(([label, templates]) =>
  templates.flatMap((tpl) =>
    THINGS.map((x) => ({ text: tpl.replace('{x}', x), label: label as SentimentLabel })),
  ),
);

const small = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  ...DEFAULT_TRAIN_OPTIONS,
  id: 'linear-test',
  features: { ...DEFAULT_FEATURE_SPEC, dimsLog2: 12 },
  maxIterations: 60,
  ...over,
});

t.test('training is deterministic: the same data and options give the same bytes', async (t) => {
  const a = encodeLinearModel(trainLinear(EXAMPLES, small()));
  const b = encodeLinearModel(trainLinear(EXAMPLES, small()));
  t.same(Buffer.from(a).equals(Buffer.from(b)), true, 'identical files');
  const seeded = encodeLinearModel(
    trainLinear(EXAMPLES, small({ features: { ...DEFAULT_FEATURE_SPEC, dimsLog2: 12, seed: 7 } })),
  );
  t.notOk(Buffer.from(a).equals(Buffer.from(seeded)), 'another hash seed, other buckets');
});

t.test('a trained model learns its examples and scores unseen phrasings', async (t) => {
  const scorer = new LinearSentiment(trainLinear(EXAMPLES, small()));
  const wrong = EXAMPLES.filter((e) => scorer.score(e.text).label !== e.label);
  t.ok(wrong.length <= 2, `${wrong.length} of ${EXAMPLES.length} training examples wrong`);
  t.equal(scorer.score('I love the muffins').label, 'positive');
  t.equal(scorer.score('worst muffins ever').label, 'negative');
  const progress: string[] = [];
  trainLinear(EXAMPLES, small({ maxIterations: 3 }), (p) => progress.push(p.phase));
  t.ok(progress.includes('features') && progress.includes('optimize'), 'reports progress');
  t.throws(() => trainLinear([], small()), RangeError);
  t.throws(() => trainLinear([{ text: 'x', label: 'meh' as SentimentLabel }], small()), RangeError);
});

t.test('the weights file round-trips and refuses damaged files', async (t) => {
  const model = trainLinear(EXAMPLES, small());
  const bytes = encodeLinearModel(model);
  const back = new LinearSentiment(decodeLinearModel(bytes));
  const original = new LinearSentiment(model);
  for (const e of EXAMPLES.slice(0, 10)) t.same(back.score(e.text), original.score(e.text), e.text);
  t.equal(back.model, 'linear-test');

  t.throws(() => decodeLinearModel(bytes.subarray(0, bytes.length - 1)), ModelFormatError, 'truncated');
  const flipped = bytes.slice();
  flipped[flipped.length - 5]! ^= 0xff;
  t.throws(() => decodeLinearModel(flipped), /checksum/, 'a changed weight');
  t.throws(() => decodeLinearModel(new TextEncoder().encode('not a model at all')), /magic/);

  const float = trainLinear(EXAMPLES, small({ quantize: false }));
  t.ok(float.weights instanceof Float32Array);
  const floatBack = decodeLinearModel(encodeLinearModel(float));
  t.same(Array.from(floatBack.weights.slice(0, 300)), Array.from(float.weights.slice(0, 300)));
});

t.test('int8 quantization stays within half a step of each weight', async (t) => {
  const w = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * (i % 3 === 0 ? 4 : 0.5));
  const q = quantizeWeights(w);
  let worst = 0;
  for (let i = 0; i < w.length; i++)
    worst = Math.max(worst, Math.abs(q.weights[i]! * q.scales[i % 3]! - w[i]!) / q.scales[i % 3]!);
  t.ok(worst <= 0.5 + 1e-9, `worst error ${worst} steps`);
});

t.test('feature hashing is stable: a committed weights file depends on it', async (t) => {
  // These values must never change; if they do, every trained model scores garbage.
  t.equal(hashString('good'), 3_698_447_203);
  t.equal(hashString(''), 2_872_998_923);
  const f = new SentimentFeaturizer({ ...DEFAULT_FEATURE_SPEC, dimsLog2: 10 });
  const a = new FeatureBuffer();
  const b = new FeatureBuffer(1);
  f.featurize(tokenize('Not good at all!!'), a);
  f.featurize(tokenize('Not good at all!!'), b);
  t.same(Array.from(a.indices.subarray(0, a.length)), Array.from(b.indices.subarray(0, b.length)));
  t.ok(Array.from(a.indices.subarray(0, a.length)).every((i) => i >= 0 && i < 1024));
  const negated = new FeatureBuffer();
  const plain = new FeatureBuffer();
  f.featurize(tokenize('not good'), negated);
  f.featurize(tokenize('so good'), plain);
  t.notOk(
    Array.from(negated.indices.subarray(0, 2)).includes(plain.indices[1]!),
    '"good" after "not" is a feature of its own',
  );
  t.throws(() => new SentimentFeaturizer({ ...DEFAULT_FEATURE_SPEC, dimsLog2: 40 }), RangeError);
  t.throws(() => new SentimentFeaturizer({ ...DEFAULT_FEATURE_SPEC, charMin: 4, charMax: 2 }), RangeError);
});

t.test(
  'the committed model loads and scores',
  { skip: !existsSync(COMMITTED) && 'no committed weights' },
  async (t) => {
    const scorer = await loadLinearSentiment(COMMITTED);
    t.equal(scorer.model, 'linear-v1');
    t.equal(scorer.tier, 'linear');
    t.match(scorer.spec.training, {
      data: 'tweeteval-sentiment-train.jsonl',
      command: /^npm run train:sentiment/,
    });
    t.equal(scorer.score('I love this coffee, best latte ever! 😍').label, 'positive');
    t.equal(scorer.score('worst service ever, still waiting for my refund 😡').label, 'negative');
    t.equal(scorer.score('The store on Main Street opens at 9am tomorrow').label, 'neutral');
    const p = scorer.probabilities(tokenize('meh'));
    t.ok(Math.abs(p[0]! + p[1]! + p[2]! - 1) < 1e-9, 'probabilities sum to 1');
    const r = scorer.score('the coffee was fine I guess');
    t.ok(r.confidence !== undefined && r.confidence >= 1 / 3 && r.confidence <= 1);
  },
);

t.test('loading reports a missing or damaged file with a code', async (t) => {
  await t.rejects(loadLinearSentiment('/nonexistent/model.bin'), { code: 'MODEL_NOT_FOUND' });
  await t.rejects(loadLinearSentiment(join(PROJECT_ROOT, 'package.json')), { code: 'MODEL_INVALID' });
  const err = await loadLinearSentiment('/nonexistent/model.bin').catch((e: unknown) => e);
  t.ok(err instanceof SentimentError);
});

t.test('bad inputs get a defined result and never throw', async (t) => {
  const scorer = new LinearSentiment(trainLinear(EXAMPLES, small()));
  const inputs = [
    '',
    '   ',
    '😀😀😀',
    'https://a.example/x http://b.example/y',
    'a'.repeat(50_000),
    'word '.repeat(10_000),
    '\uD800 lone \uDC00 surrogates \uD83D',
    '\u0000\u0007\u001B[31m control',
    undefined as unknown as string,
    null as unknown as string,
  ];
  for (const input of inputs) {
    const r = scorer.score(input);
    t.ok(['negative', 'neutral', 'positive'].includes(r.label), JSON.stringify(input)?.slice(0, 30));
    t.ok(Number.isFinite(r.score) && r.score >= -1 && r.score <= 1);
  }
  t.same(scorer.score(''), scorer.score('   '), 'empty and blank text score alike');
});
