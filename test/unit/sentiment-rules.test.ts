import t from 'tap';
import { RulesSentiment, type SentimentScorer } from '../../engines/sentiment/index.js';
import { tokenize } from '../../engines/text/index.js';
import { EMOJI_VALENCES, EMOTICON_VALENCES, WORD_VALENCES } from '../../engines/sentiment/lexicon.js';

const scorer: SentimentScorer = new RulesSentiment();
const score = (text: string) => scorer.score(text).score;
const label = (text: string) => scorer.score(text).label;

t.test('every lexicon entry is a key the tokenizer produces', async (t) => {
  const unreachable: string[] = [];
  for (const word of WORD_VALENCES.keys()) {
    const tokens = tokenize(word);
    if (tokens.length !== 1 || tokens[0]?.kind !== 'word' || tokens[0].norm !== word) unreachable.push(word);
  }
  for (const emoji of EMOJI_VALENCES.keys()) {
    const tokens = tokenize(emoji);
    if (tokens.length !== 1 || tokens[0]?.kind !== 'emoji' || tokens[0].norm !== emoji)
      unreachable.push(emoji);
  }
  for (const face of EMOTICON_VALENCES.keys()) {
    const tokens = [tokenize(face), tokenize(face.toUpperCase())].find((ts) => ts[0]?.kind === 'emoticon');
    if (tokens?.length !== 1 || tokens[0]?.norm !== face) unreachable.push(face);
  }
  t.same(unreachable, []);
  t.ok(WORD_VALENCES.size >= 300, `${WORD_VALENCES.size} words`);
  for (const v of [...WORD_VALENCES.values(), ...EMOJI_VALENCES.values(), ...EMOTICON_VALENCES.values()]) {
    if (!(Math.abs(v) >= 0.5 && Math.abs(v) <= 4)) t.fail(`valence ${v} outside 0.5..4 in magnitude`);
  }
});

t.test('model id and tier', async (t) => {
  t.equal(scorer.model, 'rules-v2');
  t.equal(scorer.tier, 'rules');
});

t.test('the VADER lexicon is the base, the project lexicon wins, ambiguous words are out', async (t) => {
  t.equal(WORD_VALENCES.get('euphoric'), 3.2, 'a VADER word');
  t.equal(WORD_VALENCES.get('outage'), -2.2, 'a project word');
  for (const w of ['like', 'miss', 'no', 'united', 'swift']) t.equal(WORD_VALENCES.get(w), undefined, w);
  t.ok(WORD_VALENCES.size > 6000);
});

t.test('clear positive, negative and neutral posts', async (t) => {
  for (const text of [
    'I love this coffee',
    'Great service, thanks!',
    'this new flavour is lit',
    'lol best day',
  ]) {
    t.equal(label(text), 'positive', text);
  }
  for (const text of [
    'This is a scam',
    'Worst support ever',
    'another outage, app is broken again',
    'still waiting for my refund',
    'delayed again smh',
  ]) {
    t.equal(label(text), 'negative', text);
  }
  for (const text of ['The store opens at 9', 'New menu drops tomorrow', '@acme #coffee https://acme.com']) {
    t.same(scorer.score(text), { label: 'neutral', score: 0 }, text);
  }
});

t.test('empty and whitespace-only text is neutral 0', async (t) => {
  t.same(scorer.score(''), { label: 'neutral', score: 0 });
  t.same(scorer.score('  \n\t '), { label: 'neutral', score: 0 });
});

t.test('negation flips the next few words', async (t) => {
  t.ok(score('good') > 0);
  t.ok(score('not good') < 0, 'not good');
  t.ok(score("I don't love it") < 0, "n't");
  t.ok(score('I dont love it') < 0, 'apostrophe-less contraction');
  t.ok(score('never disappointed') > 0, 'never');
  t.ok(score('not bad at all') > 0, 'not bad');
  t.ok(score('no problem') > 0, 'no');
  t.ok(score('not really that good') < 0, 'three words away still negated');
  t.ok(score('I would not say that it was good') > 0, 'five words away no longer negated');
  t.ok(score('Not what I ordered, but great anyway') > 0, 'a comma ends the scope');
  t.ok(Math.abs(score('not good')) < Math.abs(score('bad')), 'a negated word is weaker than its opposite');
});

t.test('intensifiers and dampeners', async (t) => {
  t.ok(score('very good') > score('good'));
  t.ok(score('extremely bad') < score('bad'));
  t.ok(score('slightly good') < score('good'));
  t.ok(score('slightly good') > 0, 'dampened, not flipped');
  t.ok(score('kinda annoying') > score('annoying'));
  t.ok(score('soooo good') > score('so good'), 'an elongated intensifier is still one');
  t.ok(score('so good') > score('good'));
});

t.test('CAPS and elongation add emphasis', async (t) => {
  t.ok(score('this is GOOD') > score('this is good'));
  t.ok(score('this is AWFUL') < score('this is awful'));
  t.equal(score('THIS IS GOOD'), score('this is good'), 'all caps shouts nothing in particular');
  t.ok(score('goooood') > score('good'));
  t.ok(score('I loooove it') > 0, 'elongated word found in the lexicon');
  t.ok(score('I loooove it') > score('I love it'));
  t.ok(score('hateeee') < score('hate'));
});

