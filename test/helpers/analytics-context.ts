import { RulesSentiment } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import type { OperatorContext } from '../../stream/index.js';

/** What the analytics operators' unit tests share: one-minute windows from a Monday morning, and the default brands' enrichment. */
export const MIN = 60_000;
export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
export const context: OperatorContext = {
  partition: 0,
  windows: [{ name: '1m', sizeMs: MIN }],
  allowedLatenessMs: 5_000,
  analytics: { windowMs: MIN },
};
export const matcher = new BrandMatcher(DEFAULT_BRANDS);
export const scorer = new RulesSentiment();
