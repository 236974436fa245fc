import {
  GroundTruth,
  isIsoTime,
  loadScenario,
  resolveScenario,
  ScenarioError,
  SyntheticGenerator,
  TruthFile,
  type ResolvedScenario,
  type TruthCounts,
} from '../../ingest/synthetic/index.js';
import { isUsageError, numberFlag, parseFlags, UsageError, type FlagOptions } from '../flags.js';

export const summary = "export a scenario's ground truth for a range of event time, without sending anything";

/** Flags `ingest synthetic` and `ingest truth` share: the scenario and the range of event time. */
export const SCENARIO_OPTIONS = {
  scenario: { type: 'string' },
  start: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  minutes: { type: 'string' },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

export const SCENARIO_HELP = `  --scenario FILE  scenario JSON file (required; README "Scenarios" documents it)
  --start ISO      pin the scenario's start (default: its "start"; a relative start counts from now,
                   so pass the start a run printed to get the same events and truth again)
  --from ISO       first event time (default: the scenario's start)
  --to ISO         event time to end at (default: the scenario's end, if it has a duration)
  --minutes N      instead of --to: N minutes of event time from --from`;

/** Event time chunk generated at once; bounds memory on long ranges. */
const CHUNK_MS = 60_000;
const PROGRESS_EVERY_MS = 5000;

/** A scenario pinned to a start, its generator, and the range of event time the flags ask for. */
export interface ScenarioRange {
  scenario: ResolvedScenario;
  generator: SyntheticGenerator;
  from: number;
  /** Undefined: no end (the scenario has no duration and no --to or --minutes was given). */
  to: number | undefined;
}

type ScenarioValues = { scenario?: string; start?: string; from?: string; to?: string; minutes?: string };

/** Loads the scenario and the range the flags ask for; bad flags or a bad file throw a UsageError. */
export async function scenarioRange(values: ScenarioValues, now: number): Promise<ScenarioRange> {
  if (!values.scenario) throw new UsageError('--scenario FILE is required');
  let scenario: ResolvedScenario;
  try {
    const file = await loadScenario(values.scenario);
    scenario = resolveScenario(
      file,
      now,
      values.start === undefined ? undefined : time('--start', values.start),
    );
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
  const from = values.from === undefined ? scenario.start : time('--from', values.from);
  if (values.to !== undefined && values.minutes !== undefined)
    throw new UsageError('give --to or --minutes, not both');
  let to = scenario.end;
  if (values.to !== undefined) to = time('--to', values.to);
  const minutes = numberFlag('minutes', values.minutes, { min: 0, exclusive: true });
  if (minutes !== undefined) to = from + Math.round(minutes * 60_000);
  if (to !== undefined && to <= from)
    throw new UsageError(`the range is empty: it ends at ${iso(to)}, not after it starts at ${iso(from)}`);
  return { scenario, generator: new SyntheticGenerator(scenario.config), from, to };
}

/** What a run is about to do, for stderr. */
export function describeRange(r: ScenarioRange): string {
  return (
    `scenario ${r.scenario.name}: start ${iso(r.scenario.start)}, ` +
    `event time ${iso(r.from)} .. ${r.to === undefined ? '(no end)' : iso(r.to)}`
  );
}

/** The truth counts in one line, for stderr. */
export function formatCounts(c: TruthCounts): string {
  return (
    `${c.social} posts (${c.brandless} without a brand, ${c.late} late), ${c.duplicates} duplicates` +
    (c.duplicates_of_earlier ? ` (+${c.duplicates_of_earlier} of posts before the range)` : '') +
    `, ${c.malformed.invalid_json + c.malformed.schema} malformed ` +
    `(invalid_json ${c.malformed.invalid_json}, schema ${c.malformed.schema}), ${c.lines} social lines`
  );
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function time(flag: string, v: string): number {
  if (!isIsoTime(v))
    throw new UsageError(`${flag}: expected an ISO 8601 time like 2025-06-01T12:00:00Z, got "${v}"`);
  return Date.parse(v);
}

const OPTIONS = { ...SCENARIO_OPTIONS, out: { type: 'string' } } satisfies FlagOptions;

const HELP = `usage: pulsewatch ingest truth --scenario FILE [--start ISO] [--from ISO] (--to ISO | --minutes N) --out FILE

Writes what a scenario generates in a range of event time, without sending anything: the spikes,
the campaign arms with their true rates, every social post by id with its topic, true sentiment and
brands, the re-sent copies and malformed lines, and counts. The same scenario, start and range give
the same file, byte for byte, as "pulsewatch ingest synthetic --truth" writes for them.

${SCENARIO_HELP}
  --out FILE       the truth file: NDJSON, one record per line; a name ending in .json gets one
                   JSON object instead (held in memory: use NDJSON for long ranges)

example:
  pulsewatch ingest truth --scenario scenarios/campaign-launch-crisis.json \\
    --start 2025-06-01T12:00:00Z --minutes 180 --out crisis-truth.ndjson`;

/** `pulsewatch ingest truth`: generates a range of a scenario and writes its ground truth. */
export async function run(args: string[], now: number = Date.now()): Promise<number> {
  let range: ScenarioRange;
  let out: string;
  try {
    const { values } = parseFlags(args, OPTIONS);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (!values.out) throw new UsageError('--out FILE is required');
    out = values.out;
    range = await scenarioRange(values, now);
    if (range.to === undefined) throw new UsageError('the scenario has no duration: give --to or --minutes');
  } catch (err) {
    if (!isUsageError(err)) throw err;
    console.error(`${err.message}\n\n${HELP}`);
    return 2;
  }
  const to = range.to;
  console.error(describeRange(range));
  const truth = new GroundTruth(range.scenario, range.generator, range.from, to);
  const file = new TruthFile(out);
  try {
    await file.write(truth.head());
    let shown = Date.now();
    for (let a = range.from; a < to; a += CHUNK_MS) {
      const b = Math.min(a + CHUNK_MS, to);
      await file.write(truth.add([...range.generator.generate(a, b)]));
      if (Date.now() - shown >= PROGRESS_EVERY_MS) {
        shown = Date.now();
        console.error(`truth: up to ${iso(b)}: ${formatCounts(truth.counts)}`);
      }
    }
    await file.write(truth.tail(to));
    await file.close();
  } catch (err) {
    await file.discard();
    console.error(`truth: could not write ${out}: ${(err as Error).message}`);
    return 1;
  }
  console.error(`truth: ${formatCounts(truth.counts)} -> ${out}`);
  return 0;
}
