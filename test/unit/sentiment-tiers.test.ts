import t from 'tap';
import { RulesSentiment, type SentimentResult, type SentimentScorer } from '../../engines/sentiment/index.js';
import { BrandMatcher, tokenize } from '../../engines/text/index.js';
import {
  enrichEvent,
  Instrumentation,
  mapModelLabels,
  parseLabelMap,
  SelectionPolicy,
  SentimentError,
  SentimentTiers,
  startEnrich,
  TokenBucket,
  type PipelineEvents,
  type SocialEvent,
  type TransformerClassifier,
} from '../../stream/index.js';

function event(over: Partial<SocialEvent> = {}): SocialEvent {
  return {
    id: 'e1',
    source: 'test',
    ts: 1_700_000_000_000,
    received_ts: 1_700_000_000_000,
    author: { id: 'a1', followers: 10 },
    text: 'I love this coffee',
    tags: { hashtags: [], mentions: [], urls: [] },
    engagement: { likes: 0, shares: 0, replies: 0 },
    ...over,
  };
}

/** A transformer stand-in that answers as told. */
class FakeTransformer implements TransformerClassifier {
  readonly model = 'fake-transformer';
  calls: string[] = [];
  constructor(private readonly answer: (text: string) => Promise<SentimentResult>) {}
  classify(text: string): Promise<SentimentResult> {
    this.calls.push(text);
    return this.answer(text);
  }
}

/** A fast tier that is sure or unsure as told. */
const fastTier = (confidence: number): SentimentScorer => ({
  model: 'fake-linear',
  tier: 'linear',
  score: () => ({ label: 'positive', score: 0.4, confidence }),
});

function record(instrumentation: Instrumentation) {
  const seen: { [K in keyof PipelineEvents]?: PipelineEvents[K][] } = {};
  for (const name of ['sentiment.transformer', 'sentiment.unsupported'] as const)
    instrumentation.on(name, (e) => ((seen[name] ??= [] as never[]) as unknown[]).push(e));
  return seen;
}

const negative: SentimentResult = { label: 'negative', score: -0.9, confidence: 0.95 };

t.test('the fast tier scores every event and says which tier and model', async (t) => {
  const tiers = new SentimentTiers({ fast: new RulesSentiment() });
  const e = event();
  const r = tiers.scoreEvent(e, tokenize(e.text));
  t.match(r.sentiment, { label: 'positive', model: 'rules-v2', tier: 'rules' });
  t.equal(r.refined, undefined, 'no transformer configured');
});

t.test('a selected event gets the transformer label; the rest keep the fast one', async (t) => {
  const instrumentation = new Instrumentation();
  const seen = record(instrumentation);
  const transformer = new FakeTransformer(async () => negative);
  const tiers = new SentimentTiers({
    fast: fastTier(0.5),
    instrumentation,
    transformer: {
      classifier: transformer,
      policy: SelectionPolicy.parse('uncertain:0.6'),
      budget: new TokenBucket(1000),
      waitMs: 5000,
    },
  });
  const unsure = tiers.scoreEvent(event(), tokenize('I love this coffee'));
  t.match(
    unsure.sentiment,
    { label: 'positive', tier: 'linear', model: 'fake-linear' },
    'fast result at once',
  );
  t.same(await unsure.refined, {
    label: 'negative',
    score: -0.9,
    model: 'fake-transformer',
    tier: 'transformer',
  });
  t.same(seen['sentiment.transformer'], [{ reason: 'uncertain', outcome: 'scored' }]);

  const sure = new SentimentTiers({
    fast: fastTier(0.9),
    transformer: {
      classifier: transformer,
      policy: SelectionPolicy.parse('uncertain:0.6'),
      budget: new TokenBucket(1000),
      waitMs: 5000,
    },
  }).scoreEvent(event(), tokenize('I love this coffee'));
  t.equal(sure.refined, undefined, 'a confident event is not sent');
  t.equal(transformer.calls.length, 1);
});

