import { normalizeText, tokenize, type Token } from '../text/index.js';
import {
  CONTRAST,
  DAMPENERS,
  EMOJI_VALENCES,
  EMOTICON_VALENCES,
  INTENSIFIERS,
  NEGATORS,
  WORD_VALENCES,
} from './lexicon.js';
import type { SentimentLabel, SentimentResult, SentimentScorer } from './types.js';

// Weights on the lexicon's -4..4 scale, in the spirit of VADER (Hutto & Gilbert, 2014).
const INTENSIFIER_BOOST = 0.293;
const CAPS_BOOST = 0.733;
const ELONGATION_BOOST = 0.4;
/** Negation turns a word around but leaves it weaker: "not good" is milder than "bad". */
const NEGATION_FACTOR = -0.74;
/** How many words back a negator or intensifier still reaches, and how much it fades per word. */
const LOOKBACK = 3;
const LOOKBACK_DECAY = [1, 0.95, 0.9];
const BEFORE_CONTRAST = 0.5;
const AFTER_CONTRAST = 1.5;
const EXCLAMATION_BOOST = 0.292;
const MAX_EXCLAMATIONS = 4;
/** Compound normalisation x / sqrt(x² + ALPHA): about ±0.6 for one strong word, approaching ±1. */
const ALPHA = 15;
const NEUTRAL_BAND = 0.05;

const CLAUSE_BREAK = /[.,;:!?()\u2026\u2014]/;
const REPEATED_LETTERS = /(\p{L})\1{2,}/gu;

/**
 * Lexicon and rules scorer: word, emoji and emoticon valences adjusted for negation, intensifiers,
 * ALL CAPS, elongation, exclamation marks and "but". Fast and needs no data; the first sentiment tier.
 */
export class RulesSentiment implements SentimentScorer {
  readonly model = 'rules-v1';

  score(text: string, tokens?: Token[]): SentimentResult {
    const toks = tokens ?? tokenize(typeof text === 'string' ? text : '');
    const sum = sumValences(toks);
    const score = round4(sum === 0 ? 0 : Math.max(-1, Math.min(1, sum / Math.sqrt(sum * sum + ALPHA))));
    return { label: labelOf(score), score };
  }
}

function labelOf(score: number): SentimentLabel {
  if (score >= NEUTRAL_BAND) return 'positive';
  if (score <= -NEUTRAL_BAND) return 'negative';
  return 'neutral';
}

function sumValences(tokens: Token[]): number {
  const capsEmphasis = hasCapsDifferential(tokens);
  const contrastAt = tokens.findIndex((t) => t.kind === 'word' && CONTRAST.has(t.norm));
  /** Words seen so far in the current clause, most recent last. */
  let clause: Token[] = [];
  let exclamations = 0;
  let sum = 0;

  tokens.forEach((t, i) => {
    let valence = 0;
    if (t.kind === 'punct') {
      for (const ch of t.norm) if (ch === '!') exclamations++;
      if (CLAUSE_BREAK.test(t.norm)) clause = [];
      return;
    }
    if (t.kind === 'word' || t.kind === 'hashtag') {
      valence = wordValence(t);
      if (valence !== 0) valence = applyEmphasis(valence, t, clause, capsEmphasis);
      if (t.kind === 'word' && CONTRAST.has(t.norm)) clause = [];
      else clause.push(t);
    } else if (t.kind === 'emoji') {
      valence = emojiValence(t.norm);
    } else if (t.kind === 'emoticon') {
      valence = EMOTICON_VALENCES.get(t.norm) ?? 0;
      if (t.elongated) valence += Math.sign(valence) * ELONGATION_BOOST;
    }
    if (contrastAt >= 0 && i !== contrastAt) valence *= i < contrastAt ? BEFORE_CONTRAST : AFTER_CONTRAST;
    sum += valence;
  });

  if (sum !== 0) sum += Math.sign(sum) * Math.min(exclamations, MAX_EXCLAMATIONS) * EXCLAMATION_BOOST;
  return Number.isFinite(sum) ? sum : 0;
}

/** Shouting only stands out when not everything is shouted. */
function hasCapsDifferential(tokens: Token[]): boolean {
  let caps = 0;
  let other = 0;
  for (const t of tokens) {
    if (t.kind !== 'word' || !/\p{L}.*\p{L}/u.test(t.text)) continue;
    if (t.caps) caps++;
    else other++;
  }
  return caps > 0 && other > 0;
}

function applyEmphasis(valence: number, t: Token, clause: Token[], capsEmphasis: boolean): number {
  const direction = Math.sign(valence);
  let v = valence;
  if (capsEmphasis && t.caps) v += direction * CAPS_BOOST;
  if (t.elongated) v += direction * ELONGATION_BOOST;
  let negated = false;
  for (let back = 1; back <= LOOKBACK; back++) {
    const before = clause[clause.length - back];
    if (!before) break;
    const decay = LOOKBACK_DECAY[back - 1] ?? 0;
    const key = lookupKeys(before).find((k) => INTENSIFIERS.has(k) || DAMPENERS.has(k));
    if (key !== undefined) {
      let boost = INTENSIFIER_BOOST;
      if (capsEmphasis && before.caps) boost += CAPS_BOOST;
      if (before.elongated) boost += ELONGATION_BOOST;
      v += (INTENSIFIERS.has(key) ? 1 : -1) * direction * boost * decay;
    }
    if (isNegator(before.norm)) negated = true;
  }
  return negated ? v * NEGATION_FACTOR : v;
}

function isNegator(norm: string): boolean {
  return NEGATORS.has(norm) || norm.endsWith("n't");
}

function wordValence(t: Token): number {
  for (const key of lookupKeys(t)) {
    const v = WORD_VALENCES.get(key);
    if (v !== undefined) return v;
  }
  return 0;
}

/**
 * The norm, and for elongated words also the norm with every stretched letter written once:
 * "loooove" is "loove" as a norm but "love" in the lexicon, while "goooood" is found as "good".
 */
function lookupKeys(t: Token): string[] {
  if (!t.elongated) return [t.norm];
  const squeezed = normalizeText(t.text)
    .replace(/[\u2018\u2019\u02BC\u2032]/g, "'")
    .replace(REPEATED_LETTERS, '$1');
  return squeezed === t.norm ? [t.norm] : [t.norm, squeezed];
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
