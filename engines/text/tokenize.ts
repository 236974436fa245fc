/**
 * Tokenizer for short social posts (tweets, toots, skeets).
 *
 * The scanner tries one token pattern after another at the current position. Every pattern either
 * fails within a few characters or consumes what it scanned, so tokenizing stays linear in the length
 * of the text whatever it contains: no pattern can rescan a long run again and again.
 */

import { decodeEntities } from './entities.js';

export type TokenKind = 'word' | 'hashtag' | 'mention' | 'url' | 'emoji' | 'emoticon' | 'number' | 'punct';

export interface Token {
  kind: TokenKind;
  /** The text as written (after HTML entities are decoded and invisible format characters dropped). */
  text: string;
  /**
   * Lower-cased, accents stripped (NFKD minus combining marks). Words also have elongations reduced
   * ("soooo" -> "soo") and typographic apostrophes turned into "'"; hashtags and mentions lose their
   * #/@; emoji lose variation selectors and skin tones; repeated emoticon mouths collapse (":)))" -> ":)");
   * URLs keep their case except for scheme and host.
   */
  norm: string;
  /** A word with a letter repeated 3+ times, or an emoticon with a repeated mouth. */
  elongated: boolean;
  /** A word of at least two letters written ALL CAPS. */
  caps: boolean;
}

/**
 * Lower-case, NFKD and strip the combining marks of Latin and Greek letters (accents), so that
 * "Café", "CAFÉ" and "cafe" compare equal; and of anything that is not a letter (emoji variation
 * selectors, keycaps). The marks of other scripts' letters are part of the letter (Devanagari and
 * Thai vowel signs, Japanese voicing marks, Cyrillic й): they stay, recomposed (NFC), or "दिन" and
 * "दून" would both read "दन" and "が" would read "か".
 */
export function normalizeText(s: string): string {
  if (typeof s !== 'string') return '';
  // Plain ASCII has nothing to decompose or strip: the common case, and much cheaper.
  if (isAscii(s)) return s.toLowerCase();
  return s
    .normalize('NFKD')
    .toLowerCase()
    .replace(MARKS, (run: string, base: string) => (KEEPS_MARKS.test(base) ? run : base))
    .normalize('NFC');
}

/** Hashtags and mentions (normalized, without #/@) and URLs (as written), each deduplicated, in order. */
export function extractTags(tokens: Token[]): { hashtags: string[]; mentions: string[]; urls: string[] } {
  const hashtags = new Set<string>();
  const mentions = new Set<string>();
  const urls = new Set<string>();
  for (const t of tokens) {
    if (t.kind === 'hashtag') hashtags.add(t.norm);
    else if (t.kind === 'mention') mentions.add(t.norm);
    else if (t.kind === 'url') urls.add(t.text);
  }
  return { hashtags: [...hashtags], mentions: [...mentions], urls: [...urls] };
}