t.test('over budget, late or failing: the event keeps its fast score', async (t) => {
  const instrumentation = new Instrumentation();
  const seen = record(instrumentation);
  let now = 0;
  const budget = new TokenBucket(1, 1, () => now);
  const mk = (classifier: TransformerClassifier, waitMs = 5000) =>
    new SentimentTiers({
      fast: fastTier(0.5),
      instrumentation,
      transformer: { classifier, policy: SelectionPolicy.parse('all'), budget, waitMs },
    });
  const ok = mk(new FakeTransformer(async () => negative));
  const first = ok.scoreEvent(event(), []).refined;
  t.ok(first, 'the first takes the one token');
  t.equal(ok.scoreEvent(event(), []).refined, undefined, 'the second is over budget');
  t.ok(await first);
  now += 1000;
  const never = mk(new FakeTransformer(() => new Promise(() => {})), 20);
  t.equal(await never.scoreEvent(event(), []).refined, undefined, 'no answer within waitMs');
  now += 1000;
  const crashing = mk(new FakeTransformer(async () => Promise.reject(new SentimentError('WORKER_CRASHED'))));
  t.equal(await crashing.scoreEvent(event(), []).refined, undefined, 'a crashed worker');
  t.same(
    seen['sentiment.transformer']?.map((e) => e.outcome),
    ['over_budget', 'scored', 'timeout', 'failed'],
  );
  t.equal(seen['sentiment.transformer']?.[3]?.error, 'WORKER_CRASHED');
});

t.test('posts not in English are unsupported, declared or detected', async (t) => {
  const instrumentation = new Instrumentation();
  const seen = record(instrumentation);
  const transformer = new FakeTransformer(async () => negative);
  const tiers = new SentimentTiers({
    fast: new RulesSentiment(),
    instrumentation,
    transformer: {
      classifier: transformer,
      policy: SelectionPolicy.parse('all'),
      budget: new TokenBucket(1000),
      waitMs: 1000,
    },
  });
  const spanish = 'Me encanta el café de esta tienda, es muy bueno';
  const detected = tiers.scoreEvent(event({ text: spanish }), tokenize(spanish));
  t.same(detected.sentiment, { label: 'unsupported', score: 0, model: 'langid-heuristic-v1', tier: 'none' });
  t.equal(detected.refined, undefined, 'not sent to the transformer either');
  const declared = tiers.scoreEvent(event({ lang: 'de-AT', text: 'great' }), tokenize('great'));
  t.equal(declared.sentiment.label, 'unsupported');
  const english = tiers.scoreEvent(event({ lang: 'en-US', text: 'great' }), tokenize('great'));
  t.equal(english.sentiment.label, 'positive');
  t.same(seen['sentiment.unsupported'], [
    { language: 'es', declared: false },
    { language: 'de', declared: true },
  ]);
  t.equal(transformer.calls.length, 1, 'only the English post went to the transformer');

  const unchecked = new SentimentTiers({ fast: new RulesSentiment(), languageCheck: false });
  t.not(unchecked.scoreEvent(event({ text: spanish }), tokenize(spanish)).sentiment.label, 'unsupported');
});

t.test(
  'enrichEvent takes a plain scorer or the tiers; startEnrich also waits for the transformer',
  async (t) => {
    const matcher = new BrandMatcher([{ name: 'Acme' }]);
    const e = event({ text: 'I love Acme' });
    const plain = enrichEvent(e, matcher, new RulesSentiment());
    t.match(plain, { brands: ['Acme'], sentiment: { label: 'positive', model: 'rules-v2', tier: 'rules' } });
    t.equal(
      enrichEvent(event({ text: 'Das ist nicht gut, ich bin enttäuscht' }), matcher, new RulesSentiment())
        .sentiment.label,
      'unsupported',
    );

    const tiers = new SentimentTiers({
      fast: new RulesSentiment(),
      transformer: {
        classifier: new FakeTransformer(async () => negative),
        policy: SelectionPolicy.parse('all'),
        budget: new TokenBucket(1000),
        waitMs: 1000,
      },
    });
    t.equal(enrichEvent(e, matcher, tiers).sentiment.tier, 'rules', 'enrichEvent never waits');
    const started = startEnrich(e, matcher, tiers);
    t.equal(started.event.sentiment.tier, 'rules');
    t.match(await started.refined, { tier: 'transformer', label: 'negative' });
    t.equal(tiers.model, 'rules-v2', 'as a plain scorer, the tiers are their fast tier');
    t.same(tiers.score('I love it'), new RulesSentiment().score('I love it'));
  },
);

