import { normalizeText, tokenize, type Token } from '../text/index.js';
import {
  CONTRAST,
  DAMPENERS,
  EMOJI_VALENCES,
  EMOTICON_VALENCES,
  IDIOMS,
  INTENSIFIERS,
  LIKE_AFTER,
  NEGATORS,
  WORD_VALENCES,
} from './lexicon.js';
import type { SentimentLabel, SentimentResult, SentimentScorer, SentimentTier } from './types.js';

// Weights on the lexicon's -4..4 scale, in the spirit of VADER (Hutto & Gilbert, 2014).
const INTENSIFIER_BOOST = 0.293;
const CAPS_BOOST = 0.733;
const ELONGATION_BOOST = 0.4;
/** Negation turns a word around but leaves it weaker: "not good" is milder than "bad". */
const NEGATION_FACTOR = -0.74;
/**
 * A negation that turns no sentiment word around still leans negative ("why doesn't it ship to
 * Canada"): posts with "not", "don't" or "never" are negative about twice as often as others.
 */
const NEGATION_LEAN = -0.5;
/** How much a negator or intensifier fades per word between it and the word it modifies. */
const LOOKBACK_DECAY = [1, 0.95, 0.9];
const BEFORE_CONTRAST = 0.5;
const AFTER_CONTRAST = 1.5;
const EXCLAMATION_BOOST = 0.292;
const MAX_EXCLAMATIONS = 4;
/** Compound normalisation x / sqrt(x² + ALPHA): about ±0.6 for one strong word, approaching ±1. */
const ALPHA = 15;
/**
 * Label thresholds on the compound score, chosen for macro-averaged recall on the TweetEval train
 * split (which this tier never learns from). They are asymmetric: posts that mention a mildly
 * positive word are mostly neutral, while any net negative cue mostly means a negative post.
 */
const POSITIVE_FROM = 0.35;
const NEGATIVE_BELOW = 0;

/** Punctuation that ends a clause (for negation and intensifiers): . , ; : ! ? ( ) … — */
const CLAUSE_BREAK = new Set([...'.,;:!?()\u2026\u2014'].map((ch) => ch.charCodeAt(0)));

/** What the lexicon says about one word norm, so that a word costs one lookup instead of five. */
interface WordInfo {
  /** Whether WORD_VALENCES has the word, and its valence there (else 0). */
  listed: boolean;
  valence: number;
  /** IDIOMS: the valence of the idiom this word ends, by the word before it. */
  idiom: ReadonlyMap<string, number> | undefined;
  negator: boolean;
  contrast: boolean;
  /** In INTENSIFIERS or DAMPENERS. */
  modifier: boolean;
}

/**
 * WORD_INFO of each word and hashtag token of the text being scored, by token index (scratch
 * reused from text to text: scoring is synchronous, and only indexes set for this text are read).
 */
const wordInfos: (WordInfo | undefined)[] = [];

const WORD_INFO: ReadonlyMap<string, WordInfo> = (() => {
  const info = new Map<string, WordInfo>();
  const add = (word: string): WordInfo => {
    let entry = info.get(word);
    if (!entry) {
      entry = {
        listed: WORD_VALENCES.has(word),
        valence: WORD_VALENCES.get(word) ?? 0,
        idiom: IDIOMS.get(word),
        negator: isNegator(word),
        contrast: CONTRAST.has(word),
        modifier: INTENSIFIERS.has(word) || DAMPENERS.has(word),
      };
      info.set(word, entry);
    }
    return entry;
  };
  for (const words of [WORD_VALENCES.keys(), IDIOMS.keys(), NEGATORS, CONTRAST, INTENSIFIERS, DAMPENERS])
    for (const word of words) add(word);
  return info;
})();
const REPEATED_LETTERS = /(\p{L})\1{2,}/gu;

/** What the rules found in a text: the parts of its score. */
export interface RulesAnalysis {
  /** Sum of all adjusted valences (before normalisation). */
  sum: number;
  /** Sum of the positive adjusted valences, and of the negative ones (≤ 0). */
  positive: number;
  negative: number;
  /** Number of lexicon hits (words, emoji, emoticons). */
  hits: number;
  /** The compound score in [-1, 1]. */
  compound: number;
}

