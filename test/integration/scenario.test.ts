import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { brandId } from '../../api/index.js';
import { run as syntheticCli } from '../../app/cli/synthetic.js';
import type { Running } from '../../app/compose.js';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import {
  GroundTruth,
  loadScenario,
  resolveScenario,
  SyntheticGenerator,
  type TruthCounts,
  type TruthRecord,
} from '../../ingest/synthetic/index.js';
import { validateSocialEvent, type SocialEvent, type WindowAggregate } from '../../stream/index.js';
import { eventually, metricValue, startTestApp } from '../helpers/app.js';
import { directCount, mismatches, totalPosts } from '../helpers/oracle.js';
import { startServicesApp } from '../helpers/services.js';

/**
 * Scenarios against a real embedded Pulsewatch: what the pipeline counts as rejected, late and
 * duplicate, and its per-minute aggregates, must equal the scenario's ground truth.
 */
const MIN = 60_000;
const CRISIS = new URL('../../scenarios/campaign-launch-crisis.json', import.meta.url).pathname;

const dir = await mkdtemp(join(tmpdir(), 'pw-scenario-it-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** Polls a pipeline counter until it reaches `want` (or the timeout), and returns its last value. */
async function settled(read: () => Promise<number>, want: number, timeoutMs = 30_000): Promise<number> {
  let last = await read();
  await eventually(
    async () => ((last = await read()) === want ? true : undefined),
    timeoutMs,
    `a counter to reach ${want}`,
  ).catch(() => undefined);
  return last;
}

/** Compares the pipeline's counters with the truth's. */
async function countersMatch(t: Test, running: Running, c: TruthCounts): Promise<void> {
  const rejected = (reason: string) => metricValue(running, 'pulsewatch_events_rejected_total', { reason });
  t.equal(
    await settled(() => rejected('invalid_json'), c.malformed.invalid_json),
    c.malformed.invalid_json,
    'invalid_json rejects',
  );
  t.equal(await settled(() => rejected('schema'), c.malformed.schema), c.malformed.schema, 'schema rejects');
  t.equal(
    await settled(
      () => metricValue(running, 'pulsewatch_events_rejected_total'),
      c.malformed.invalid_json + c.malformed.schema,
    ),
    c.malformed.invalid_json + c.malformed.schema,
    'no other rejects',
  );
  t.equal(
    await settled(() => metricValue(running, 'pulsewatch_events_duplicate_total'), c.duplicates),
    c.duplicates,
    'duplicates (at ingest and in stage 2)',
  );
  t.equal(
    await settled(() => metricValue(running, 'pulsewatch_events_late_total', { window: '1m' }), c.late),
    c.late,
    'late events',
  );
}

/** The 1-minute windows of every brand in [from, to). */
async function windows(url: string, from: number, to: number): Promise<WindowAggregate[]> {
  const out: WindowAggregate[] = [];
  for (const b of DEFAULT_BRANDS) {
    const res = await fetch(`${url}/v1/brands/${brandId(b.name)}/metrics?window=1m&from=${from}&to=${to}`);
    out.push(...((await res.json()) as { windows: WindowAggregate[] }).windows);
  }
  return out;
}

/**
 * Four minutes of campaign-launch-crisis sent by `pulsewatch ingest synthetic` at --speed max: the
 * pipeline's windows and its reject, duplicate and late counters must equal the truth export.
 */
async function crisisRun(t: Test, running: Running): Promise<void> {
  const start = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
  const minutes = 4;
  const truthFile = join(dir, 'crisis-truth.ndjson');
  const restore = console.error;
  console.error = () => undefined; // the CLI's progress lines
  let code: number;
  try {
    code = await syntheticCli(
      [
        ...['--scenario', CRISIS, '--start', new Date(start).toISOString(), '--minutes', String(minutes)],
        ...['--speed', 'max', '--url', running.url, '--truth', truthFile, '--stats-every-s', '0'],
      ],
      new AbortController().signal,
    );
  } finally {
    console.error = restore;
  }
  t.equal(code, 0, 'the run completes');

  const records = (await readFile(truthFile, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TruthRecord);
  const counts = records[records.length - 1];
  if (counts?.type !== 'counts') throw new Error('the truth ends without its counts');
  t.equal(counts.until, start + minutes * MIN);
  t.ok(
    counts.late > 10 && counts.duplicates > 50 && counts.malformed.schema > 5,
    'every kind of fault occurs',
  );
  t.equal(counts.duplicates_of_earlier, 0);

  // The offline computation: the same events the CLI sent, once each, without the late ones.
  const scenario = resolveScenario(await loadScenario(CRISIS), Date.now(), start);
  const valid: SocialEvent[] = [];
  let truthBrandPosts = 0;
  for (const g of new SyntheticGenerator(scenario.config).generate(start, start + minutes * MIN)) {
    if (g.kind !== 'social' || g.truth.copy || g.truth.lateMs !== undefined) continue;
    const v = validateSocialEvent(g.event);
    if (!v.ok) throw new Error(`invalid generated event: ${v.detail}`);
    valid.push(v.value);
    truthBrandPosts += g.truth.brands.length;
  }
  t.equal(valid.length, counts.social - counts.late, 'the truth lists the same posts');
  const expected = directCount(valid, DEFAULT_BRANDS, new RulesSentiment(), MIN);
  const expectedPosts = totalPosts(expected);
  t.equal(expectedPosts, truthBrandPosts, "the pipeline's brand matcher finds the brands the truth names");

  const got = await eventually(
    async () => {
      const w = await windows(running.url, start - MIN, start + (minutes + 1) * MIN);
      return w.reduce((n, x) => n + x.posts, 0) === expectedPosts ? w : undefined;
    },
    60_000,
    'the pipeline to drain',
  );
  t.same(mismatches(expected, got), [], 'every window matches the direct count exactly');
  await countersMatch(t, running, counts);
}

t.test(
  'campaign-launch-crisis at --speed max into the embedded default: counts and totals equal the truth export',
  async (t) => {
    const running = await startTestApp(['--windows', '1m']);
    t.teardown(() => running.stop());
    await crisisRun(t, running);
  },
);

t.test(
  'campaign-launch-crisis at --speed max into services mode: counts and ClickHouse totals equal the truth export',
  async (t) => {
    const { running } = await startServicesApp(t, ['--windows', '1m']);
    await crisisRun(t, running);
  },
);

t.test(
  'start --scenario: the built-in source sends the faults in process, counted as the truth says',
  async (t) => {
    const start = Math.floor(Date.now() / 1000) * 1000 - 2 * MIN;
    const file = join(dir, 'faulty.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'faulty',
        description: 'late, duplicate and malformed traffic for the in-process source',
        seed: 99,
        rate: 40,
        start: new Date(start).toISOString(),
        brands: [{ name: 'Northwind Coffee', handles: ['northwindcoffee'] }],
        competitors: [{ name: 'Harbor Brew', aliases: ['Harbour Brew'] }],
        late: { share: 0.03, minDelay: '3m', maxDelay: '6m' },
        duplicates: { share: 0.05, maxDelay: '3s' },
        malformed: { share: 0.02 },
      }),
    );
    const running = await startTestApp([
      ...['--synthetic', '--scenario', file, '--synthetic-backfill-minutes', '3', '--windows', '1m'],
    ]);
    t.teardown(() => running.stop());
    const res = await fetch(`${running.url}/v1/brands`);
    t.same(
      ((await res.json()) as { brands: { name: string }[] }).brands.map((b) => b.name),
      ['Northwind Coffee', 'Harbor Brew'],
      "the scenario's brands are the tracked brands",
    );
    const source = running.synthetic!;
    await eventually(
      async () => ((source.position ?? 0) >= start + 2 * MIN ? true : undefined),
      60_000,
      'the backfill',
    );
    await source.stop();
    const until = source.position!;

    // faults start at the scenario's start, inside the backfill: the truth of [start, until) has them all
    const scenario = resolveScenario(await loadScenario(file), Date.now());
    const generator = new SyntheticGenerator(scenario.config);
    const truth = new GroundTruth(scenario, generator, start, until);
    truth.add([...generator.generate(start, until)]);
    t.ok(truth.counts.late > 10 && truth.counts.duplicates > 50, 'late posts and copies were sent');
    await countersMatch(t, running, truth.counts);
  },
);
