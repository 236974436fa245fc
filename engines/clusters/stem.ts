/**
 * The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980), with
 * the two changes of Porter's own later reference code (abli -> bli -> ble, and logi -> log). Topic
 * clustering of short texts has few words per document to go on, so "connect", "connected" and
 * "connection" must count as one term. Only lower-case a-z words are stemmed; anything else (other
 * scripts, words with digits) is returned as it is.
 */

const ASCII_WORD = /^[a-z]+$/;
/** Words repeat (Zipf): stems are remembered, up to this many words, then the memory starts over. */
const MEMO_SIZE = 20_000;
const memo = new Map<string, string>();

export function porterStem(word: string): string {
  if (word.length <= 2) return word;
  const known = memo.get(word);
  if (known !== undefined) return known;
  const stem = ASCII_WORD.test(word) ? stemAscii(word) : word;
  if (memo.size >= MEMO_SIZE) memo.clear();
  memo.set(word, stem);
  return stem;
}

function stemAscii(word: string): string {
  let w = word;
  const firstY = w.charCodeAt(0) === 0x79;
  // A leading y is a consonant; upper-case it so that the vowel test below says so.
  if (firstY) w = 'Y' + w.slice(1);
  w = step1a(w);
  w = step1b(w);
  w = step1c(w);
  w = replaceSuffix(w, STEP2, 0);
  w = replaceSuffix(w, STEP3, 0);
  w = step4(w);
  w = step5(w);
  return firstY ? 'y' + w.slice(1) : w;
}

// ---------------------------------------------------------------------------------------------------

function isConsonant(w: string, i: number): boolean {
  switch (w.charCodeAt(i)) {
    case 0x61: // a
    case 0x65: // e
    case 0x69: // i
    case 0x6f: // o
    case 0x75: // u
      return false;
    case 0x79: // y: a consonant after a vowel (or at the start), a vowel after a consonant
      return i === 0 || !isConsonant(w, i - 1);
    default:
      return true;
  }
}

/** Porter's m: the number of vowel-consonant sequences in w[0, end). */
function measure(w: string, end: number): number {
  let m = 0;
  let i = 0;
  while (i < end && isConsonant(w, i)) i++;
  while (i < end) {
    while (i < end && !isConsonant(w, i)) i++;
    if (i >= end) break;
    m++;
    while (i < end && isConsonant(w, i)) i++;
  }
  return m;
}

function hasVowel(w: string, end: number): boolean {
  for (let i = 0; i < end; i++) if (!isConsonant(w, i)) return true;
  return false;
}

/** Ends in a double consonant. */
function doubleConsonant(w: string, end: number): boolean {
  return end >= 2 && w.charCodeAt(end - 1) === w.charCodeAt(end - 2) && isConsonant(w, end - 1);
}

/** Ends consonant-vowel-consonant, the last not w, x or y ("hop", not "snow"). */
function cvc(w: string, end: number): boolean {
  if (end < 3 || !isConsonant(w, end - 1) || isConsonant(w, end - 2) || !isConsonant(w, end - 3))
    return false;
  const c = w.charCodeAt(end - 1);
  return c !== 0x77 && c !== 0x78 && c !== 0x79;
}

function step1a(w: string): string {
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.endsWith('ies')) return w.slice(0, -2);
  if (w.endsWith('ss')) return w;
  if (w.endsWith('s')) return w.slice(0, -1);
  return w;
}

function step1b(w: string): string {
  if (w.endsWith('eed')) return measure(w, w.length - 3) > 0 ? w.slice(0, -1) : w;
  let stem: string;
  if (w.endsWith('ed') && hasVowel(w, w.length - 2)) stem = w.slice(0, -2);
  else if (w.endsWith('ing') && hasVowel(w, w.length - 3)) stem = w.slice(0, -3);
  else return w;
  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return stem + 'e';
  if (doubleConsonant(stem, stem.length)) {
    const last = stem.charCodeAt(stem.length - 1);
    return last === 0x6c || last === 0x73 || last === 0x7a ? stem : stem.slice(0, -1);
  }
  if (measure(stem, stem.length) === 1 && cvc(stem, stem.length)) return stem + 'e';
  return stem;
}

function step1c(w: string): string {
  if (w.endsWith('y') && hasVowel(w, w.length - 1)) return w.slice(0, -1) + 'i';
  return w;
}

const STEP2: readonly [string, string][] = [
  ['ational', 'ate'],
  ['tional', 'tion'],
  ['enci', 'ence'],
  ['anci', 'ance'],
  ['izer', 'ize'],
  ['bli', 'ble'],
  ['alli', 'al'],
  ['entli', 'ent'],
  ['eli', 'e'],
  ['ousli', 'ous'],
  ['ization', 'ize'],
  ['ation', 'ate'],
  ['ator', 'ate'],
  ['alism', 'al'],
  ['iveness', 'ive'],
  ['fulness', 'ful'],
  ['ousness', 'ous'],
  ['aliti', 'al'],
  ['iviti', 'ive'],
  ['biliti', 'ble'],
  ['logi', 'log'],
];

const STEP3: readonly [string, string][] = [
  ['icate', 'ic'],
  ['ative', ''],
  ['alize', 'al'],
  ['iciti', 'ic'],
  ['ical', 'ic'],
  ['ful', ''],
  ['ness', ''],
];

const STEP4 = [
  'al',
  'ance',
  'ence',
  'er',
  'ic',
  'able',
  'ible',
  'ant',
  'ement',
  'ment',
  'ent',
  'ion',
  'ou',
  'ism',
  'ate',
  'iti',
  'ous',
  'ive',
  'ize',
];

/** The longest listed suffix decides: replaced when the stem before it has m > minMeasure. */
function replaceSuffix(w: string, rules: readonly [string, string][], minMeasure: number): string {
  let best: [string, string] | undefined;
  for (const rule of rules)
    if (w.endsWith(rule[0]) && (!best || rule[0].length > best[0].length)) best = rule;
  if (!best) return w;
  const end = w.length - best[0].length;
  return measure(w, end) > minMeasure ? w.slice(0, end) + best[1] : w;
}

function step4(w: string): string {
  let suffix: string | undefined;
  for (const s of STEP4) if (w.endsWith(s) && (!suffix || s.length > suffix.length)) suffix = s;
  if (!suffix) return w;
  const end = w.length - suffix.length;
  if (measure(w, end) <= 1) return w;
  if (suffix === 'ion') {
    const c = w.charCodeAt(end - 1);
    if (c !== 0x73 && c !== 0x74) return w;
  }
  return w.slice(0, end);
}

function step5(w: string): string {
  if (w.endsWith('e')) {
    const end = w.length - 1;
    const m = measure(w, end);
    if (m > 1 || (m === 1 && !cvc(w, end))) w = w.slice(0, end);
  }
  if (w.endsWith('ll') && measure(w, w.length) > 1) w = w.slice(0, -1);
  return w;
}