/**
 * Lexicon and rules scorer: word, emoji and emoticon valences adjusted for negation, intensifiers
 * and dampeners, ALL CAPS, elongation, exclamation marks and "but". Fast and needs no training
 * data; the first sentiment tier.
 */
export class RulesSentiment implements SentimentScorer {
  readonly model = 'rules-v2';
  readonly tier: SentimentTier = 'rules';

  score(text: string, tokens?: Token[]): SentimentResult {
    const toks = tokens ?? tokenize(typeof text === 'string' ? text : '');
    const score = this.analyze(toks).compound;
    return { label: labelOf(score), score };
  }

  analyze(tokens: Token[]): RulesAnalysis {
    const analysis = sumValences(tokens);
    const sum = analysis.positive + analysis.negative;
    analysis.sum = sum;
    analysis.compound = round4(sum === 0 ? 0 : clamp(sum / Math.sqrt(sum * sum + ALPHA)));
    return analysis;
  }
}

function labelOf(score: number): SentimentLabel {
  if (score >= POSITIVE_FROM) return 'positive';
  if (score < NEGATIVE_BELOW) return 'negative';
  return 'neutral';
}

const clamp = (x: number) => (Number.isFinite(x) ? Math.max(-1, Math.min(1, x)) : 0);

function sumValences(tokens: Token[]): RulesAnalysis {
  let contrastAt = -1;
  // Shouting only stands out when not everything is shouted: ALL CAPS words beside others.
  let capsWords = 0;
  let otherWords = 0;
  const infos = wordInfos;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'word' && t.kind !== 'hashtag') continue;
    const info = WORD_INFO.get(t.norm);
    infos[i] = info;
    if (t.kind !== 'word') continue;
    if (contrastAt < 0 && info?.contrast === true) contrastAt = i;
    if (t.norm.length >= 2) {
      if (t.caps) capsWords++;
      else otherWords++;
    }
  }
  const capsEmphasis = capsWords > 0 && otherWords > 0;
  // The last three word tokens of the current clause, most recent first (-1: none).
  let w1 = -1;
  let w2 = -1;
  let w3 = -1;
  let exclamations = 0;
  let positive = 0;
  let negative = 0;
  let hits = 0;
  let negators = 0;
  let negated = 0;

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    let valence: number;
    switch (t.kind) {
      case 'punct':
        for (let k = 0; k < t.norm.length; k++) if (t.norm.charCodeAt(k) === 33) exclamations++;
        if (isClauseBreak(t.norm)) w1 = w2 = w3 = -1;
        continue;
      case 'word':
      case 'hashtag': {
        let from = 1;
        const info = infos[i];
        const before = w1 >= 0 ? info?.idiom?.get(tokens[w1]!.norm) : undefined;
        if (before !== undefined) {
          valence = before;
          from = 2;
        } else if (t.norm === 'like') {
          valence = w1 >= 0 && LIKE_AFTER.has(tokens[w1]!.norm) ? 1.5 : 0;
        } else {
          valence = wordValence(t, info);
        }
        if (valence !== 0) {
          valence = applyEmphasis(valence, t, tokens, infos, w1, w2, w3, from, capsEmphasis);
          if (isNegated(tokens, infos, w1, w2, w3, from)) {
            valence *= NEGATION_FACTOR;
            negated++;
          }
        }
        const negator = info !== undefined ? info.negator : t.norm.endsWith("n't");
        if (t.kind === 'word' && negator) negators++;
        if (t.kind === 'word' && info?.contrast === true) w1 = w2 = w3 = -1;
        else {
          w3 = w2;
          w2 = w1;
          w1 = i;
        }
        break;
      }
      case 'emoji':
        valence = emojiValence(t.norm);
        break;
      case 'emoticon':
        valence = EMOTICON_VALENCES.get(t.norm) ?? 0;
        if (t.elongated) valence += Math.sign(valence) * ELONGATION_BOOST;
        break;
      default:
        continue;
    }
    if (valence === 0) continue;
    hits++;
    if (contrastAt >= 0 && i !== contrastAt) valence *= i < contrastAt ? BEFORE_CONTRAST : AFTER_CONTRAST;
    if (valence > 0) positive += valence;
    else negative += valence;
  }

  if (negators > 0 && negated === 0) negative += NEGATION_LEAN;
  const sum = positive + negative;
  if (sum !== 0) {
    const boost = Math.min(exclamations, MAX_EXCLAMATIONS) * EXCLAMATION_BOOST;
    if (sum > 0) positive += boost;
    else negative -= boost;
  }
  return {
    sum: 0,
    positive: Number.isFinite(positive) ? positive : 0,
    negative: Number.isFinite(negative) ? negative : 0,
    hits,
    compound: 0,
  };
}