export function tokenize(text: string): Token[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const s = prepare(text);
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const code = s.charCodeAt(i);
    if (code === 0x20) {
      i++;
      continue;
    }
    // Printable ASCII is never skipped; anything else may be a space, control or format character.
    const skipped = code > 0x20 && code < 0x7f ? undefined : matchAt(SKIP, s, i);
    if (skipped) {
      i += skipped.length;
      continue;
    }
    const token = readToken(s, i);
    if (token) {
      tokens.push(token);
      i += token.text.length;
    } else {
      // Unreachable with the patterns below, but it guarantees progress on any input.
      i += (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------------

/** A run of combining marks with the character before it (none at the start of the text). */
const MARKS = /(^|\P{M})\p{M}+/gu;
/** A letter whose marks are its own (see normalizeText): any letter but Latin and Greek ones. */
const KEEPS_MARKS = /^(?![\p{Script=Latin}\p{Script=Greek}])\p{L}$/u;
// ASCII letters that start no emoji, link or emoticon: such a token can only be a word.
const PLAIN_WORD_START = /[a-gi-vyzA-GI-SU-VYZ]/;
const ELONGATION = /(\p{L})\1{2,}/u;
const ELONGATION_ALL = /(\p{L})\1{2,}/gu;
const APOSTROPHES = /[\u2018\u2019\u02BC\u2032]/g;

// Scripts written without spaces between words: one token per character, so that a brand name
// written in Latin letters next to them ("我爱Acme") is still a token of its own.
const CJK = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}`;
const WORD_CHAR = String.raw`(?:(?![${CJK}])[\p{L}\p{M}\p{N}_])`;
const WORD_TAIL = String.raw`${WORD_CHAR}*(?:['\u2019]${WORD_CHAR}+)*`;

const SKIP = /[\s\p{Cc}\p{Cf}\p{Z}\p{M}\uFFFD]+/uy;
const WORD = new RegExp(String.raw`(?![${CJK}])\p{L}${WORD_TAIL}`, 'uy');
const CJK_CHAR = new RegExp(String.raw`[${CJK}]\p{M}*`, 'uy');
const NUMBER = /\p{Nd}+(?:[.,:]\p{Nd}+)*/uy;
const ALNUM = new RegExp(String.raw`\p{Nd}${WORD_TAIL}`, 'uy');
const HASHTAG = /#[\p{L}\p{M}\p{N}_]+/uy;
const MENTION =
  /@[\p{L}\p{N}_][\p{L}\p{M}\p{N}_-]*(?:\.[\p{L}\p{M}\p{N}_-]+)*(?:@[\p{L}\p{M}\p{N}_-]+(?:\.[\p{L}\p{M}\p{N}_-]+)+)?/uy;
const PUNCT = /[!?]+|(\S)\1*/uy;

const PICTO = String.raw`(?:(?![\u00A9\u00AE\u203C\u2049\u2122])\p{Extended_Pictographic}|\p{Emoji_Presentation})`;
const PICTO_MOD = String.raw`(?:\uFE0F|\p{Emoji_Modifier})*`;
const EMOJI = new RegExp(
  [
    String.raw`\p{Regional_Indicator}{1,2}`,
    String.raw`[#*0-9]\uFE0F?\u20E3`,
    // ©, ®, ™, ‼ and ⁉ are ordinary text unless written with the emoji variation selector
    String.raw`[\u00A9\u00AE\u203C\u2049\u2122]\uFE0F`,
    String.raw`${PICTO}${PICTO_MOD}(?:[\u{E0020}-\u{E007E}]+\u{E007F})?(?:\u200D${PICTO}${PICTO_MOD})*`,
  ].join('|'),
  'uy',
);
/**
 * Below this code point only "©" and "®" are pictographs or emoji (test/unit/text-tokenize checks),
 * so no other character there can start an emoji.
 */
const FIRST_PICTOGRAPH = 0x203c;
const EMOJI_DECORATION = /[\uFE0E\uFE0F]|[\u{1F3FB}-\u{1F3FF}]/gu;

const URL_START = /(?:https?:\/\/|www\.)/iy;
const URL_BODY = /[^\s<>"`{}|\\^\u2026\uFFFD\p{Cc}\p{Cf}\p{Extended_Pictographic}\p{Emoji_Presentation}]+/uy;
const URL_TRAILING = new Set([...`.,;:!?'"*\u201D\u2019\u00BB\u3002\u3001\uFF0C`]);
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

const EMOTICONS = `
  :) :-) :] =) :D :-D =D ;) ;-) ;D :P :-P :p :-p ;P ;p :3 :* :-* ^_^ ^^ <3 xD XD :')
  :( :-( :[ =( ;( :'( :'-( </3 >:( >:-( :/ :-/ :\\ :| :-| -_- T_T :S :s :@ :o :O :-o :-O
`
  .trim()
  .split(/\s+/);
const EMOTICON = new RegExp(
  [...EMOTICONS]
    .sort((a, b) => b.length - a.length)
    .map((e) => e.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('|'),
  'y',
);
// Mouths people repeat for emphasis (":)))", "xDDD", "<333"); the repetition counts as elongation.
const REPEATABLE_MOUTH = new Set([')', '(', ']', '[', 'D', 'P', 'p', '3']);
/** Character codes an emoticon can start with: elsewhere the emoticon pattern need not run. */
const EMOTICON_START: ReadonlySet<number> = new Set(EMOTICONS.map((e) => e.charCodeAt(0)));
/** PLAIN_WORD_START as a table by ASCII code. */
const PLAIN_WORD_START_ASCII = Uint8Array.from({ length: 128 }, (_, code) =>
  PLAIN_WORD_START.test(String.fromCharCode(code)) ? 1 : 0,
);

const WORD_BEFORE = /[\p{L}\p{N}_]$/u;
const WORD_AFTER = /^[\p{L}\p{N}]/u;
const LETTER = /\p{L}/u;
const LOWER = /\p{Ll}/u;
const UPPER = /\p{Lu}/gu;

// Soft hyphen, direction marks and embeddings, word joiner, invisible operators, BOM.
const INVISIBLE = /[\u00AD\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
const ZERO_WIDTH_SPACE = /\u200B/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function prepare(text: string): string {
  const decoded = decodeEntities(text);
  if (!needsCleaning(decoded)) return decoded;
  return decoded.replace(INVISIBLE, '').replace(ZERO_WIDTH_SPACE, ' ').replace(LONE_SURROGATE, '\uFFFD');
}

/** Whether a text has a character that prepare drops or replaces (INVISIBLE, ZERO_WIDTH_SPACE, LONE_SURROGATE). */
function needsCleaning(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xad) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (
      c === 0xad ||
      (c >= 0xdc00 && c <= 0xdfff) ||
      (c >= 0x200b && c <= 0x200f && c !== 0x200c && c !== 0x200d) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2060 && c <= 0x2069 && c !== 0x2065) ||
      c === 0xfeff
    )
      return true;
  }
  return false;
}

function matchAt(re: RegExp, s: string, i: number): string | undefined {
  re.lastIndex = i;
  return re.exec(s)?.[0];
}

function wordBefore(s: string, i: number): boolean {
  return i > 0 && WORD_BEFORE.test(s.slice(Math.max(0, i - 2), i));
}

function wordAfter(s: string, end: number): boolean {
  return WORD_AFTER.test(s.slice(end, end + 2));
}

function readToken(s: string, i: number): Token | undefined {
  const code = s.charCodeAt(i);
  if (code < 0x80) return readAsciiToken(s, i, code);
  // Outside ASCII no word starts plainly and no link, emoticon, mention or hashtag starts at all.

  if (code >= FIRST_PICTOGRAPH || code === 0xa9 || code === 0xae) {
    const emoji = matchAt(EMOJI, s, i);
    if (emoji) return make('emoji', emoji, emoji.replace(EMOJI_DECORATION, '') || emoji);
  }

  const number = matchAt(NUMBER, s, i);
  if (number) return numberToken(s, i, number);

  const word = matchAt(WORD, s, i) ?? matchAt(CJK_CHAR, s, i);
  if (word) return wordToken(word);

  const punct = matchAt(PUNCT, s, i);
  if (punct) return make('punct', punct, normalizeText(punct));
  return undefined;
}

/**
 * readToken at an ASCII character: the same patterns in the same order, minus those that cannot
 * start with it (no emoji starts with an ASCII character other than a keycap's "#", "*" or digit).
 */
function readAsciiToken(s: string, i: number, code: number): Token | undefined {
  if (isPlainWordStart(code)) return wordAt(s, i);

  if ((code === 0x23 || code === 0x2a || isDigit(code)) && isKeycapTail(s.charCodeAt(i + 1))) {
    const emoji = matchAt(EMOJI, s, i);
    if (emoji) return make('emoji', emoji, emoji.replace(EMOJI_DECORATION, '') || emoji);
  }

  if (code === 0x68 || code === 0x48 || code === 0x77 || code === 0x57) {
    const end = scanUrl(s, i);
    if (end > i) {
      const url = s.slice(i, end);
      return make('url', url, urlNorm(url));
    }
  }

  if (EMOTICON_START.has(code)) {
    const emoticon = scanEmoticon(s, i);
    if (emoticon) return emoticon;
  }

  if (code === 0x40 && !wordBefore(s, i)) {
    const mention = matchAt(MENTION, s, i);
    if (mention) return make('mention', mention, normalizeText(mention.slice(1)));
  }

  if (code === 0x23 && !wordBefore(s, i)) {
    const hashtag = matchAt(HASHTAG, s, i);
    // "#1" is a number, not a topic
    if (hashtag && LETTER.test(hashtag)) return make('hashtag', hashtag, normalizeText(hashtag.slice(1)));
  }

  if (isDigit(code)) {
    const number = matchAt(NUMBER, s, i);
    if (number) return numberToken(s, i, number);
  }

  if (isAsciiLetter(code)) return wordAt(s, i);

  // Printable ASCII that starts nothing else: "!?" runs, or a run of one character.
  if (code > 0x20 && code < 0x7f) {
    let end = i + 1;
    if (code === 0x21 || code === 0x3f) {
      for (let c = s.charCodeAt(end); c === 0x21 || c === 0x3f; c = s.charCodeAt(end)) end++;
    } else while (s.charCodeAt(end) === code) end++;
    const punct = s.slice(i, end);
    return make('punct', punct, punct);
  }
  const punct = matchAt(PUNCT, s, i);
  if (punct) return make('punct', punct, normalizeText(punct));
  return undefined;
}

function numberToken(s: string, i: number, number: string): Token {
  if (LETTER.test(s.slice(i + number.length, i + number.length + 2))) {
    const alnum = matchAt(ALNUM, s, i);
    if (alnum && LETTER.test(alnum)) return wordToken(alnum);
  }
  return make('number', number, normalizeText(number));
}

/**
 * The WORD pattern at an ASCII letter, scanned by hand while the word stays ASCII: letters, digits
 * and "_", and an apostrophe followed by more of them. The pattern itself takes over at the first
 * character outside ASCII, so the token is the same.
 */
function wordAt(s: string, i: number): Token {
  let end = i;
  let ascii = true;
  // What asciiWordToken counts, counted during the scan: letters by case, and a letter 3+ times.
  let upper = 0;
  let lower = 0;
  let elongated = false;
  let before1 = -1;
  let before2 = -1;
  for (;;) {
    let c = s.charCodeAt(end);
    if (c === 0x27 || c === 0x2019) {
      const next = s.charCodeAt(end + 1);
      if (!isAsciiWordChar(next)) {
        if (next < 0x80 || Number.isNaN(next)) break;
        // An apostrophe before a character outside ASCII: only the pattern knows.
        return wordToken(matchAt(WORD, s, i) ?? s[i] ?? '');
      }
      if (c !== 0x27) ascii = false;
    } else if (!isAsciiWordChar(c)) {
      if (c < 0x80 || Number.isNaN(c)) break;
      return wordToken(matchAt(WORD, s, i) ?? s[i] ?? '');
    } else if (c >= 0x41 && c <= 0x5a) {
      upper++;
      c |= 0x20;
      if (c === before1 && c === before2) elongated = true;
    } else if (c >= 0x61) {
      lower++;
      if (c === before1 && c === before2) elongated = true;
    }
    before2 = before1;
    before1 = c;
    end++;
  }
  const text = s.slice(i, end);
  if (!ascii) return wordToken(text);
  const folded = upper > 0 ? text.toLowerCase() : text;
  const norm = elongated ? folded.replace(ELONGATION_ALL, '$1$1') : folded;
  return make('word', text, norm, elongated, lower === 0 && upper >= 2);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
}

/** What the WORD pattern takes after a word's first letter, within ASCII: letters, digits, "_". */
function isAsciiWordChar(code: number): boolean {
  return isAsciiLetter(code) || isDigit(code) || code === 0x5f;
}

function isPlainWordStart(code: number): boolean {
  return PLAIN_WORD_START_ASCII[code] === 1;
}

/** The character after "#", "*" or a digit that can make it a keycap emoji ("#️⃣", "1⃣"). */
function isKeycapTail(code: number): boolean {
  return code === 0xfe0f || code === 0x20e3;
}

function make(kind: TokenKind, text: string, norm: string, elongated = false, caps = false): Token {
  return { kind, text, norm, elongated, caps };
}

function wordToken(text: string): Token {
  if (isAscii(text)) return asciiWordToken(text);
  const folded = normalizeText(text).replace(APOSTROPHES, "'");
  const elongated = ELONGATION.test(folded);
  const norm = elongated ? folded.replace(ELONGATION_ALL, '$1$1') : folded;
  const caps = !LOWER.test(text) && (text.match(UPPER)?.length ?? 0) >= 2;
  return make('word', text, norm, elongated, caps);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** wordToken for plain ASCII, without regular expressions: the same result, faster. */
function asciiWordToken(text: string): Token {
  const folded = text.toLowerCase();
  let elongated = false;
  let upper = 0;
  let lower = 0;
  for (let k = 0; k < text.length; k++) {
    const c = folded.charCodeAt(k);
    if (c >= 0x61 && c <= 0x7a) {
      const original = text.charCodeAt(k);
      if (original === c) lower++;
      else upper++;
      if (k >= 2 && folded.charCodeAt(k - 1) === c && folded.charCodeAt(k - 2) === c) elongated = true;
    }
  }
  const norm = elongated ? folded.replace(ELONGATION_ALL, '$1$1') : folded;
  return make('word', text, norm, elongated, lower === 0 && upper >= 2);
}

function scanUrl(s: string, i: number): number {
  const start = matchAt(URL_START, s, i);
  if (!start) return -1;
  const bodyStart = i + start.length;
  const body = matchAt(URL_BODY, s, bodyStart);
  if (!body) return -1;
  let end = bodyStart + body.length;
  // Punctuation after a link belongs to the sentence, except closing brackets the link opened itself.
  let parens = 0;
  let brackets = 0;
  for (const ch of body) {
    if (ch === '(') parens++;
    else if (ch === ')') parens--;
    else if (ch === '[') brackets++;
    else if (ch === ']') brackets--;
  }
  while (end > bodyStart) {
    const ch = s[end - 1] ?? '';
    if (URL_TRAILING.has(ch)) end--;
    else if (ch === ')' && parens < 0) {
      parens++;
      end--;
    } else if (ch === ']' && brackets < 0) {
      brackets++;
      end--;
    } else break;
  }
  return LETTER_OR_DIGIT.test(s.slice(bodyStart, end)) ? end : -1;
}

function urlNorm(url: string): string {
  const scheme = url.indexOf('://');
  const hostStart = scheme >= 0 ? scheme + 3 : 0;
  let hostEnd = url.length;
  for (let k = hostStart; k < url.length; k++) {
    const ch = url[k];
    if (ch === '/' || ch === '?' || ch === '#') {
      hostEnd = k;
      break;
    }
  }
  return url.slice(0, hostEnd).toLowerCase() + url.slice(hostEnd);
}

function scanEmoticon(s: string, i: number): Token | undefined {
  const base = matchAt(EMOTICON, s, i);
  if (!base) return undefined;
  const first = base[0] ?? '';
  const last = base[base.length - 1] ?? '';
  let end = i + base.length;
  if (REPEATABLE_MOUTH.has(last)) while (s[end] === last) end++;
  // "xD" inside "boxDrop", ":p" in "re:play", "<3" in "x<3", ":/" in "file:///" are not faces
  if ((LETTER_OR_DIGIT.test(first) || first === '<') && wordBefore(s, i)) return undefined;
  if (LETTER_OR_DIGIT.test(last) && wordAfter(s, end)) return undefined;
  if ((last === '/' || last === '\\') && (s[end] === '/' || s[end] === '\\')) return undefined;
  return make('emoticon', s.slice(i, end), base.toLowerCase(), end > i + base.length);
}