t.test('exclamation marks amplify, up to a limit', async (t) => {
  t.ok(score('good!') > score('good'));
  t.ok(score('good!!!') > score('good!'));
  t.ok(score('bad!!!') < score('bad'));
  t.equal(score('good!!!!'), score('good!!!!!!!!!!'));
  t.same(scorer.score('!!!'), { label: 'neutral', score: 0 }, 'nothing to amplify');
});

t.test('the clause after "but" weighs more', async (t) => {
  t.equal(label('The food was great but the service was awful'), 'negative');
  t.equal(label('The service was awful but the food was great'), 'positive');
  t.ok(score('good but bad') < 0);
  t.ok(score('bad but good') > 0);
  t.ok(score('not bad but not good') < 0, 'negation does not reach across "but"');
});

t.test('emoji and emoticons', async (t) => {
  const cases: [string, 'positive' | 'negative'][] = [
    ['😍', 'positive'],
    ['❤️', 'positive'],
    ['👍🏽', 'positive'],
    ['🔥🔥', 'positive'],
    ['😡', 'negative'],
    ['🤦‍♂️', 'negative'],
    ['💔', 'negative'],
    [':)', 'positive'],
    [':D', 'positive'],
    ['<3', 'positive'],
    ['xD', 'positive'],
    [':(', 'negative'],
    [":'(", 'negative'],
    ['</3', 'negative'],
    ['order arrived 😭', 'negative'],
  ];
  for (const [text, want] of cases) t.equal(label(text), want, text);
  t.ok(score(':)))') > score(':)'), 'a repeated mouth is emphasis');
});

t.test('labels: a mild positive word alone is neutral, any net negative cue is negative', async (t) => {
  t.equal(label('the coffee is ok'), 'neutral', 'ok is too mild to call positive');
  t.equal(label('the coffee is great'), 'positive');
  t.equal(label('the coffee is a bit slow'), 'negative');
});

t.test('"like" counts after a subject only; idioms', async (t) => {
  t.ok(score('I like the new cup') > 0, 'I like');
  t.equal(score('looks like rain today'), 0, 'like as a preposition');
  t.equal(label("can't wait for the new season"), 'positive', "can't wait is eager, not negated");
  t.equal(label('looking forward to the launch'), 'positive');
  t.ok(score("can't wait") > 0 && score('wait') === 0);
});

t.test('a negation that turns no word around leans negative', async (t) => {
  t.ok(score("why doesn't it ship to Canada") < 0);
  t.equal(score('it ships to Canada'), 0);
  t.ok(score('not good') < score("it's not here"), 'a negated word counts more than the lean');
});

t.test('analyze shows the parts of the score', async (t) => {
  const r = new RulesSentiment();
  const a = r.analyze(tokenize('great coffee but awful service'));
  t.ok(a.positive > 0 && a.negative < 0);
  t.equal(a.hits, 2);
  t.equal(a.compound, r.score('great coffee but awful service').score);
  t.same(r.analyze([]), { sum: 0, positive: 0, negative: 0, hits: 0, compound: 0 });
});

t.test('hashtags with sentiment words count', async (t) => {
  t.equal(label('#fail'), 'negative');
  t.equal(label('#blessed'), 'positive');
});

t.test('compound score stays in [-1, 1] and the label follows it', async (t) => {
  const texts = [
    'great '.repeat(10_000),
    'AWFUL!!!! '.repeat(5_000),
    'good bad good bad',
    'meh',
    'ok',
    'not not not good',
    '😀😡😀😡',
  ];
  for (const text of texts) {
    const r = scorer.score(text);
    t.ok(r.score >= -1 && r.score <= 1, `in range: ${r.score}`);
    const want = r.score >= 0.35 ? 'positive' : r.score < 0 ? 'negative' : 'neutral';
    t.equal(r.label, want);
  }
  t.ok(score('great '.repeat(10_000)) > 0.99);
  t.ok(score('good') > 0.3 && score('good') < 0.7, 'one word is a moderate score');
});

t.test('uses the tokens it is given', async (t) => {
  const text = 'I love it';
  t.same(scorer.score(text, tokenize(text)), scorer.score(text));
  t.equal(scorer.score('neutral words', tokenize('awful')).label, 'negative');
  t.same(scorer.score('awful', []), { label: 'neutral', score: 0 });
});

t.test('bad inputs never throw', async (t) => {
  const inputs = [
    '\uD800',
    'good \uDC00 bad \uD83D',
    '\u0000\u0007\u001B[31m',
    '😀'.repeat(25_000),
    'a'.repeat(50_000),
    '! '.repeat(25_000),
    'not '.repeat(12_500),
    'very '.repeat(12_500) + 'good',
    undefined as unknown as string,
    null as unknown as string,
  ];
  for (const input of inputs) {
    const r = scorer.score(input);
    t.ok(Number.isFinite(r.score) && r.score >= -1 && r.score <= 1);
    t.ok(['negative', 'neutral', 'positive'].includes(r.label));
  }
});

t.test('deterministic', async (t) => {
  const text = 'Sooo not impressed with @acme, but the coffee is GREAT!!! 😍 :(';
  const first = scorer.score(text);
  t.same(scorer.score(text), first);
  t.same(new RulesSentiment().score(text), first);
});
