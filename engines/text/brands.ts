import { normalizeText, tokenize, type Token } from './tokenize.js';
import type { BrandSpec } from './types.js';

/**
 * A trie of names and aliases by token key: the root is keyed by first token, each level by the next.
 * Aliases that share words ("Acme", "Acme Coffee") share nodes.
 */
interface PhraseNode {
  next: Map<string, PhraseNode>;
  /** Brands with a name or alias that ends at this node. */
  brands: number[];
}

const NOT_ALNUM = /[^\p{L}\p{N}]/gu;
const POSSESSIVE = "'s";
// Bluesky's default hosting suffix: "@acme.bsky.social" is the account "acme".
const BSKY_SUFFIX = '.bsky.social';

/**
 * Finds which configured brands a post talks about, explicitly (@handle, #hashtag) or by name.
 *
 * Names and aliases are compiled into a token trie, so a post costs one lookup per token (and per
 * further word of a candidate alias), however many brands are configured.
 */
export class BrandMatcher {
  private readonly names: string[] = [];
  /** Compact key (letters and digits only) of a handle, name or alias -> brand indexes. */
  private readonly tags = new Map<string, number[]>();
  private readonly phrases: PhraseNode = newNode();

  constructor(brands: BrandSpec[]) {
    if (!Array.isArray(brands)) throw new RangeError('BrandMatcher: brands must be an array of BrandSpec');
    const seen = new Map<string, number>();
    brands.forEach((brand, index) => {
      const name = brand?.name;
      if (typeof name !== 'string' || name.trim() === '') {
        throw new RangeError(`BrandMatcher: brand at index ${index} has an empty name`);
      }
      const key = normalizeText(name.trim());
      const previous = seen.get(key);
      if (previous !== undefined) {
        throw new RangeError(
          `BrandMatcher: duplicate brand name "${name}" at index ${index} (same as index ${previous})`,
        );
      }
      seen.set(key, index);
      this.names.push(name);
      this.compile(brand, index);
    });
  }

  /** Canonical names of the brands the text mentions, deduplicated, in configuration order. */
  match(text: string, tokens?: Token[]): string[] {
    const toks = tokens ?? tokenize(text);
    const found = new Set<number>();
    for (let i = 0; i < toks.length; i++) {
      const token = toks[i];
      if (!token) continue;
      if (token.kind === 'hashtag' || token.kind === 'mention') {
        for (const key of tagKeys(token)) for (const b of this.tags.get(key) ?? []) found.add(b);
        continue;
      }
      this.matchPhrasesAt(toks, i, found);
    }
    if (found.size === 0) return [];
    return [...found].sort((a, b) => a - b).map((b) => this.names[b] ?? '');
  }

  /**
   * Which tokens name a configured brand: a brand @handle or #hashtag, or a word of a name or alias
   * (the longest one that starts at each token). What a post says about a brand is in the other
   * tokens; a topic or a trend is not "Northwind Coffee".
   */
  mentionMask(tokens: readonly Token[]): Uint8Array {
    const mask = new Uint8Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      if (!token) continue;
      if (token.kind === 'hashtag' || token.kind === 'mention') {
        if (tagKeys(token).some((key) => this.tags.has(key))) mask[i] = 1;
        continue;
      }
      const end = this.matchPhrasesAt(tokens, i, undefined);
      if (end > i) mask.fill(1, i, end);
    }
    return mask;
  }

  /**
   * Walks the trie from tokens[start]; the last word of a name may carry a possessive ("Acme's").
   * Adds the brands named to `found`; returns the end (exclusive) of the longest name, or `start`.
   */
  private matchPhrasesAt(tokens: readonly Token[], start: number, found: Set<number> | undefined): number {
    let node = this.phrases;
    let end = start;
    for (let j = start; j < tokens.length; j++) {
      const token = tokens[j];
      const key = token ? tokenKey(token) : '';
      if (key.endsWith(POSSESSIVE)) {
        const brands = node.next.get(key.slice(0, -POSSESSIVE.length))?.brands ?? [];
        if (brands.length > 0) end = j + 1;
        for (const b of brands) found?.add(b);
      }
      const next = node.next.get(key);
      if (!next) return end;
      if (next.brands.length > 0) end = j + 1;
      for (const b of next.brands) found?.add(b);
      node = next;
    }
    return end;
  }

  private compile(brand: BrandSpec, index: number): void {
    const aliases = [brand.name, ...(brand.aliases ?? [])];
    for (const alias of aliases) {
      if (typeof alias !== 'string' || alias.trim() === '') {
        throw new RangeError(`BrandMatcher: brand "${brand.name}" has an empty alias`);
      }
      this.addTag(compact(alias), index);
      const keys = phraseKeys(alias);
      if (keys.length === 0) continue;
      let node = this.phrases;
      for (const key of keys) {
        let next = node.next.get(key);
        if (!next) {
          next = newNode();
          node.next.set(key, next);
        }
        node = next;
      }
      if (!node.brands.includes(index)) node.brands.push(index);
    }
    for (const handle of brand.handles ?? []) {
      if (typeof handle !== 'string' || handle.replace(/^[@#]/, '').trim() === '') {
        throw new RangeError(`BrandMatcher: brand "${brand.name}" has an empty handle`);
      }
      this.addTag(compact(handle.replace(/^[@#]/, '')), index);
    }
  }

  private addTag(key: string, brand: number): void {
    if (key === '') return;
    const list = this.tags.get(key) ?? [];
    if (!list.includes(brand)) list.push(brand);
    this.tags.set(key, list);
  }
}

function newNode(): PhraseNode {
  return { next: new Map(), brands: [] };
}

function compact(s: string): string {
  if (isCompact(s)) return s;
  return normalizeText(s).replace(NOT_ALNUM, '');
}

/** Only lower-case ASCII letters and digits: what compact returns unchanged. */
function isCompact(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** The key a token must have to continue a phrase: its norm, with the prefix kept for tags. */
function tokenKey(t: Token): string {
  if (t.kind === 'hashtag') return '#' + t.norm;
  if (t.kind === 'mention') return '@' + t.norm;
  return t.norm;
}

/** Keys of a name or alias, without punctuation at either end ("Yahoo!" is just "yahoo"). */
function phraseKeys(alias: string): string[] {
  const tokens = tokenize(alias);
  let from = 0;
  let to = tokens.length;
  while (from < to && tokens[from]?.kind === 'punct') from++;
  while (to > from && tokens[to - 1]?.kind === 'punct') to--;
  return tokens.slice(from, to).map(tokenKey);
}

/**
 * Compact keys a tag can match. A fediverse mention "@acme@mastodon.social" and a Bluesky
 * "@acme.bsky.social" also match the bare account name, since that is what brands configure.
 */
function tagKeys(t: Token): string[] {
  const keys = [compact(t.norm)];
  if (t.kind !== 'mention') return keys;
  const at = t.norm.indexOf('@');
  if (at > 0) keys.push(compact(t.norm.slice(0, at)));
  else if (t.norm.endsWith(BSKY_SUFFIX)) keys.push(compact(t.norm.slice(0, -BSKY_SUFFIX.length)));
  return keys;
}