t.test('selection policy', async (t) => {
  const fast = { label: 'neutral' as const, score: 0, confidence: 0.5 };
  t.equal(SelectionPolicy.parse('all').select(event(), fast), 'all');
  t.equal(SelectionPolicy.parse('none').select(event(), fast), undefined);
  t.equal(SelectionPolicy.parse('').select(event(), fast), undefined);
  t.ok(SelectionPolicy.parse('none').selectsNothing);
  const reach = SelectionPolicy.parse('reach:1000');
  t.equal(reach.select(event({ author: { id: 'a', followers: 5000 } }), fast), 'reach');
  t.equal(reach.select(event({ author: { id: 'a', followers: 999 } }), fast), undefined);
  const uncertain = SelectionPolicy.parse('uncertain:0.6');
  t.equal(uncertain.select(event(), { ...fast, confidence: 0.59 }), 'uncertain');
  t.equal(uncertain.select(event(), { ...fast, confidence: 0.61 }), undefined);
  t.equal(uncertain.select(event(), { label: 'neutral', score: 0 }), 'uncertain', 'no confidence: uncertain');

  const sample = SelectionPolicy.parse('sample:0.25');
  const picked = Array.from({ length: 4000 }, (_, i) => sample.select(event({ id: `e${i}` }), fast)).filter(
    Boolean,
  );
  t.ok(picked.length > 800 && picked.length < 1200, `about a quarter: ${picked.length}`);
  t.equal(
    sample.select(event({ id: 'x' }), fast),
    sample.select(event({ id: 'x' }), fast),
    'the same event, the same choice',
  );

  t.equal(
    SelectionPolicy.parse('uncertain:0.1, reach:10').select(event(), fast),
    'reach',
    'any rule selects',
  );
  for (const bad of ['sometimes', 'sample:2', 'uncertain:', 'reach:-1', 'reach:1.5', 'all:1'])
    t.throws(() => SelectionPolicy.parse(bad), RangeError, bad);
});

t.test('token bucket', async (t) => {
  let now = 0;
  const b = new TokenBucket(10, 5, () => now);
  let taken = 0;
  while (b.take()) taken++;
  t.equal(taken, 5, 'starts full at the burst size');
  now += 100;
  t.ok(b.take(), 'one token after 100 ms at 10/s');
  t.notOk(b.take());
  now += 10_000;
  t.equal(b.available(), 5, 'never more than the burst');
  t.throws(() => new TokenBucket(-1));
  const none = new TokenBucket(0, 0, () => now);
  t.notOk(none.take(), 'a zero budget sends nothing');
});

t.test('label mapping', async (t) => {
  t.same(mapModelLabels(['negative', 'neutral', 'positive']), ['negative', 'neutral', 'positive']);
  t.same(mapModelLabels(['NEG', 'NEU', 'POS']), ['negative', 'neutral', 'positive']);
  t.same(mapModelLabels(['LABEL_0', 'LABEL_1', 'LABEL_2']), ['negative', 'neutral', 'positive']);
  t.same(mapModelLabels(['LABEL_0', 'LABEL_1']), ['negative', 'positive']);
  t.same(mapModelLabels(['NEGATIVE', 'POSITIVE']), ['negative', 'positive']);
  t.same(mapModelLabels(['1 star', '2 stars', '3 stars', '4 stars', '5 stars']), [
    'negative',
    'negative',
    'neutral',
    'positive',
    'positive',
  ]);
  t.throws(() => mapModelLabels(['joy', 'anger']), { code: 'MODEL_LABELS' });
  t.same(mapModelLabels(['joy', 'anger'], parseLabelMap('joy=positive, anger=negative')), [
    'positive',
    'negative',
  ]);
  t.throws(() => parseLabelMap('joy=happy'), RangeError);
  t.throws(() => parseLabelMap('=positive'), RangeError);
});

t.test('bad input through the tiers gets a defined result', async (t) => {
  const tiers = new SentimentTiers({ fast: new RulesSentiment() });
  const cases: [string, string][] = [
    ['', 'neutral'],
    ['😍😍', 'positive'],
    ['https://a.example/x http://b.example/y', 'neutral'],
    ['@acme @bluebird', 'neutral'],
    ['z'.repeat(50_000), 'neutral'],
    ['good '.repeat(10_000), 'positive'],
    ['\uD800 \uDC00 \uD83D', 'neutral'],
    ['\u0000\u0007\u001B[31m\u202E', 'neutral'],
  ];
  for (const [text, label] of cases) {
    const r = tiers.scoreEvent(event({ text }), tokenize(text));
    t.equal(r.sentiment.label, label, JSON.stringify(text).slice(0, 24));
    t.ok(Number.isFinite(r.sentiment.score));
  }
});