/**
 * Caps, elongation, and the intensifiers and dampeners among the clause's last three words before
 * it (from `from` on: an idiom's own first word modifies nothing).
 */
function applyEmphasis(
  valence: number,
  t: Token,
  tokens: Token[],
  infos: (WordInfo | undefined)[],
  w1: number,
  w2: number,
  w3: number,
  from: number,
  capsEmphasis: boolean,
): number {
  const direction = valence > 0 ? 1 : -1;
  let v = valence;
  if (capsEmphasis && t.caps) v += direction * CAPS_BOOST;
  if (t.elongated) v += direction * ELONGATION_BOOST;
  for (let back = from; back <= 3; back++) {
    const at = back === 1 ? w1 : back === 2 ? w2 : w3;
    if (at < 0) break;
    const before = tokens[at]!;
    const key = modifierKey(before, infos[at]);
    if (key === undefined) continue;
    let boost = INTENSIFIER_BOOST;
    if (capsEmphasis && before.caps) boost += CAPS_BOOST;
    if (before.elongated) boost += ELONGATION_BOOST;
    v += (INTENSIFIERS.has(key) ? 1 : -1) * direction * boost * (LOOKBACK_DECAY[back - 1] ?? 0);
  }
  return v;
}

/** Whether a negator is among the clause's last three words before a sentiment word. */
function isNegated(
  tokens: Token[],
  infos: (WordInfo | undefined)[],
  w1: number,
  w2: number,
  w3: number,
  from: number,
): boolean {
  for (let back = from; back <= 3; back++) {
    const at = back === 1 ? w1 : back === 2 ? w2 : w3;
    if (at < 0) return false;
    const info = infos[at];
    if (info !== undefined ? info.negator : tokens[at]!.norm.endsWith("n't")) return true;
  }
  return false;
}

function modifierKey(t: Token, info: WordInfo | undefined): string | undefined {
  if (info?.modifier === true) return t.norm;
  if (!t.elongated) return undefined;
  const squeezed = squeeze(t);
  return INTENSIFIERS.has(squeezed) || DAMPENERS.has(squeezed) ? squeezed : undefined;
}

function isClauseBreak(punct: string): boolean {
  for (let k = 0; k < punct.length; k++) if (CLAUSE_BREAK.has(punct.charCodeAt(k))) return true;
  return false;
}

function isNegator(norm: string): boolean {
  return NEGATORS.has(norm) || norm.endsWith("n't");
}

/**
 * The norm, and for elongated words also the norm with every stretched letter written once:
 * "loooove" is "loove" as a norm but "love" in the lexicon, while "goooood" is found as "good".
 */
function wordValence(t: Token, info: WordInfo | undefined): number {
  if (info?.listed === true) return info.valence;
  if (!t.elongated) return 0;
  return WORD_VALENCES.get(squeeze(t)) ?? 0;
}

function squeeze(t: Token): string {
  return normalizeText(t.text)
    .replace(/[\u2018\u2019\u02BC\u2032]/g, "'")
    .replace(REPEATED_LETTERS, '$1');
}

/** ZWJ sequences not in the table count as their first emoji ("🤦‍♂️" as "🤦"). */
function emojiValence(norm: string): number {
  const direct = EMOJI_VALENCES.get(norm);
  if (direct !== undefined) return direct;
  const first = String.fromCodePoint(norm.codePointAt(0) ?? 0x20);
  return EMOJI_VALENCES.get(first) ?? 0;
}

/** Four decimals keep stored scores stable across platforms; -0 becomes 0. */
function round4(x: number): number {
  const r = Math.round(x * 10_000) / 10_000;
  return r === 0 ? 0 : r;
}
