import { FormatRegistry, Type, type Static } from '@sinclair/typebox';

/** The scenario file: what to generate. Times inside it are offsets from `start`. */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const RELATIVE_START = /^(now|[+-]\d+(?:\.\d+)?(?:ms|s|m|h|d))$/;

FormatRegistry.Set('pw-duration', (v) => DURATION.test(v));
FormatRegistry.Set('pw-start', (v) => RELATIVE_START.test(v) || isIsoTime(v));

/** `errorMessage` replaces TypeBox's message for a value that fails this schema. */
const Duration = Type.String({
  format: 'pw-duration',
  errorMessage: 'expected a duration like 500ms, 90s, 5m, 2h or 1d',
});
const Share = Type.Number({ minimum: 0, maximum: 1 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Slug = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,99}$',
  errorMessage: 'expected lower-case letters, digits and dashes, like "leaking-cans"',
});

const Brand = Type.Object(
  {
    name: Name,
    aliases: Type.Optional(Type.Array(Name, { maxItems: 100 })),
    handles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

const Template = Type.String({
  maxLength: 500,
  pattern: '^[^\\r\\n]*\\{1\\}[^\\r\\n]*$',
  errorMessage: 'expected one line that names the brand as {1} ({p} is a product, {n} a number)',
});
const Templates = Type.Array(Template, { minItems: 1, maxItems: 1000 });

const Topic = Type.Object(
  {
    name: Slug,
    description: Type.Optional(Type.String()),
    brands: Type.Optional(Type.Array(Name, { minItems: 1 })),
    hashtags: Type.Optional(
      Type.Array(
        Type.String({
          pattern: '^[a-z0-9_]{1,100}$',
          errorMessage: 'expected a lower-case hashtag without #',
        }),
      ),
    ),
    positive: Templates,
    neutral: Templates,
    negative: Templates,
  },
  { additionalProperties: false },
);

const Phase = Type.Object(
  { at: Duration, weights: Type.Record(Type.String(), Type.Number({ minimum: 0 }), { minProperties: 1 }) },
  { additionalProperties: false },
);

const Campaign = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100 }),
    brand: Name,
    at: Type.Optional(Duration),
    duration: Type.Optional(Duration),
    impressionsPerSec: Type.Number({ minimum: 0, maximum: 1e6 }),
    decide: Type.Optional(Type.Boolean()),
    arms: Type.Array(
      Type.Object(
        { id: Type.String({ minLength: 1, maxLength: 256 }), clickRate: Share, conversionRate: Share },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);

const Spike = Type.Object(
  {
    brand: Name,
    at: Duration,
    duration: Duration,
    size: Type.Number({ minimum: 0, maximum: 1000 }),
    topic: Type.Optional(Type.String({ minLength: 1 })),
    negativeShare: Type.Optional(Share),
  },
  { additionalProperties: false },
);

/** The JSON Schema of a scenario file; README "Scenarios" documents every field. */
export const ScenarioSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Slug,
    description: Type.String({ maxLength: 10_000 }),
    seed: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }),
    rate: Type.Number({ minimum: 0, maximum: 1e6 }),
    start: Type.String({
      format: 'pw-start',
      errorMessage: 'expected "now", a time relative to now like "-30m" or "+1h", or an ISO 8601 time',
    }),
    duration: Type.Optional(Duration),
    brands: Type.Array(Brand, { minItems: 1, maxItems: 1000 }),
    competitors: Type.Optional(Type.Array(Brand, { maxItems: 1000 })),
    mix: Type.Optional(
      Type.Object({ positive: Share, neutral: Share, negative: Share }, { additionalProperties: false }),
    ),
    dailyAmplitude: Type.Optional(Share),
    brandlessShare: Type.Optional(Share),
    outOfOrderShare: Type.Optional(Share),
    authors: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    topics: Type.Optional(Type.Array(Topic, { maxItems: 1000 })),
    topicPhases: Type.Optional(Type.Array(Phase, { minItems: 1, maxItems: 1000 })),
    campaigns: Type.Optional(Type.Array(Campaign, { maxItems: 100 })),
    spikes: Type.Optional(Type.Array(Spike, { maxItems: 1000 })),
    late: Type.Optional(
      Type.Object({ share: Share, minDelay: Duration, maxDelay: Duration }, { additionalProperties: false }),
    ),
    duplicates: Type.Optional(
      Type.Object({ share: Share, maxDelay: Type.Optional(Duration) }, { additionalProperties: false }),
    ),
    malformed: Type.Optional(Type.Object({ share: Share }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type Scenario = Static<typeof ScenarioSchema>;

/** "90s" -> 90000. The schema has checked the format. */
export function durationMs(d: string): number {
  const m = DURATION.exec(d);
  if (!m) throw new RangeError(`not a duration: "${d}"`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** ISO 8601 date-time (or date) that Date.parse reads. */
export function isIsoTime(v: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) &&
    Number.isFinite(Date.parse(v))
  );
}
