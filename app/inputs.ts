import { readFile } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { BrandDirectory } from '../api/index.js';
import type { BrandSpec } from '../engines/text/index.js';
import { DEFAULT_BRANDS, defaultCampaigns, defaultTopicPhases } from '../ingest/brands-default.js';
import {
  loadScenario,
  resolveScenario,
  ScenarioError,
  type GeneratorConfig,
  type Scenario,
  type SpikeSpec,
} from '../ingest/synthetic/index.js';
import { ConfigError, type Config } from './config.js';

const BrandFile = TypeCompiler.Compile(
  Type.Array(
    Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200 }),
        aliases: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }))),
        handles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }))),
        kind: Type.Optional(Type.Union([Type.Literal('own'), Type.Literal('competitor')])),
      },
      { additionalProperties: false },
    ),
    { minItems: 1, maxItems: 1000 },
  ),
);

/** The brands of `--brands`, else `fallback` (a scenario's brands, or the demo brands). */
export async function loadBrands(
  file: string | undefined,
  fallback: BrandSpec[] = DEFAULT_BRANDS,
): Promise<BrandSpec[]> {
  if (file === undefined) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`brands file ${file}: ${(err as Error).message}`);
  }
  if (!BrandFile.Check(parsed)) {
    const e = BrandFile.Errors(parsed).First();
    throw new ConfigError(`brands file ${file}: ${e?.path || '/'} ${e?.message ?? 'is invalid'}`);
  }
  return parsed;
}

/** Parses `brand@start/duration*volume` items; `start` is `+Nm`/`+Ns` after `now` or an ISO time. */
export function parseSpikes(spec: string, brands: BrandDirectory, now: number): SpikeSpec[] {
  const out: SpikeSpec[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(.+)@(\+\d+[sm]|[0-9T:.+\-Z]+)\/(\d+)([sm])\*(\d+(?:\.\d+)?)$/.exec(item);
    if (!m)
      throw new ConfigError(
        `spike "${item}": expected brand@start/duration*volume, like northwind-coffee@+2m/3m*4`,
      );
    const brand = brands.find(m[1]!);
    if (!brand) throw new ConfigError(`spike "${item}": unknown brand "${m[1]}"`);
    const startText = m[2]!;
    const unit = (u: string) => (u === 's' ? 1000 : 60_000);
    const start = startText.startsWith('+')
      ? now + Number(startText.slice(1, -1)) * unit(startText.slice(-1))
      : Date.parse(startText);
    if (!Number.isFinite(start)) throw new ConfigError(`spike "${item}": invalid start "${startText}"`);
    out.push({
      brand: brand.name,
      start,
      durationMs: Number(m[3]) * unit(m[4]!),
      volumeMultiplier: Number(m[5]),
      negativeShare: 0.8,
    });
  }
  return out;
}

/** The `--scenario` file, or undefined without one; a bad file is a ConfigError that names the path in it. */
export async function loadScenarioSetting(file: string | undefined): Promise<Scenario | undefined> {
  if (file === undefined) return undefined;
  try {
    return await loadScenario(file);
  } catch (err) {
    if (err instanceof ScenarioError) throw new ConfigError(err.message, { cause: err });
    throw err;
  }
}

/**
 * What the built-in synthetic source generates: the scenario, started at `now` when its start is
 * relative; without one the `--synthetic-*` flags, whose defaults give what `scenarios/default.json` does.
 */
export function syntheticConfig(
  config: Config,
  scenario: Scenario | undefined,
  specs: BrandSpec[],
  brands: BrandDirectory,
  now: number,
): GeneratorConfig {
  if (scenario) return resolveScenario(scenario, now).config;
  return {
    seed: config.syntheticSeed,
    brands: specs,
    ratePerSec: config.syntheticRate,
    spikes: parseSpikes(config.syntheticSpikes, brands, now),
    campaigns: defaultCampaigns(specs),
    topicPhases: defaultTopicPhases(now),
  };
}
