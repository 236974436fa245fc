import { FeatureBuffer, hashFinish, hashMix, hashSeed, hashString, type Token } from '../text/index.js';
import { NEGATORS } from './lexicon.js';
import { RulesSentiment } from './rules.js';

/** How the linear tier turns a text into features. Stored with the weights: a model is read with its own spec. */
export interface FeatureSpec {
  /** log2 of the number of hash buckets. */
  dimsLog2: number;
  /** Seed of the feature hash. */
  seed: number;
  /** Character n-grams of each word, with a boundary mark on both sides, of these lengths. */
  charMin: number;
  charMax: number;
  /** Word bigrams as well as unigrams. */
  wordBigrams: boolean;
  /** Words after a negator, up to the end of the clause, are features of their own ("good" vs negated "good"). */
  negationScope: boolean;
  /** Add the rules tier's analysis (compound score, positive and negative sums) as features. */
  lexicon: boolean;
  /** Weight of each group of features; each group is scaled to this L2 norm. */
  wordWeight: number;
  charWeight: number;
  lexiconWeight: number;
}

/**
 * The settings of the committed model, chosen on the TweetEval validation split: 2^18 buckets,
 * character 3- to 5-grams, negation scope and lexicon features (which add about two points of
 * macro recall).
 */
export const DEFAULT_FEATURE_SPEC: FeatureSpec = {
  dimsLog2: 18,
  seed: 1,
  charMin: 3,
  charMax: 5,
  wordBigrams: true,
  negationScope: true,
  lexicon: true,
  wordWeight: 1,
  charWeight: 1,
  lexiconWeight: 1,
};

// Namespaces: each kind of feature starts its hash from a different unit, so "good" the word,
// "good" negated and the character n-gram "good" land in unrelated buckets.
const NS_WORD = 1;
const NS_NEGATED = 2;
const NS_BIGRAM = 3;
const NS_CHAR = 4;
const NS_LEXICON = 5;

const CLAUSE_BREAK = /[.,;:!?]/;
const SPACE = 0x20;
const COMPOUND_BINS = 8;
/** Past this many tokens a text adds no features: enough for any post, and bounded work for junk. */
const MAX_TOKENS = 2_000;

/**
 * Hashed features of a tokenized post: word unigrams and bigrams, character n-grams of words, and
 * (optionally) the rules tier's lexicon analysis. Mentions, links and numbers become placeholders,
 * so the model learns "a link" rather than one link.
 */
export class SentimentFeaturizer {
  readonly spec: FeatureSpec;
  private readonly mask: number;
  private readonly starts: Int32Array;
  private readonly rules = new RulesSentiment();
  private readonly placeholders: { mention: number; url: number; number: number };
  private readonly lexiconKeys: Int32Array;

  constructor(spec: FeatureSpec) {
    if (!Number.isInteger(spec.dimsLog2) || spec.dimsLog2 < 4 || spec.dimsLog2 > 26)
      throw new RangeError(`dimsLog2 must be an integer from 4 to 26, got ${spec.dimsLog2}`);
    if (spec.charMin < 1 || spec.charMax < spec.charMin || spec.charMax > 8)
      throw new RangeError(`character n-grams ${spec.charMin}..${spec.charMax} are out of range 1..8`);
    this.spec = { ...spec };
    this.mask = (1 << spec.dimsLog2) - 1;
    const seed = hashSeed(spec.seed);
    this.starts = Int32Array.from([0, NS_WORD, NS_NEGATED, NS_BIGRAM, NS_CHAR, NS_LEXICON], (ns) =>
      hashMix(seed, ns),
    );
    const word = this.starts[NS_WORD]!;
    this.placeholders = {
      mention: hashString('<mention>', word),
      url: hashString('<url>', word),
      number: hashString('<number>', word),
    };
    const lex = this.starts[NS_LEXICON]!;
    this.lexiconKeys = Int32Array.from(
      [
        'compound',
        'positive',
        'negative',
        'none',
        ...Array.from({ length: COMPOUND_BINS }, (_, b) => `bin${b}`),
      ],
      (name) => hashString(name, lex),
    );
  }

