import t from 'tap';
import { MAX_TEXT_TERMS, porterStem, StreamingDmm, topicTerms } from '../../engines/clusters/index.js';
import { surfacesOf, topicTermsOf } from '../../engines/clusters/terms.js';
import { BrandMatcher, tokenize } from '../../engines/text/index.js';

t.test(
  'words are normalized and stemmed; stopwords, links, mentions, numbers and emoji are left out',
  async (t) => {
    t.same(topicTerms('How do I connect to the Oracle database? @dba https://example.com/x 2008 😡'), [
      'connect',
      'oracl',
      'databas',
    ]);
    t.same(topicTerms('Café CAFÉ cafe'), ['cafe', 'cafe', 'cafe'], 'accents and case folded, repeats kept');
    t.same(
      topicTerms("Apple's store isn't open"),
      ['appl', 'store', 'open'],
      "possessive 's and contractions",
    );
    t.same(topicTerms('sooooo goooood coffee'), ['soo', 'good', 'coffe'], 'elongations reduced');
    t.same(topicTerms('vs2008 and 64bit builds'), ['vs2008', '64bit', 'build'], 'words with digits kept');
  },
);

t.test('hashtags are kept as #tag, not stemmed, in order', async (t) => {
  t.same(topicTerms('Outage again #Outages #down today'), ['outag', '#outages', '#down', 'todai']);
  t.same(topicTerms('#1 fan'), ['fan'], '#1 is a number');
});

t.test('nothing usable gives [] and odd input never throws', async (t) => {
  t.same(topicTerms(''), []);
  t.same(topicTerms('the and of to a I'), []);
  t.same(topicTerms('https://x.y/z @someone 123 456 :) 😀'), []);
  for (const odd of [null, undefined, 42, {}, [], NaN] as unknown[]) t.same(topicTerms(odd as string), []);
  t.same(topicTerms('\uD800 broken \uDC00 surrogates'), ['broken', 'surrog']);
  const huge = 'coffee '.repeat(100_000);
  const terms = topicTerms(huge);
  t.equal(terms.length, MAX_TEXT_TERMS, 'a huge text gives at most MAX_TEXT_TERMS terms');
  t.ok(terms.every((x) => x === 'coffe'));
});

t.test('the Porter stemmer gives the reference stems', async (t) => {
  const pairs: [string, string][] = [
    ['caresses', 'caress'],
    ['ponies', 'poni'],
    ['agreed', 'agre'],
    ['motoring', 'motor'],
    ['hopping', 'hop'],
    ['filing', 'file'],
    ['happy', 'happi'],
    ['relational', 'relat'],
    ['generalizations', 'gener'],
    ['connection', 'connect'],
    ['controller', 'control'],
    ['yelling', 'yell'],
  ];
  for (const [word, stem] of pairs) t.equal(porterStem(word), stem, word);
  t.equal(porterStem('naïve'), 'naïve', 'non-ASCII words are left as they are');
  t.equal(porterStem('is'), 'is', 'two letters or fewer are left as they are');
});

t.test('the words a term list was read from are kept beside it', async (t) => {
  const terms = topicTerms('Every penny, honestly #Worth');
  t.same(terms, ['everi', 'penni', 'honestli', '#worth'], 'the stems stay the terms');
  t.same(surfacesOf(terms), ['every', 'penny', 'honestly', '#worth']);
  t.equal(surfacesOf(['everi']), undefined, 'not for any other list');
});

t.test('summaries name their terms by the readable form', async (t) => {
  const dmm = new StreamingDmm({ seed: 1 });
  const texts = [
    'honestly every penny counts',
    'every penny honestly matters',
    'rainy weather outside today',
  ];
  for (let i = 0; i < 300; i++) dmm.add(topicTerms(texts[i % texts.length]!), i * 1000);
  const words = dmm.summaries().flatMap((s) => s.terms.map((x) => x.term));
  t.ok(words.includes('penny') && words.includes('honestly'), words.join(' '));
  t.notOk(words.includes('penni') || words.includes('everi'), 'no bare stems');
  const again = new StreamingDmm({ seed: 1 });
  again.restore(JSON.parse(JSON.stringify(dmm.snapshot())));
  t.same(again.summaries(), dmm.summaries(), 'the readable forms survive a snapshot');
});

t.test('the readable form is the word a stem is written as most often', async (t) => {
  const dmm = new StreamingDmm({ seed: 1 });
  const texts = [
    'connecting again',
    'rainy weather',
    'connections again',
    'rainy weather',
    'connecting again',
    'rainy weather',
    'connected again',
    'rainy weather',
  ];
  for (let i = 0; i < 40; i++) dmm.add(topicTerms(texts[i % texts.length]!), i * 1000);
  const words = dmm.summaries().flatMap((s) => s.terms.map((x) => x.term));
  t.ok(words.includes('connecting'), words.join(' '));
  dmm.add(['connect', 'again'], 50_000);
  t.ok(
    dmm
      .summaries()
      .flatMap((s) => s.terms.map((x) => x.term))
      .includes('connecting'),
    'bare terms leave it',
  );
});

t.test('with a BrandMatcher, the mentions of its brands are left out of the terms', async (t) => {
  const brands = new BrandMatcher([
    { name: 'Northwind Coffee', aliases: ['Northwind'], handles: ['northwindcoffee'] },
    { name: 'Harbor Brew' },
  ]);
  const text = 'Northwind Coffee points expire? @northwindcoffee #HarborBrew harbor brew coffee #points';
  t.same(topicTerms(text), [
    'northwind',
    'coffe',
    'point',
    'expir',
    '#harborbrew',
    'harbor',
    'brew',
    'coffe',
    '#points',
  ]);
  t.same(
    topicTerms(text, brands),
    ['point', 'expir', 'coffe', '#points'],
    'the brand words, handle and tag go',
  );
  t.same(topicTerms('Northwind', brands), [], 'a post that only names the brand has no terms');
  const tokens = tokenize('harbor brew outage');
  t.same(topicTermsOf(tokens, brands.mentionMask(tokens)), ['outag']);
});
