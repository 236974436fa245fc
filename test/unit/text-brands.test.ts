import t from 'tap';
import { BrandMatcher, tokenize, type BrandSpec } from '../../engines/text/index.js';

const brands: BrandSpec[] = [
  { name: 'Acme Coffee', aliases: ['Acme', 'ACME Café'], handles: ['acmecoffee'], kind: 'own' },
  { name: 'Globex', aliases: ['Globex Corp', 'AT&T', 'Yahoo!'], handles: ['@GlobexHQ'], kind: 'competitor' },
  { name: 'Müller Milch', kind: 'competitor' },
];
const matcher = new BrandMatcher(brands);

t.test('untagged names and aliases, case- and accent-insensitive', async (t) => {
  t.same(matcher.match('I love acme'), ['Acme Coffee']);
  t.same(matcher.match('I love ACME'), ['Acme Coffee']);
  t.same(matcher.match('the acme cafe downtown'), ['Acme Coffee'], 'alias "ACME Café" without accent');
  t.same(matcher.match('acme coffee is open'), ['Acme Coffee']);
  t.same(matcher.match('muller milch'), ['Müller Milch']);
  t.same(matcher.match('MÜLLER\n\n  Milch'), ['Müller Milch'], 'any whitespace between words');
});

t.test('whole-word matching', async (t) => {
  t.same(matcher.match("Acme's beans"), ['Acme Coffee'], 'possessive');
  t.same(matcher.match('Acme!'), ['Acme Coffee']);
  t.same(matcher.match('(acme)'), ['Acme Coffee']);
  t.same(matcher.match('Acmeville is a town'), []);
  t.same(matcher.match('notacme either'), []);
  t.same(matcher.match('acmes'), [], 'a plural is another word');
  t.same(matcher.match('globexcorp'), []);
});

t.test('multi-word aliases need all their words in order', async (t) => {
  t.same(matcher.match('Globex Corp announced'), ['Globex']);
  t.same(matcher.match('Müller announced'), [], 'first word of a two-word name alone is not enough');
  t.same(matcher.match('milch müller'), []);
  t.same(matcher.match('müller, milch'), [], 'punctuation between the words breaks the name');
  t.same(matcher.match("Müller Milch's new flavour"), ['Müller Milch'], 'possessive on the last word');
  t.same(matcher.match("Müller's Milch"), [], 'possessive inside the name does not match');
  t.same(matcher.match('müller'), [], 'a name cut short by the end of the text');
});

t.test('punctuation inside an alias is part of it, at its ends it is not', async (t) => {
  t.same(matcher.match('switching from at&t'), ['Globex']);
  t.same(matcher.match('AT & T'), ['Globex']);
  t.same(matcher.match('at t'), []);
  t.same(matcher.match('yahoo search'), ['Globex'], '"Yahoo!" matches without the !');
});

t.test('explicit mentions and hashtags', async (t) => {
  t.same(matcher.match('hi @acmecoffee'), ['Acme Coffee'], 'handle');
  t.same(matcher.match('hi @AcmeCoffee'), ['Acme Coffee'], 'handle, any case');
  t.same(matcher.match('#AcmeCoffee rules'), ['Acme Coffee'], 'name without spaces');
  t.same(matcher.match('#acme_coffee'), ['Acme Coffee'], 'name without punctuation');
  t.same(matcher.match('#acmecafe'), ['Acme Coffee'], 'alias without spaces and accent');
  t.same(matcher.match('@globexhq'), ['Globex'], 'handle configured with its @');
  t.same(matcher.match('#MüllerMilch'), ['Müller Milch']);
  t.same(matcher.match('@acmecoffee@mastodon.social'), ['Acme Coffee'], 'Mastodon account');
  t.same(matcher.match('@acmecoffee.bsky.social'), ['Acme Coffee'], 'Bluesky default domain');
  t.same(matcher.match('@acmecoffeefan #acmeville'), [], 'longer tags are other tags');
});