  get dims(): number {
    return this.mask + 1;
  }

  /** Appends the features of one text to `out` (cleared first). */
  featurize(tokens: Token[], out: FeatureBuffer): void {
    out.clear();
    const n = Math.min(tokens.length, MAX_TOKENS);
    const spec = this.spec;
    const mask = this.mask;
    const wordStart = this.starts[NS_WORD]!;
    const negStart = this.starts[NS_NEGATED]!;
    const bigramStart = this.starts[NS_BIGRAM]!;

    // Words: unigrams (negated ones apart) and bigrams over every token that is not punctuation.
    let prev = 0;
    let hasPrev = false;
    let negated = false;
    for (let i = 0; i < n; i++) {
      const t = tokens[i]!;
      if (t.kind === 'punct') {
        out.push(hashString(t.norm.length > 3 ? t.norm.slice(0, 3) : t.norm, wordStart) & mask, 1);
        if (CLAUSE_BREAK.test(t.norm)) negated = false;
        hasPrev = false;
        continue;
      }
      let key: number;
      switch (t.kind) {
        case 'mention':
          key = this.placeholders.mention;
          break;
        case 'url':
          key = this.placeholders.url;
          break;
        case 'number':
          key = this.placeholders.number;
          break;
        case 'hashtag':
          // The tag as a word too: "#fail" says what "fail" says.
          out.push(hashString(t.norm, negated && spec.negationScope ? negStart : wordStart) & mask, 1);
          key = hashMix(hashString(t.norm, wordStart), 0x23);
          break;
        default:
          key = hashString(t.norm, negated && spec.negationScope && t.kind === 'word' ? negStart : wordStart);
      }
      out.push(key & mask, 1);
      if (spec.wordBigrams && hasPrev)
        out.push(hashFinish(hashMix(hashMix(bigramStart, prev), key)) & mask, 1);
      prev = key;
      hasPrev = true;
      if (t.kind === 'word' && (NEGATORS.has(t.norm) || t.norm.endsWith("n't"))) negated = true;
    }
    normalizeGroup(out, 0, spec.wordWeight);

    // Character n-grams of words and hashtags.
    const charFrom = out.length;
    const charStart = this.starts[NS_CHAR]!;
    const { charMin, charMax } = spec;
    for (let i = 0; i < n; i++) {
      const t = tokens[i]!;
      if (t.kind !== 'word' && t.kind !== 'hashtag') continue;
      const s = t.norm;
      const len = s.length + 2;
      for (let a = 0; a < len; a++) {
        let h = charStart;
        const end = Math.min(len, a + charMax);
        for (let b = a; b < end; b++) {
          h = hashMix(h, b === 0 || b === len - 1 ? SPACE : s.charCodeAt(b - 1));
          const size = b - a + 1;
          if (size >= charMin) out.push(hashFinish(hashMix(h, size)) & mask, 1);
        }
      }
    }
    normalizeGroup(out, charFrom, spec.charWeight);

    if (spec.lexicon) this.lexiconFeatures(n === tokens.length ? tokens : tokens.slice(0, n), out);
  }

  private lexiconFeatures(tokens: Token[], out: FeatureBuffer): void {
    const a = this.rules.analyze(tokens);
    const w = this.spec.lexiconWeight;
    const keys = this.lexiconKeys;
    const mask = this.mask;
    if (a.hits === 0) {
      out.push(keys[3]! & mask, w);
      return;
    }
    out.push(keys[0]! & mask, w * a.compound);
    out.push(keys[1]! & mask, (w * Math.min(a.positive, 8)) / 4);
    out.push(keys[2]! & mask, (w * Math.max(a.negative, -8)) / 4);
    const bin = Math.min(COMPOUND_BINS - 1, Math.floor(((a.compound + 1) / 2) * COMPOUND_BINS));
    out.push(keys[4 + bin]! & mask, w);
  }
}

/** Scales the values from `from` on to an L2 norm of `weight` (buckets that repeat count apart). */
function normalizeGroup(out: FeatureBuffer, from: number, weight: number): void {
  const count = out.length - from;
  if (count > 0) out.scale(from, weight / Math.sqrt(count));
}
