import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { FormatRegistry, Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { BrandSpec } from '../engines/text/index.js';
import type { SentimentLabel } from '../stream/model/events.js';
import {
  BUILTIN_TOPICS,
  GENERAL_TOPIC,
  MAX_DUPLICATE_DELAY_MS,
  MAX_LATE_MS,
  SPIKE_TOPICS,
  SyntheticGenerator,
  type GeneratedEvent,
  type GeneratorConfig,
  type MalformedReason,
} from './generator.js';

// ---------------------------------------------------------------------------------------------
// The scenario file: what to generate. Times inside it are offsets from `start`.

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

const ScenarioCheck = TypeCompiler.Compile(ScenarioSchema);

/** Default delay bound of re-sent copies. */
const DEFAULT_DUPLICATE_DELAY = '5s';
/** Default negative share of a spike, as for `--synthetic-spikes`. */
const DEFAULT_SPIKE_NEGATIVE_SHARE = 0.8;

/** A scenario that cannot be used; `path` is the JSON pointer of the offending value. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(
    readonly source: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`scenario ${source}: ${path || '/'}: ${reason}`);
  }
}

/** Reads and validates a scenario file; every problem is a ScenarioError naming the file and the path. */
export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, '', `cannot read it (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(file, '', `not valid JSON (${(err as Error).message})`);
  }
  return parseScenario(value, file);
}

/** Validates a decoded scenario: the schema first, then what a schema cannot say (names that must exist, order). */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  if (!ScenarioCheck.Check(value)) {
    const e = ScenarioCheck.Errors(value).First();
    const custom = (e?.schema as TSchema & { errorMessage?: string }) ?? {};
    throw new ScenarioError(source, e?.path ?? '', custom.errorMessage ?? e?.message ?? 'invalid');
  }
  const fail = (path: string, reason: string): never => {
    throw new ScenarioError(source, path, reason);
  };
  const s = value;
  const brandNames = new Set<string>();
  const eachBrand = [
    ...s.brands.map((b, i) => ({ b, path: `/brands/${i}` })),
    ...(s.competitors ?? []).map((b, i) => ({ b, path: `/competitors/${i}` })),
  ];
  for (const { b, path } of eachBrand) {
    if (brandNames.has(b.name)) fail(`${path}/name`, `brand "${b.name}" is listed twice`);
    brandNames.add(b.name);
  }
  const knownBrand = (path: string, name: string): void => {
    if (!brandNames.has(name)) fail(path, `unknown brand "${name}" (brands: ${[...brandNames].join(', ')})`);
  };

  const topicNames = new Set<string>([GENERAL_TOPIC, ...Object.keys(BUILTIN_TOPICS)]);
  (s.topics ?? []).forEach((t, i) => {
    if (topicNames.has(t.name)) fail(`/topics/${i}/name`, `topic "${t.name}" already exists`);
    topicNames.add(t.name);
    (t.brands ?? []).forEach((b, j) => knownBrand(`/topics/${i}/brands/${j}`, b));
  });
  const knownTopic = (path: string, name: string): void => {
    if (!topicNames.has(name)) fail(path, `unknown topic "${name}" (topics: ${[...topicNames].join(', ')})`);
  };
  let previous = -1;
  (s.topicPhases ?? []).forEach((p, i) => {
    const at = durationMs(p.at);
    if (at <= previous) fail(`/topicPhases/${i}/at`, 'phases must be in ascending order of `at`');
    previous = at;
    for (const name of Object.keys(p.weights)) knownTopic(`/topicPhases/${i}/weights/${name}`, name);
    if (Object.values(p.weights).every((w) => w === 0))
      fail(`/topicPhases/${i}/weights`, 'at least one weight must be above 0');
  });

  if (s.mix) {
    const sum = s.mix.positive + s.mix.neutral + s.mix.negative;
    if (Math.abs(sum - 1) > 0.01) fail('/mix', `positive + neutral + negative must be 1 (got ${sum})`);
  }
  const campaignIds = new Set<string>();
  (s.campaigns ?? []).forEach((c, i) => {
    if (campaignIds.has(c.id)) fail(`/campaigns/${i}/id`, `campaign "${c.id}" is listed twice`);
    campaignIds.add(c.id);
    knownBrand(`/campaigns/${i}/brand`, c.brand);
    const arms = new Set<string>();
    c.arms.forEach((a, j) => {
      if (arms.has(a.id)) fail(`/campaigns/${i}/arms/${j}/id`, `arm "${a.id}" is listed twice`);
      arms.add(a.id);
    });
  });
  (s.spikes ?? []).forEach((sp, i) => {
    knownBrand(`/spikes/${i}/brand`, sp.brand);
    if (durationMs(sp.duration) <= 0) fail(`/spikes/${i}/duration`, 'must be above 0');
    if (sp.topic !== undefined) {
      knownTopic(`/spikes/${i}/topic`, sp.topic);
      if (sp.topic === GENERAL_TOPIC)
        fail(`/spikes/${i}/topic`, `a spike needs a topic of its own, not "general"`);
    }
  });
  if (s.late) {
    const min = durationMs(s.late.minDelay);
    const max = durationMs(s.late.maxDelay);
    if (min < 1) fail('/late/minDelay', 'must be above 0');
    if (max < min) fail('/late/maxDelay', 'must not be below minDelay');
    if (max > MAX_LATE_MS) fail('/late/maxDelay', 'must be at most 1d');
  }
  if (s.duplicates?.maxDelay !== undefined && durationMs(s.duplicates.maxDelay) > MAX_DUPLICATE_DELAY_MS)
    fail('/duplicates/maxDelay', `must be at most ${MAX_DUPLICATE_DELAY_MS / 1000}s`);
  try {
    new SyntheticGenerator(resolveScenario(s, Date.now()).config); // anything the generator still refuses
  } catch (err) {
    fail('', (err as Error).message);
  }
  return s;
}

/** A scenario pinned to a start time, with what the generator needs. */
export interface ResolvedScenario {
  name: string;
  description: string;
  /** ms epoch */
  start: number;
  /** ms epoch: start + duration, or undefined when the scenario has no duration. */
  end: number | undefined;
  config: GeneratorConfig;
}

/**
 * Pins a scenario to a start: an ISO `start` as it is, a relative one ("now", "-30m") against `now`;
 * `startOverride` (ms epoch) replaces either. Every offset in the file becomes an ms epoch.
 */
export function resolveScenario(s: Scenario, now: number, startOverride?: number): ResolvedScenario {
  const start = startOverride ?? resolveStart(s.start, now);
  const at = (offset: string): number => start + durationMs(offset);
  const config: GeneratorConfig = {
    seed: s.seed,
    brands: scenarioBrands(s),
    ratePerSec: s.rate,
    faultsFrom: start,
  };
  if (s.mix) config.mix = { ...s.mix };
  if (s.dailyAmplitude !== undefined) config.dailyAmplitude = s.dailyAmplitude;
  if (s.brandlessShare !== undefined) config.brandlessShare = s.brandlessShare;
  if (s.outOfOrderShare !== undefined) config.outOfOrderShare = s.outOfOrderShare;
  if (s.authors !== undefined) config.authors = s.authors;
  if (s.topics) config.topics = s.topics.map(({ description: _d, ...t }) => t);
  if (s.topicPhases)
    config.topicPhases = s.topicPhases.map((p) => ({ from: at(p.at), weights: { ...p.weights } }));
  if (s.campaigns) {
    config.campaigns = s.campaigns.map(({ at: offset, duration, ...c }) => {
      const from = offset === undefined ? undefined : at(offset);
      const until = duration === undefined ? undefined : (from ?? start) + durationMs(duration);
      return {
        ...c,
        arms: c.arms.map((a) => ({ ...a })),
        ...(from !== undefined && { from }),
        ...(until !== undefined && { until }),
      };
    });
  }
  if (s.spikes) {
    config.spikes = s.spikes.map((sp, i) => ({
      brand: sp.brand,
      start: at(sp.at),
      durationMs: durationMs(sp.duration),
      volumeMultiplier: sp.size,
      negativeShare: sp.negativeShare ?? DEFAULT_SPIKE_NEGATIVE_SHARE,
      topic: sp.topic ?? SPIKE_TOPICS[i % SPIKE_TOPICS.length]!,
    }));
  }
  if (s.late) {
    config.late = {
      share: s.late.share,
      minDelayMs: durationMs(s.late.minDelay),
      maxDelayMs: durationMs(s.late.maxDelay),
    };
  }
  if (s.duplicates) {
    config.duplicates = {
      share: s.duplicates.share,
      maxDelayMs: durationMs(s.duplicates.maxDelay ?? DEFAULT_DUPLICATE_DELAY),
    };
  }
  if (s.malformed) config.malformed = { share: s.malformed.share };
  return {
    name: s.name,
    description: s.description,
    start,
    end: s.duration === undefined ? undefined : start + durationMs(s.duration),
    config,
  };
}

/** The brands to track for a scenario: its own brands, then its competitors. */
export function scenarioBrands(s: Scenario): BrandSpec[] {
  const spec = (b: Scenario['brands'][number], kind: 'own' | 'competitor'): BrandSpec => ({
    name: b.name,
    ...(b.aliases && { aliases: [...b.aliases] }),
    ...(b.handles && { handles: [...b.handles] }),
    kind,
  });
  return [...s.brands.map((b) => spec(b, 'own')), ...(s.competitors ?? []).map((b) => spec(b, 'competitor'))];
}

/** "90s" -> 90000. The schema has checked the format. */
export function durationMs(d: string): number {
  const m = DURATION.exec(d);
  if (!m) throw new RangeError(`not a duration: "${d}"`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

function resolveStart(start: string, now: number): number {
  if (start === 'now') return now;
  if (start.startsWith('-')) return now - durationMs(start.slice(1));
  if (start.startsWith('+')) return now + durationMs(start.slice(1));
  return Date.parse(start);
}

/** ISO 8601 date-time (or date) that Date.parse reads. */
export function isIsoTime(v: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) &&
    Number.isFinite(Date.parse(v))
  );
}

// ---------------------------------------------------------------------------------------------
// Ground truth: what was generated, so tests, evals and benchmarks can score a pipeline.

export interface TruthCounts {
  /** Valid posts sent (each id once). */
  social: number;
  /** Of those, posts that mention no tracked brand. */
  brandless: number;
  /** Of those, posts injected late (brand posts only). */
  late: number;
  /** Re-sent copies of posts sent in the range. */
  duplicates: number;
  /** Re-sent copies in the range of posts sent before it (a pipeline that did not see the original takes them as new). */
  duplicates_of_earlier: number;
  /** Malformed lines sent instead of a post, by the reason ingest must give. */
  malformed: Record<MalformedReason, number>;
  /** All social NDJSON lines sent: posts, copies and malformed lines. */
  lines: number;
  by_topic: Record<string, number>;
  by_label: Record<SentimentLabel, number>;
  /** campaign -> arm -> feedback events by kind. */
  feedback: Record<string, Record<string, { impression: number; click: number; conversion: number }>>;
}

export type TruthRecord =
  | {
      type: 'scenario';
      name: string;
      description: string;
      seed: number;
      rate: number;
      start: number;
      end: number | null;
      from: number;
      to: number;
    }
  | {
      type: 'spike';
      brand: string;
      start: number;
      end: number;
      topic: string;
      size: number;
      negative_share: number;
    }
  | {
      type: 'arm';
      campaign: string;
      brand: string;
      arm: string;
      click_rate: number;
      conversion_rate: number;
      impressions_per_sec: number;
      from: number | null;
      until: number | null;
    }
  | {
      type: 'event';
      id: string;
      ts: number;
      topic: string;
      label: SentimentLabel;
      brands: string[];
      spike: boolean;
      late_ms?: number;
    }
  | { type: 'duplicate'; id: string; sent_at: number; original_sent_at: number }
  | { type: 'malformed'; of: string; sent_at: number; reason: MalformedReason; line: string }
  | ({ type: 'counts'; until: number } & TruthCounts);

/**
 * The ground truth of one range [from, to) of a scenario, fed the batches as they are generated (or
 * sent): records per event as they come, and counts at the end. Nothing in it depends on the clock,
 * so the same scenario, start and range give the same records, byte for byte.
 */
export class GroundTruth {
  readonly counts: TruthCounts = {
    social: 0,
    brandless: 0,
    late: 0,
    duplicates: 0,
    duplicates_of_earlier: 0,
    malformed: { invalid_json: 0, schema: 0 },
    lines: 0,
    by_topic: {},
    by_label: { positive: 0, neutral: 0, negative: 0 },
    feedback: {},
  };

  constructor(
    private readonly scenario: ResolvedScenario,
    private readonly generator: SyntheticGenerator,
    readonly from: number,
    readonly to: number,
  ) {
    for (const c of generator.campaigns()) {
      const arms: TruthCounts['feedback'][string] = {};
      for (const a of c.arms) arms[a.id] = { impression: 0, click: 0, conversion: 0 };
      this.counts.feedback[c.id] = arms;
    }
  }

  /** The scenario, the spikes that overlap the range, and every campaign arm with its true rates. */
  head(): TruthRecord[] {
    const s = this.scenario;
    const out: TruthRecord[] = [
      {
        type: 'scenario',
        name: s.name,
        description: s.description,
        seed: s.config.seed,
        rate: s.config.ratePerSec,
        start: s.start,
        end: s.end ?? null,
        from: this.from,
        to: this.to,
      },
    ];
    for (const sp of this.generator.spikes()) {
      if (sp.start >= this.to || sp.end <= this.from) continue;
      const { negativeShare, ...rest } = sp;
      out.push({ type: 'spike', ...rest, negative_share: negativeShare });
    }
    for (const c of this.generator.campaigns()) {
      for (const a of c.arms) {
        out.push({
          type: 'arm',
          campaign: c.id,
          brand: c.brand,
          arm: a.id,
          click_rate: a.clickRate,
          conversion_rate: a.conversionRate,
          impressions_per_sec: c.impressionsPerSec,
          from: c.from ?? null,
          until: c.until ?? null,
        });
      }
    }
    return out;
  }

  /** Counts a batch and returns its records (social events, copies, malformed lines; feedback is only counted). */
  add(batch: readonly GeneratedEvent[]): TruthRecord[] {
    const out: TruthRecord[] = [];
    const c = this.counts;
    for (const g of batch) {
      if (g.kind === 'feedback') {
        const arm = c.feedback[g.event.campaign]?.[g.event.arm];
        if (arm && g.event.kind !== 'reward') arm[g.event.kind]++;
        continue;
      }
      c.lines++;
      if (g.kind === 'malformed') {
        c.malformed[g.truth.reason]++;
        out.push({
          type: 'malformed',
          of: g.truth.of,
          sent_at: g.truth.at,
          reason: g.truth.reason,
          line: g.line,
        });
        continue;
      }
      const t = g.truth;
      if (t.copy) {
        if (t.copy.originalSentAt >= this.from) c.duplicates++;
        else c.duplicates_of_earlier++;
        out.push({
          type: 'duplicate',
          id: g.event.id,
          sent_at: t.copy.sentAt,
          original_sent_at: t.copy.originalSentAt,
        });
        continue;
      }
      c.social++;
      if (t.brands.length === 0) c.brandless++;
      if (t.lateMs !== undefined) c.late++;
      c.by_topic[t.topic] = (c.by_topic[t.topic] ?? 0) + 1;
      c.by_label[t.label]++;
      out.push({
        type: 'event',
        id: g.event.id,
        ts: g.event.ts,
        topic: t.topic,
        label: t.label,
        brands: t.brands,
        spike: t.spike,
        ...(t.lateMs !== undefined && { late_ms: t.lateMs }),
      });
    }
    return out;
  }

  /** The final counts record; `until`: the end of the event time covered (before `to` when a run was stopped). */
  tail(until: number): TruthRecord[] {
    return [{ type: 'counts', until, ...this.counts }];
  }
}

/**
 * Writes truth records to a file: NDJSON (one record per line, streamed) unless the name ends in
 * `.json`, which gets one object with an array per record type (held in memory until close). The
 * file appears whole at close (written to a temporary name, then renamed), so a run that fails
 * halfway leaves no truncated truth behind.
 */
export class TruthFile {
  private readonly json: boolean;
  private readonly tmp: string;
  private readonly grouped = new Map<string, unknown[]>();
  private stream: ReturnType<typeof createWriteStream> | undefined;

  constructor(readonly path: string) {
    this.json = path.toLowerCase().endsWith('.json');
    this.tmp = `${path}.${process.pid}.tmp`;
  }

  async write(records: readonly TruthRecord[]): Promise<void> {
    if (this.json) {
      for (const { type, ...rest } of records) {
        const list = this.grouped.get(type) ?? [];
        list.push(rest);
        this.grouped.set(type, list);
      }
      return;
    }
    if (!this.stream) {
      await mkdir(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.tmp);
    }
    const text = records.map((r) => JSON.stringify(r) + '\n').join('');
    if (text !== '' && !this.stream.write(text)) await once(this.stream, 'drain');
  }

  /** Finishes the file and moves it into place. */
  async close(): Promise<void> {
    if (this.json) {
      const one = (type: string): unknown => this.grouped.get(type)?.[0] ?? null;
      const many = (type: string): unknown[] => this.grouped.get(type) ?? [];
      const doc = {
        scenario: one('scenario'),
        spikes: many('spike'),
        arms: many('arm'),
        events: many('event'),
        duplicates: many('duplicate'),
        malformed: many('malformed'),
        counts: one('counts'),
      };
      await mkdir(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.tmp);
      this.stream.write(JSON.stringify(doc, null, 1) + '\n');
    }
    if (!this.stream) await this.write([]);
    const stream = this.stream!;
    stream.end();
    await once(stream, 'finish');
    await rename(this.tmp, this.path);
  }

  /** Drops the temporary file of a run that failed. */
  async discard(): Promise<void> {
    this.stream?.destroy();
    await rm(this.tmp, { force: true });
  }
}