t.test('deduplicated, in configuration order', async (t) => {
  t.same(matcher.match('Müller vs Globex vs Acme vs @acmecoffee #acme, ACME! Müller Milch'), [
    'Acme Coffee',
    'Globex',
    'Müller Milch',
  ]);
  t.same(matcher.match('Müller Milch beats Globex beats Acme'), ['Acme Coffee', 'Globex', 'Müller Milch']);
  t.same(matcher.match('nothing to see here'), []);
  t.same(matcher.match(''), []);
});

t.test('uses the tokens it is given', async (t) => {
  t.same(matcher.match('ignored text', tokenize('I love acme')), ['Acme Coffee']);
  t.same(matcher.match('acme', []), []);
});

t.test('a shared alias matches every brand that has it', async (t) => {
  const m = new BrandMatcher([
    { name: 'Apple', aliases: ['Fruit Co'] },
    { name: 'Orange', aliases: ['fruit co'] },
  ]);
  t.same(m.match('fruit co'), ['Apple', 'Orange']);
});

t.test('bad configuration is rejected', async (t) => {
  t.throws(() => new BrandMatcher([{ name: '' }]), RangeError);
  t.throws(() => new BrandMatcher([{ name: 'Ok' }, { name: '   ' }]), {
    name: 'RangeError',
    message: /index 1.*empty name/,
  });
  t.throws(() => new BrandMatcher([{ name: 'Acme' }, { name: 'acme' }]), {
    name: 'RangeError',
    message: /duplicate brand name "acme"/,
  });
  t.throws(() => new BrandMatcher([{ name: 'Acme', aliases: [''] }]), RangeError);
  t.throws(() => new BrandMatcher([{ name: 'Acme', handles: ['@'] }]), RangeError);
  t.throws(() => new BrandMatcher(undefined as unknown as BrandSpec[]), RangeError);
  t.same(new BrandMatcher([]).match('acme'), []);
});

t.test('bad input text never throws', async (t) => {
  for (const text of ['\uD800acme', 'acme\u0000', '😀'.repeat(1000), 'acme '.repeat(10_000)]) {
    t.doesNotThrow(() => matcher.match(text));
  }
  t.same(matcher.match('\uD800acme\u0000'), ['Acme Coffee']);
});

t.test('many brands: one lookup per token', async (t) => {
  const many: BrandSpec[] = Array.from({ length: 5_000 }, (_, i) => ({
    name: `Brand ${i}`,
    aliases: [`brandname${i}`, `Shop Number ${i}`],
    handles: [`brand_${i}`],
  }));
  const m = new BrandMatcher(many);
  t.same(m.match('I went to shop number 4999 and brandname17, cc @brand_3'), [
    'Brand 3',
    'Brand 17',
    'Brand 4999',
  ]);
  const text = 'brand shop number words '.repeat(2_000);
  // A scan over every brand per token would do 5000 x 8000 phrase checks; the trie does one lookup per token.
  t.same(m.match(text), []);
});

t.test('mentionMask marks the tokens that name a brand, and only those', async (t) => {
  const marked = (text: string) => {
    const tokens = tokenize(text);
    const mask = matcher.mentionMask(tokens);
    return tokens.filter((_, i) => mask[i] === 1).map((tk) => tk.text);
  };
  t.same(marked('the acme coffee latte is great'), ['acme', 'coffee'], 'the longest name: "Acme Coffee"');
  t.same(marked('acme is open, coffee is cold'), ['acme'], '"coffee" alone is a word, not the brand');
  t.same(marked('@acmecoffee vs #globexhq and Yahoo! news'), ['@acmecoffee', '#globexhq', 'Yahoo']);
  t.same(marked("Acme's latte at the MÜLLER milch stand"), ["Acme's", 'MÜLLER', 'milch']);
  t.same(marked('acmes and globexcorp are not brands here'), []);
  t.same(matcher.mentionMask([]).length, 0);
  const tokens = tokenize('acme '.repeat(100));
  t.equal(
    matcher.mentionMask(tokens).reduce((n, m) => n + m, 0),
    tokens.filter((tk) => tk.kind === 'word').length,
    'every repeat is marked',
  );
});
