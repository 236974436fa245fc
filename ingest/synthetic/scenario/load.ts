import { readFile } from 'node:fs/promises';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { MAX_DUPLICATE_DELAY_MS, MAX_LATE_MS } from '../faults.js';
import { SyntheticGenerator } from '../generator.js';
import { BUILTIN_TOPICS } from '../text/topic-vocabulary.js';
import { GENERAL_TOPIC } from '../topics.js';
import { resolveScenario } from './resolve.js';
import { durationMs, ScenarioSchema, type Scenario } from './schema.js';

const ScenarioCheck = TypeCompiler.Compile(ScenarioSchema);

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
