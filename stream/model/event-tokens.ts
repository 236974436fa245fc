import { tokenize, type Token } from '../../engines/text/index.js';

/**
 * The last event whose tokens were remembered, and its tokens. Stage 2 enriches an event and at
 * once folds it into every operator, so one slot holds what they ask for: no map (a WeakMap entry
 * per event cost more than some analyses), and nothing is held beyond the next event.
 */
let lastEvent: object | undefined;
let lastTokens: readonly Token[] = [];

/**
 * Remembers an event's tokens (enrichment tokenizes every text for brands and sentiment), so that
 * stage 2's analyses in the same process do not tokenize it again.
 */
export function rememberTokens(event: object, tokens: readonly Token[]): void {
  lastEvent = event;
  lastTokens = tokens;
}

/**
 * The tokens of an event's text (engines/text `tokenize`): the remembered ones if it is the last
 * event remembered, else tokenized now (and remembered).
 */
export function tokensOf(event: { text: string }): readonly Token[] {
  if (event !== lastEvent) rememberTokens(event, tokenize(event.text));
  return lastTokens;
}
