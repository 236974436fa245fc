import { BrandMatcher, tokenize, type Token } from '../../engines/text/index.js';
import type { BrandSpec } from './brands.js';

/**
 * The last event whose tokens were remembered, and its tokens. Stage 2 enriches an event and at
 * once folds it into every operator, so one slot holds what they ask for: no map (a WeakMap entry
 * per event cost more than some analyses), and nothing is held beyond the next event.
 */
let lastEvent: object | undefined;
let lastTokens: readonly Token[] = [];

/** The same kind of slot for the brand mentions of the last event asked about, and the brands asked. */
let maskEvent: object | undefined;
let maskBrands: readonly BrandSpec[] | undefined;
let lastMask: Uint8Array = new Uint8Array(0);

/**
 * Remembers an event's tokens (enrichment tokenizes every text for brands and sentiment), so that
 * stage 2's analyses in the same process do not tokenize it again.
 */
export function rememberTokens(event: object, tokens: readonly Token[]): void {
  lastEvent = event;
  lastTokens = tokens;
  maskEvent = undefined;
}

/**
 * The tokens of an event's text (engines/text `tokenize`): the remembered ones if it is the last
 * event remembered, else tokenized now (and remembered).
 */
export function tokensOf(event: { text: string }): readonly Token[] {
  if (event !== lastEvent) rememberTokens(event, tokenize(event.text));
  return lastTokens;
}

/** One BrandMatcher per list of brands: the operators of a partition share their context's list. */
const matchers = new WeakMap<readonly BrandSpec[], BrandMatcher>();

/**
 * Which of the event's tokens (`tokensOf`, position by position) name one of `brands`:
 * `BrandMatcher.mentionMask`, found once per event and list for the topics, the trends and the
 * spike terms alike, which all leave the brands' own names, handles and hashtags out of what a post
 * is about. Undefined without brands.
 */
export function mentionsOf(
  event: { text: string },
  brands: readonly BrandSpec[] | undefined,
): Uint8Array | undefined {
  if (!brands?.length) return undefined;
  const tokens = tokensOf(event);
  if (event !== maskEvent || brands !== maskBrands) {
    let matcher = matchers.get(brands);
    if (!matcher) matchers.set(brands, (matcher = new BrandMatcher([...brands])));
    lastMask = matcher.mentionMask(tokens);
    maskEvent = event;
    maskBrands = brands;
  }
  return lastMask;
}
