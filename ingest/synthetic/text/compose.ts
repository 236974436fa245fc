import type { Random } from '../../../engines/stats/index.js';
import type { BrandSpec, SentimentLabel } from '../../../stream/model/index.js';
import { EMOJI, GENERIC_HASHTAGS, PRODUCTS } from './vocabulary.js';

/**
 * Turns a template into the text of a post the way people write: brand names in their many forms,
 * shouting, elongated words, emoji, hashtags and links, each more or less likely by the true label.
 */

const EMOJI_SHARE: Record<SentimentLabel, number> = { positive: 0.5, neutral: 0.15, negative: 0.45 };
const SHOUT_SHARE: Record<SentimentLabel, number> = { positive: 0.04, neutral: 0.01, negative: 0.08 };
const ELONGATE_WORDS = /\b(so|love|good|slow|long|cold|great|bad|worst|never|best|rude|late)\b/i;
const EMPHASIS_WORDS = /\b(never|worst|best|rude|broken|down|refund|late|love|amazing|again)\b/i;
const TOPIC_HASHTAG_SHARE = 0.6;

/** The text of a post from its template; `topicHashtags` are the hashtags of its topic, if any. */
export function composeText(
  rng: Random,
  template: string,
  label: SentimentLabel,
  brands: readonly BrandSpec[],
  topicHashtags: readonly string[] | undefined,
): string {
  let body = template;
  if (rng.chance(SHOUT_SHARE[label])) {
    body = body.toUpperCase();
  } else if (label !== 'neutral' && rng.chance(0.1)) {
    body = body.replace(EMPHASIS_WORDS, (w) => w.toUpperCase());
  }
  if (label !== 'neutral' && rng.chance(0.08)) body = body.replace(ELONGATE_WORDS, (w) => elongate(rng, w));

  body = body
    .replace(/\{p\}/gi, () => rng.pick(PRODUCTS))
    .replace(/\{n\}/gi, () => String(2 + rng.int(44)))
    .replace(/\{1\}/g, () => (brands[0] ? brandForm(rng, brands[0]) : ''))
    .replace(/\{2\}/g, () => (brands[1] ? brandForm(rng, brands[1]) : ''));
  if (rng.chance(0.5)) body = body.charAt(0).toUpperCase() + body.slice(1);
  if (label === 'negative' && rng.chance(0.3)) body += rng.chance(0.5) ? '!!' : '!';

  const parts = [body];
  if (rng.chance(EMOJI_SHARE[label])) {
    const e = rng.pick(EMOJI[label]);
    parts.push(rng.chance(0.3) ? e + e : e);
  }
  const hashtags: string[] = [];
  if (topicHashtags && topicHashtags.length > 0 && rng.chance(TOPIC_HASHTAG_SHARE))
    hashtags.push(`#${rng.pick(topicHashtags)}`);
  if (rng.chance(0.35)) hashtags.push(`#${rng.pick(GENERIC_HASHTAGS)}`);
  if (rng.chance(0.1)) hashtags.push(`#${rng.pick(GENERIC_HASHTAGS)}`);
  parts.push(...new Set(hashtags));
  if (rng.chance(0.08))
    parts.push(`https://pics.example.com/p/${(rng.int(0xffffff) + 0x100000).toString(16)}`);
  return parts.join(' ');
}

/** One of the ways people refer to a brand in a post. */
function brandForm(rng: Random, brand: BrandSpec): string {
  const aliases = brand.aliases ?? [];
  const handles = brand.handles ?? [];
  const u = rng.next();
  if (u < 0.3) return brand.name;
  if (u < 0.5 && handles.length > 0) return `@${rng.pick(handles)}`;
  if (u < 0.6 && hashtagOf(brand.name) !== '') return `#${hashtagOf(brand.name)}`;
  if (u < 0.8 && aliases.length > 0) {
    const alias = rng.pick(aliases);
    const plain = stripAccents(alias);
    // accented aliases are also written without the accent
    return plain !== alias && rng.chance(0.5) ? plain : alias;
  }
  return rng.pick([brand.name, ...aliases]).toLowerCase();
}

function stripAccents(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/** "Northwind Café" -> "NorthwindCafe" */
function hashtagOf(name: string): string {
  return stripAccents(name)
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** "love" -> "loooove": repeats the first vowel. */
function elongate(rng: Random, word: string): string {
  const i = word.search(/[aeiou]/i);
  if (i < 0) return word;
  return word.slice(0, i + 1) + word.charAt(i).repeat(2 + rng.int(3)) + word.slice(i + 1);
}
