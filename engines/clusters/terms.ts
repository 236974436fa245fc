/**
 * Text -> the terms a topic clusterer counts. Short posts carry a handful of useful words among
 * function words, handles, links and numbers; only the words and hashtags say what a post is about.
 */
import { STOPWORDS, tokenize, type BrandMatcher, type Token } from '../text/index.js';
import { porterStem } from './stem.js';

/** Terms kept per text: a post is short, and a huge text must not cost more than a short one. */
export const MAX_TEXT_TERMS = 64;
/** Characters read per text, for the same reason. */
const MAX_TEXT_CHARS = 4_000;
/** A word of one letter says nothing (a, I, x) except in scripts written without spaces. */
const LATIN_SINGLE = /^[\p{Script=Latin}\p{N}_]$/u;
const APOSTROPHE_S = /'s$/;
const APOSTROPHES = /'/g;
const ALL_DIGITS_OR_UNDERSCORE = /^[\p{N}_]+$/u;
/**
 * The words each term list of topicTermsOf was read from, side by side with its terms (a stem's
 * word, a hashtag's own term), for labels: a clusterer counts by stem and names a stem by the word
 * it is mostly written as ("every", not "everi"). Held only as long as the term list itself.
 */
const surfaceWords = new WeakMap<readonly string[], readonly string[]>();

/** The words `terms` (a topicTerms or topicTermsOf answer) were read from, or undefined for any other list. */
export function surfacesOf(terms: readonly string[]): readonly string[] | undefined {
  return surfaceWords.get(terms);
}

/**
 * The terms of a text for topic clustering: normalized words (lower case, accents and elongations
 * reduced by the tokenizer, possessive 's and apostrophes dropped, Porter-stemmed), without
 * stopwords, URLs, mentions, emoji, punctuation or numbers alone; hashtags as `#tag` (not stemmed:
 * a tag is a name). Order kept, repeats kept, at most MAX_TEXT_TERMS. [] when nothing is usable.
 * With `brands`, the mentions of its brands (names, aliases, handles, hashtags) are left out.
 * Never throws.
 */
export function topicTerms(text: string, brands?: BrandMatcher): string[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const tokens = tokenize(text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text);
  return topicTermsOf(tokens, brands?.mentionMask(tokens));
}

/**
 * topicTerms of a text already tokenized (engines/text `tokenize`), for callers that tokenize once
 * for several uses; tokens set in `skip` (a BrandMatcher's mentionMask: the brand names) are left out.
 */
export function topicTermsOf(tokens: readonly Token[], skip?: Uint8Array): string[] {
  const out: string[] = [];
  const words: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (skip?.[i]) continue;
    const token = tokens[i]!;
    if (token.kind === 'hashtag') {
      if (token.norm.length > 0) {
        const tag = `#${token.norm}`;
        out.push(tag);
        words.push(tag);
      }
    } else if (token.kind === 'word') {
      const word = token.norm.replace(APOSTROPHE_S, '').replace(APOSTROPHES, '');
      if (word.length === 0 || STOPWORDS.has(word) || LATIN_SINGLE.test(word)) continue;
      if (ALL_DIGITS_OR_UNDERSCORE.test(word)) continue;
      const stem = porterStem(word);
      if (STOPWORDS.has(stem)) continue;
      out.push(stem);
      words.push(word);
    }
    if (out.length >= MAX_TEXT_TERMS) break;
  }
  if (out.length > 0) surfaceWords.set(out, words);
  return out;
}
