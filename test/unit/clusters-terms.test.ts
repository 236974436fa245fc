import t from 'tap';
import { MAX_TEXT_TERMS, porterStem, topicTerms } from '../../engines/clusters/index.js';

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
