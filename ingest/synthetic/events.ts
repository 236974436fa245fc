import type { FeedbackEvent, SentimentLabel, SocialEventInput } from '../../stream/model/index.js';

/** What a social event really is, for scoring a pipeline against. */
export interface SocialTruth {
  label: SentimentLabel;
  brands: string[];
  spike: boolean;
  topic: string;
  /** The template the text was written from, before its placeholders were filled in. */
  template: string;
  /** Injected late: `ts` is this many ms before the post was sent. */
  lateMs?: number;
  /** A re-sent copy (same source and id): when it is sent, and when the original was. */
  copy?: { sentAt: number; originalSentAt: number };
}

/** Why ingest must refuse an injected malformed line. */
export type MalformedReason = 'invalid_json' | 'schema';

export type GeneratedEvent =
  | { kind: 'social'; event: SocialEventInput; truth: SocialTruth }
  | { kind: 'feedback'; event: FeedbackEvent }
  | {
      kind: 'malformed';
      /** One NDJSON line, as it is sent. */
      line: string;
      /** `of`: the id of the post it replaced; `at`: when it is sent. */
      truth: { reason: MalformedReason; of: string; at: number };
    };

export type GeneratedPost = Extract<GeneratedEvent, { kind: 'social' }>;

/** A generated event with the time it was generated for; out-of-order posts have an earlier ts. */
export interface Slotted {
  at: number;
  item: GeneratedEvent;
}

/** One slot's social output: what is sent in it, and re-sent copies, which may fall in later slots. */
export interface SocialSlot {
  sent: Slotted[];
  copies: Slotted[];
}
