export { tokenize, normalizeText, extractTags, type Token, type TokenKind } from './tokenize.js';
export { decodeEntities } from './entities.js';
export { BrandMatcher } from './brands.js';
export type { BrandSpec } from './types.js';
export { FeatureBuffer, HASH_START, hashFinish, hashMix, hashSeed, hashString } from './hashing.js';
export { STOPWORDS } from './stopwords.js';
