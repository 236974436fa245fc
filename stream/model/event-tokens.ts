import { tokenize, type Token } from '../../engines/text/index.js';

/** Tokens of events' texts, by event object: dropped with the event. */
const TOKENS = new WeakMap<object, readonly Token[]>();

/**
 * Remembers an event's tokens (enrichment tokenizes every text for brands and sentiment), so that
 * stage 2's analyses in the same process do not tokenize it again.
 */
export function rememberTokens(event: object, tokens: readonly Token[]): void {
  TOKENS.set(event, tokens);
}

/** The tokens of an event's text (engines/text `tokenize`): remembered ones, or tokenized now and remembered. */
export function tokensOf(event: { text: string }): readonly Token[] {
  let tokens = TOKENS.get(event);
  if (!tokens) {
    tokens = tokenize(event.text);
    TOKENS.set(event, tokens);
  }
  return tokens;
}
