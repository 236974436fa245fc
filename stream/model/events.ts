import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** Longest post text we accept, in UTF-16 code units. Social posts are far shorter; this bounds memory. */
export const MAX_TEXT_LENGTH = 20_000;

const Id = Type.String({ minLength: 1, maxLength: 256 });
/** At most 2^53 - 1: a larger JSON number is not an exact integer, and sums of them overflow. */
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** Milliseconds since the Unix epoch, between 2000-01-01 and 2100-01-01. */
const EpochMs = Type.Integer({ minimum: 946_684_800_000, maximum: 4_102_444_800_000 });

export const Author = Type.Object(
  {
    id: Id,
    followers: Type.Optional(Count),
    verified: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const Tags = Type.Object(
  {
    hashtags: Type.Optional(Type.Array(Type.String({ maxLength: 280 }), { maxItems: 100 })),
    mentions: Type.Optional(Type.Array(Type.String({ maxLength: 280 }), { maxItems: 100 })),
    urls: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const Engagement = Type.Object(
  { likes: Type.Optional(Count), shares: Type.Optional(Count), replies: Type.Optional(Count) },
  { additionalProperties: false },
);

export const Geo = Type.Object(
  {
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    country: Type.Optional(Type.String({ minLength: 2, maxLength: 2 })),
  },
  { additionalProperties: false },
);

export const CampaignRef = Type.Object({ id: Id, arm: Id }, { additionalProperties: false });

/** A post as connectors deliver it. Optional fields get defaults in {@link normalizeSocialEvent}. */
export const SocialEventSchema = Type.Object(
  {
    id: Id,
    source: Type.String({ minLength: 1, maxLength: 64 }),
    ts: EpochMs,
    received_ts: Type.Optional(EpochMs),
    author: Author,
    text: Type.String({ maxLength: MAX_TEXT_LENGTH }),
    lang: Type.Optional(Type.String({ maxLength: 16 })),
    tags: Type.Optional(Tags),
    geo: Type.Optional(Geo),
    engagement: Type.Optional(Engagement),
    campaign: Type.Optional(CampaignRef),
  },
  { additionalProperties: false },
);
export type SocialEventInput = Static<typeof SocialEventSchema>;

/** A SocialEvent after validation and defaults: every optional counter is present. */
export interface SocialEvent extends SocialEventInput {
  received_ts: number;
  author: { id: string; followers: number; verified?: boolean };
  tags: { hashtags: string[]; mentions: string[]; urls: string[] };
  engagement: { likes: number; shares: number; replies: number };
}

export const FeedbackKind = Type.Union([
  Type.Literal('impression'),
  Type.Literal('click'),
  Type.Literal('conversion'),
  Type.Literal('reward'),
]);

export const FeedbackEventSchema = Type.Object(
  {
    /** Chosen by the client, unique within its campaign: repeats are one event (see {@link feedbackKey}). */
    id: Type.Optional(Id),
    campaign: Id,
    arm: Id,
    decision_id: Type.Optional(Id),
    kind: FeedbackKind,
    // as continuous rewards (MAX_CONTINUOUS_REWARD): revenue sums and squares stay finite
    value: Type.Optional(Type.Number({ minimum: -1e15, maximum: 1e15 })),
    ts: EpochMs,
  },
  { additionalProperties: false },
);
export type FeedbackEvent = Static<typeof FeedbackEventSchema>;

import type { SentimentLabel } from '../../engines/sentiment/types.js';

export type { SentimentLabel };

/** What stage 1 adds to a SocialEvent. `unsupported`: a language the models do not cover (score 0). */
export interface EnrichedEvent extends SocialEvent {
  brands: string[];
  /**
   * `tier` and `model` say what scored it; an unsupported post has tier `none` and the language
   * detector as model. Stage 1 always sets `tier`; it is optional for events enriched before it existed.
   */
  sentiment: {
    label: SentimentLabel | 'unsupported';
    score: number;
    model: string;
    tier?: 'rules' | 'linear' | 'transformer' | 'none';
  };
}

const socialCheck = TypeCompiler.Compile(SocialEventSchema);
const feedbackCheck = TypeCompiler.Compile(FeedbackEventSchema);

/** A checked value, or why it was refused (`R`: the reasons the check can give). */
export type Validation<T, R extends string = 'schema' | 'text_too_long'> =
  { ok: true; value: T } | { ok: false; reason: R; detail: string };

function firstError(check: typeof socialCheck | typeof feedbackCheck, value: unknown): string {
  const err = check.Errors(value).First();
  if (!err) return 'invalid value';
  return `${err.path || '/'}: ${err.message}`;
}

/** Validates one decoded JSON value as a SocialEvent and fills defaults. Never throws. */
/** Checks one decoded JSON value against the SocialEvent schema, without copying it. Never throws. */
export function checkSocialEvent(value: unknown): Validation<SocialEventInput> {
  if (socialCheck.Check(value)) return { ok: true, value };
  const detail = firstError(socialCheck, value);
  const tooLong =
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { text?: unknown }).text === 'string' &&
    (value as { text: string }).text.length > MAX_TEXT_LENGTH;
  return { ok: false, reason: tooLong ? 'text_too_long' : 'schema', detail };
}

/** Validates one decoded JSON value as a SocialEvent and fills defaults (in a copy). Never throws. */
export function validateSocialEvent(value: unknown, now: number = Date.now()): Validation<SocialEvent> {
  const v = checkSocialEvent(value);
  return v.ok ? { ok: true, value: normalizeSocialEvent(v.value, now) } : v;
}

export function normalizeSocialEvent(input: SocialEventInput, now: number): SocialEvent {
  return {
    ...input,
    received_ts: input.received_ts ?? now,
    author: { ...input.author, followers: input.author.followers ?? 0 },
    tags: {
      hashtags: input.tags?.hashtags ?? [],
      mentions: input.tags?.mentions ?? [],
      urls: input.tags?.urls ?? [],
    },
    engagement: {
      likes: input.engagement?.likes ?? 0,
      shares: input.engagement?.shares ?? 0,
      replies: input.engagement?.replies ?? 0,
    },
  };
}

export function validateFeedbackEvent(value: unknown): Validation<FeedbackEvent> {
  if (!feedbackCheck.Check(value))
    return { ok: false, reason: 'schema', detail: firstError(feedbackCheck, value) };
  return { ok: true, value };
}

/**
 * Header carrying `received_ts` when ingest publishes an event's original bytes instead of
 * re-encoding it; readers fill the defaults with {@link decodeSocialLine}.
 */
export const RECEIVED_TS_HEADER = 'pw-received-ts';

/**
 * A key's leading part with its `%` and `:` escaped, so the first `:` of a key ends it: two
 * different pairs never make one key. Parts without either (every usual source and campaign id)
 * stay as they are, so keys in the dedup state of earlier releases still match.
 */
function keyPart(s: string): string {
  return s.includes(':') || s.includes('%') ? s.replaceAll('%', '%25').replaceAll(':', '%3A') : s;
}

/** What identifies an event for de-duplication, at ingest and in stage 2: its source and id. */
export function eventKey(e: { source: string; id: string }): string {
  return `${keyPart(e.source)}:${e.id}`;
}

/** Everything but printable ASCII, and `%`. */
const UNSAFE_LAST = /[^\x21-\x24\x26-\x7e]/g;
/** The same and `:`. */
const UNSAFE_PART = /[^\x21-\x24\x26-\x39\x3b-\x7e]/g;

/**
 * A part of a key with every UTF-16 code unit `unsafe` matches escaped as `%XX` (below 0x100) or
 * `%uXXXX`: `%` always, and every code unit outside printable ASCII (controls, whitespace,
 * non-ASCII, lone surrogates), so two strings never make one part and the key is a valid NATS
 * header value (`Nats-Msg-Id`: the client refuses CR and LF, which would fail the publish, and
 * trims whitespace, which would make `"a "` a repeat of `"a"`). The rest of printable ASCII
 * (every usual id) stays as it is.
 */
function safePart(s: string, unsafe: RegExp): string {
  return s.replace(unsafe, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100
      ? `%${n.toString(16).toUpperCase().padStart(2, '0')}`
      : `%u${n.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/**
 * The prefix of feedback keys made from a client's `id`. A decision key starts with its campaign
 * as {@link keyPart} writes it, in which every `%` starts `%25` or `%3A`, and a position key
 * (stage 2) with `fb:`: neither can start with `%id:`.
 */
export const FEEDBACK_ID_KEY_PREFIX = '%id:';

/**
 * What identifies campaign feedback for de-duplication (bus message id at ingest, stage 2's
 * idempotency key for the arm statistics), first of:
 * - a `decision_id`: its campaign, decision and kind, `campaign:decision_id:kind` (as in earlier
 *   releases: dedup state and applied keys saved by them still match);
 * - an `id`: `%id:campaign:id`, whatever the kind (the client says which lines are one event),
 *   escaped by {@link safePart}: the campaign's `:` too, the id's not (it ends the key);
 * - neither: undefined, nothing to tell a repeat by (stage 2 keys the line by its position).
 */
export function feedbackKey(e: {
  campaign: string;
  decision_id?: string | undefined;
  id?: string | undefined;
  kind: string;
}): string | undefined {
  if (e.decision_id !== undefined) return `${keyPart(e.campaign)}:${e.decision_id}:${e.kind}`;
  if (e.id !== undefined)
    return `${FEEDBACK_ID_KEY_PREFIX}${safePart(e.campaign, UNSAFE_PART)}:${safePart(e.id, UNSAFE_LAST)}`;
  return undefined;
}

const utf8Decoder = new TextDecoder();

/**
 * Reads one SocialEvent line of a bus message (see event-batch.ts), whether ingest re-encoded it
 * or passed its bytes through; `receivedTs` is the message's RECEIVED_TS_HEADER, if any.
 */
export function decodeSocialLine(line: Uint8Array, receivedTs: string | undefined): SocialEvent {
  const value = JSON.parse(utf8Decoder.decode(line)) as SocialEventInput;
  return receivedTs === undefined ? (value as SocialEvent) : fillDefaults(value, Number(receivedTs));
}

/** normalizeSocialEvent for an object the caller owns: fills the defaults in place, copying nothing. */
function fillDefaults(e: SocialEventInput, now: number): SocialEvent {
  e.received_ts ??= now;
  e.author.followers ??= 0;
  const tags = (e.tags ??= {});
  tags.hashtags ??= [];
  tags.mentions ??= [];
  tags.urls ??= [];
  const engagement = (e.engagement ??= {});
  engagement.likes ??= 0;
  engagement.shares ??= 0;
  engagement.replies ??= 0;
  return e as SocialEvent;
}
