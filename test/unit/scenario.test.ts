import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BrandDirectory } from '../../api/index.js';
import { loadConfig } from '../../app/config.js';
import { syntheticConfig } from '../../app/inputs.js';
import { run as truthCli } from '../../app/cli/truth.js';
import { DEFAULT_BRANDS, defaultCampaigns } from '../../ingest/brands-default.js';
import {
  GroundTruth,
  LATE_WARMUP_MS,
  loadScenario,
  MAX_OUT_OF_ORDER_MS,
  parseScenario,
  resolveScenario,
  ScenarioError,
  scenarioBrands,
  SyntheticGenerator,
  TruthFile,
  type GeneratedEvent,
  type Scenario,
  type TruthRecord,
} from '../../ingest/synthetic/index.js';
import { checkSocialEvent } from '../../stream/model/events.js';

const SCENARIOS = new URL('../../scenarios/', import.meta.url).pathname;
const START = Date.UTC(2025, 5, 1, 12); // noon UTC
const MIN = 60_000;

const dir = await mkdtemp(join(tmpdir(), 'pw-scenario-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** A small valid scenario to break in one place at a time. */
function base(): Scenario {
  return {
    name: 'unit',
    description: 'unit test',
    seed: 1,
    rate: 20,
    start: '2025-06-01T12:00:00Z',
    brands: [{ name: 'Acme', aliases: ['Acme Co'], handles: ['acme'] }],
    competitors: [{ name: 'Zenith', handles: ['zenith'] }],
    topics: [
      {
        name: 'rocket',
        brands: ['Acme'],
        hashtags: ['rocket'],
        positive: ['the {1} rocket skates are great'],
        neutral: ['saw the {1} rocket skates'],
        negative: ['the {1} rocket skates exploded'],
      },
    ],
    topicPhases: [
      { at: '0m', weights: { general: 1 } },
      { at: '10m', weights: { rocket: 1, outage: 1 } },
    ],
    campaigns: [
      {
        id: 'c1',
        brand: 'Acme',
        impressionsPerSec: 5,
        arms: [{ id: 'a', clickRate: 0.1, conversionRate: 0.5 }],
      },
    ],
    spikes: [{ brand: 'Acme', at: '5m', duration: '2m', size: 3, topic: 'rocket' }],
    late: { share: 0.01, minDelay: '5m', maxDelay: '10m' },
    duplicates: { share: 0.02, maxDelay: '3s' },
    malformed: { share: 0.01 },
  };
}

function lines(events: Iterable<GeneratedEvent>): string {
  let out = '';
  for (const g of events) out += (g.kind === 'malformed' ? g.line : JSON.stringify(g.event)) + '\n';
  return out;
}

t.test('both shipped scenario files load and validate', async (t) => {
  for (const name of ['default', 'campaign-launch-crisis']) {
    const s = await loadScenario(join(SCENARIOS, `${name}.json`));
    t.equal(s.name, name);
    const r = resolveScenario(s, START);
    t.ok(
      [...new SyntheticGenerator(r.config).generate(START, START + 10_000)].length > 100,
      `${name} generates`,
    );
  }
  const crisis = resolveScenario(await loadScenario(join(SCENARIOS, 'campaign-launch-crisis.json')), START);
  t.equal(crisis.start, START - 55 * MIN, 'a relative start counts from now');
  t.equal(crisis.end, crisis.start + 3 * 3_600_000);
  t.match(crisis.config.spikes, [
    { brand: 'Northwind Coffee', topic: 'leaking-cans', start: crisis.start + 60 * MIN },
  ]);
  t.ok((crisis.config.campaigns?.[0]?.arms.length ?? 0) >= 3, 'a campaign with several arms');
});

t.test('scenarios/default.json is what the default flags generate', async (t) => {
  const s = await loadScenario(join(SCENARIOS, 'default.json'));
  t.same(scenarioBrands(s), DEFAULT_BRANDS);
  const fromFile = resolveScenario(s, START).config;
  t.same(fromFile.campaigns, defaultCampaigns(DEFAULT_BRANDS));
  const flags = syntheticConfig(
    loadConfig([], {}),
    undefined,
    DEFAULT_BRANDS,
    new BrandDirectory(DEFAULT_BRANDS),
    START,
  );
  const range = [START - MIN, START + 6 * MIN] as const; // covers the spike at +2m
  t.equal(
    lines(new SyntheticGenerator(fromFile).generate(...range)),
    lines(new SyntheticGenerator(flags).generate(...range)),
  );
});

t.test('a bad scenario is a ScenarioError that names the path', async (t) => {
  const cases: [string, (s: Scenario) => void, string, RegExp][] = [
    ['missing field', (s) => Reflect.deleteProperty(s, 'rate'), '/rate', /required property/],
    ['unknown field', (s) => Object.assign(s, { colour: 'red' }), '/colour', /Unexpected property/],
    ['bad name', (s) => (s.name = 'Has Spaces'), '/name', /lower-case letters/],
    ['bad duration', (s) => (s.spikes![0]!.duration = '2 minutes'), '/spikes/0/duration', /a duration like/],
    ['bad start', (s) => (s.start = 'yesterday'), '/start', /"now", a time relative to now/],
    ['share above 1', (s) => (s.late!.share = 1.5), '/late/share', /less or equal to 1/],
    ['negative rate', (s) => (s.rate = -1), '/rate', /greater or equal to 0/],
    ['no brand', (s) => (s.brands = []), '/brands', /Expected array length to be greater or equal to 1/],
    ['brand twice', (s) => (s.competitors![0]!.name = 'Acme'), '/competitors/0/name', /listed twice/],
    ['spike brand', (s) => (s.spikes![0]!.brand = 'Nope'), '/spikes/0/brand', /unknown brand "Nope"/],
    ['spike topic', (s) => (s.spikes![0]!.topic = 'nope'), '/spikes/0/topic', /unknown topic "nope"/],
    ['spike general', (s) => (s.spikes![0]!.topic = 'general'), '/spikes/0/topic', /not "general"/],
    [
      'phase topic',
      (s) => (s.topicPhases![1]!.weights.nope = 1),
      '/topicPhases/1/weights/nope',
      /unknown topic/,
    ],
    ['phase order', (s) => (s.topicPhases![1]!.at = '0m'), '/topicPhases/1/at', /ascending/],
    [
      'zero weights',
      (s) => (s.topicPhases![0]!.weights = { general: 0 }),
      '/topicPhases/0/weights',
      /above 0/,
    ],
    [
      'template',
      (s) => (s.topics![0]!.positive[0] = 'no brand here'),
      '/topics/0/positive/0',
      /names the brand as \{1\}/,
    ],
    ['topic taken', (s) => (s.topics![0]!.name = 'outage'), '/topics/0/name', /already exists/],
    ['topic brand', (s) => (s.topics![0]!.brands = ['Nope']), '/topics/0/brands/0', /unknown brand/],
    ['mix', (s) => (s.mix = { positive: 0.5, neutral: 0.5, negative: 0.5 }), '/mix', /must be 1/],
    ['late order', (s) => (s.late!.maxDelay = '1m'), '/late/maxDelay', /not be below minDelay/],
    ['copy delay', (s) => (s.duplicates!.maxDelay = '2m'), '/duplicates/maxDelay', /at most 60s/],
    ['campaign brand', (s) => (s.campaigns![0]!.brand = 'Nope'), '/campaigns/0/brand', /unknown brand/],
    [
      'arm twice',
      (s) => s.campaigns![0]!.arms.push({ id: 'a', clickRate: 0, conversionRate: 0 }),
      '/campaigns/0/arms/1/id',
      /listed twice/,
    ],
  ];
  t.doesNotThrow(() => parseScenario(base()), 'the base scenario is valid');
  for (const [what, mutate, path, message] of cases) {
    const s = base();
    mutate(s);
    try {
      parseScenario(s, 'x.json');
      t.fail(`${what}: accepted`);
    } catch (err) {
      t.ok(err instanceof ScenarioError, what);
      t.equal((err as ScenarioError).path, path, `${what}: path`);
      t.match((err as Error).message, message, `${what}: message`);
      t.match((err as Error).message, `scenario x.json: ${path}: `, `${what}: names the file and path`);
    }
  }
  const notJson = join(dir, 'bad.json');
  await writeFile(notJson, '{"name": ');
  await t.rejects(loadScenario(notJson), { name: 'ScenarioError', message: /bad\.json: \/: not valid JSON/ });
  await t.rejects(loadScenario(join(dir, 'missing.json')), { message: /cannot read it/ });
});

t.test('same scenario and seed: byte-identical output and truth; another seed: other output', async (t) => {
  const file = join(dir, 'det.json');
  await writeFile(file, JSON.stringify(base()));
  const args = (out: string) => ['--scenario', file, '--minutes', '15', '--out', out];
  const restore = console.error;
  console.error = () => undefined; // the CLI's progress lines
  t.teardown(() => (console.error = restore));
  for (const out of ['a.ndjson', 'b.ndjson', 'c.json']) t.equal(await truthCli(args(join(dir, out))), 0);
  console.error = restore;
  const a = await readFile(join(dir, 'a.ndjson'));
  t.ok(a.length > 100_000);
  t.ok(a.equals(await readFile(join(dir, 'b.ndjson'))), 'truth files are identical');
  const json = JSON.parse(await readFile(join(dir, 'c.json'), 'utf8')) as Record<string, unknown[]>;
  const ndjson = a
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TruthRecord);
  t.equal(json.events?.length, ndjson.filter((r) => r.type === 'event').length, 'JSON has the same events');

  const s = parseScenario(base());
  const gen = (seed: number) =>
    lines(
      new SyntheticGenerator(resolveScenario({ ...s, seed }, 0).config).generate(START, START + 15 * MIN),
    );
  t.equal(gen(1), gen(1));
  t.not(gen(1), gen(2));
});

/** When a post was sent, from its id `syn-<seed>-<slot>-<k>` (its ts may be earlier). */
function sentAt(id: string): number {
  return Number(id.split('-')[2]) * 100;
}

/** Generates a range and its truth, records included. */
function truthOf(s: Scenario, from: number, to: number) {
  const r = resolveScenario(s, 0);
  const generator = new SyntheticGenerator(r.config);
  const truth = new GroundTruth(r, generator, from, to);
  const events = [...generator.generate(from, to)];
  const records = [...truth.head(), ...truth.add(events), ...truth.tail(to)];
  return { events, truth, records };
}

t.test('late, duplicate and malformed shares: exact counts in the truth, shares within bounds', async (t) => {
  const s = parseScenario({
    ...base(),
    rate: 100,
    spikes: [],
    late: { share: 0.03, minDelay: '5m', maxDelay: '10m' },
    duplicates: { share: 0.05, maxDelay: '5s' },
    malformed: { share: 0.02 },
  });
  const from = START;
  const to = START + 20 * MIN;
  const { events, truth } = truthOf(s, from, to);
  const c = truth.counts;
  t.ok(c.social > 100_000, `${c.social} posts`);

  // counted independently from what was generated
  const ids = new Map<string, number>();
  let late = 0;
  let brandPostsAfterWarmup = 0;
  const malformed = { invalid_json: 0, schema: 0 };
  let lineCount = 0;
  for (const g of events) {
    if (g.kind === 'feedback') continue;
    lineCount++;
    if (g.kind === 'malformed') {
      let reason: string;
      try {
        const v = checkSocialEvent(JSON.parse(g.line));
        reason = v.ok ? 'valid' : v.reason;
      } catch {
        reason = 'invalid_json';
      }
      if (reason === 'invalid_json' || reason === 'schema') malformed[reason]++;
      else t.fail(`a malformed line is ${reason}`);
      continue;
    }
    ids.set(g.event.id, (ids.get(g.event.id) ?? 0) + 1);
    if (ids.get(g.event.id)! > 1) continue;
    const sent = sentAt(g.event.id);
    if (sent - g.event.ts > MAX_OUT_OF_ORDER_MS) late++;
    if (g.truth.brands.length > 0 && sent >= from + LATE_WARMUP_MS) brandPostsAfterWarmup++;
  }
  const copies = [...ids.values()].reduce((n, k) => n + k - 1, 0);
  t.equal(c.late, late, 'late');
  t.equal(c.duplicates, copies, 'duplicates');
  t.equal(c.duplicates_of_earlier, 0, 'no copies of posts before the scenario start');
  t.same(c.malformed, malformed, 'malformed by reason');
  t.equal(c.lines, lineCount, 'lines');
  t.equal(c.social, ids.size, 'posts');

  // each share is a binomial draw: within 5 standard deviations of what was asked
  const within = (k: number, n: number, p: number, what: string) => {
    const sd = Math.sqrt(n * p * (1 - p));
    t.ok(
      Math.abs(k - n * p) < 5 * sd,
      `${what}: ${k} of ${n} (expected ${(n * p).toFixed(0)} ± ${sd.toFixed(0)})`,
    );
  };
  const posts = c.social + c.malformed.invalid_json + c.malformed.schema;
  within(c.malformed.invalid_json + c.malformed.schema, posts, 0.02, 'malformed');
  within(c.duplicates, c.social, 0.05, 'duplicates');
  within(c.late, brandPostsAfterWarmup, 0.03 * (1 - 0.02), 'late (of brand posts not made malformed)');
});

t.test('topic shares follow the phases', async (t) => {
  const s = parseScenario({
    ...base(),
    rate: 60,
    spikes: [],
    topicPhases: [
      { at: '0m', weights: { general: 3, 'seasonal-menu': 1 } },
      { at: '10m', weights: { general: 1, rocket: 2, loyalty: 1 } },
    ],
  });
  const { records } = truthOf(s, START, START + 20 * MIN);
  const events = records.flatMap((r) => (r.type === 'event' && r.brands.length > 0 && !r.spike ? [r] : []));
  const phase = (acme: boolean, first: boolean) =>
    events.filter((e) => (e.brands[0] === 'Acme') === acme && sentAt(e.id) < START + 10 * MIN === first);
  const share = (xs: typeof events, topic: string) => xs.filter((e) => e.topic === topic).length / xs.length;
  for (const acme of [true, false]) {
    t.ok(
      Math.abs(share(phase(acme, true), 'seasonal-menu') - 0.25) < 0.02,
      'phase 1: a quarter seasonal menu',
    );
    t.equal(share(phase(acme, true), 'rocket'), 0, 'phase 1: no rocket');
  }
  t.ok(Math.abs(share(phase(true, false), 'rocket') - 0.5) < 0.02, 'phase 2, Acme: half rocket');
  t.ok(Math.abs(share(phase(true, false), 'loyalty') - 0.25) < 0.02, 'phase 2, Acme: a quarter loyalty');
  t.equal(share(phase(false, false), 'rocket'), 0, 'phase 2, Zenith: rocket is only about Acme');
  t.ok(
    Math.abs(share(phase(false, false), 'loyalty') - 0.5) < 0.03,
    'phase 2, Zenith: its share goes to the rest',
  );
});

t.test('the truth export matches what was generated', async (t) => {
  const s = parseScenario(base());
  // from 6 minutes in: the spike (5m..7m) overlaps, and some copies are of posts before the range
  const from = START + 6 * MIN;
  const to = START + 12 * MIN;
  const { events, records, truth } = truthOf(s, from, to);
  t.match(records[0], { type: 'scenario', name: 'unit', seed: 1, start: START, from, to });
  t.same(
    records.filter((r) => r.type === 'spike'),
    [
      {
        type: 'spike',
        brand: 'Acme',
        start: START + 5 * MIN,
        end: START + 7 * MIN,
        topic: 'rocket',
        size: 3,
        negative_share: 0.8,
      },
    ],
  );
  t.same(
    records.filter((r) => r.type === 'arm'),
    [
      {
        type: 'arm',
        campaign: 'c1',
        brand: 'Acme',
        arm: 'a',
        click_rate: 0.1,
        conversion_rate: 0.5,
        impressions_per_sec: 5,
        from: null,
        until: null,
      },
    ],
  );
  const byId = new Map(records.flatMap((r) => (r.type === 'event' ? [[r.id, r] as const] : [])));
  let checked = 0;
  for (const g of events) {
    if (g.kind !== 'social' || g.truth.copy) continue;
    const r = byId.get(g.event.id);
    if (
      !r ||
      r.ts !== g.event.ts ||
      r.topic !== g.truth.topic ||
      r.label !== g.truth.label ||
      JSON.stringify(r.brands) !== JSON.stringify(g.truth.brands) ||
      r.spike !== g.truth.spike
    )
      t.fail(`event ${g.event.id} does not match its truth record`);
    checked++;
  }
  t.equal(checked, byId.size, 'one record per post');
  t.equal(truth.counts.social, byId.size);
  const duplicates = records.filter((r) => r.type === 'duplicate');
  t.equal(duplicates.length, truth.counts.duplicates + truth.counts.duplicates_of_earlier);
  t.ok(truth.counts.duplicates_of_earlier > 0, 'copies of posts sent before the range are counted apart');
  t.ok(
    duplicates.every((d) => d.type === 'duplicate' && d.sent_at >= from && d.sent_at < to),
    'copies sent in the range',
  );
  const spikeTopic = [...byId.values()].filter((r) => r.topic === 'rocket' && sentAt(r.id) < START + 7 * MIN);
  t.ok(spikeTopic.length > 0 && spikeTopic.every((r) => r.spike), 'spike posts carry the spike topic');
  const fb = truth.counts.feedback.c1?.a;
  t.ok(fb && fb.impression > 1000 && fb.click > 0 && fb.conversion > 0, 'arm feedback counted');
  t.match(records[records.length - 1], { type: 'counts', until: to });
});

t.test('a truth file appears only when complete', async (t) => {
  const path = join(dir, 'partial.ndjson');
  const f = new TruthFile(path);
  await f.write([{ type: 'duplicate', id: 'x', sent_at: 1, original_sent_at: 0 }]);
  await t.rejects(readFile(path), { code: 'ENOENT' }, 'nothing under the name while writing');
  await f.discard();
  await t.rejects(readFile(path), { code: 'ENOENT' }, 'nothing after discard');
});

t.test('ingest truth refuses bad flags with usage (exit 2)', async (t) => {
  const file = join(dir, 'flags.json');
  await writeFile(file, JSON.stringify(base()));
  const errors: string[] = [];
  const restore = console.error;
  console.error = (m: string) => errors.push(m);
  t.teardown(() => (console.error = restore));
  const out = join(dir, 'never.ndjson');
  t.equal(await truthCli(['--scenario', file, '--out', out]), 2);
  t.match(errors.pop(), /no duration: give --to or --minutes/);
  t.equal(await truthCli(['--scenario', file, '--minutes', '5']), 2);
  t.match(errors.pop(), /--out FILE is required/);
  t.equal(await truthCli(['--scenario', file, '--from', 'noon', '--minutes', '5', '--out', out]), 2);
  t.match(errors.pop(), /--from: expected an ISO 8601 time/);
  t.equal(await truthCli(['--scenario', join(dir, 'nope.json'), '--minutes', '5', '--out', out]), 2);
  t.match(errors.pop(), /nope\.json: \/: cannot read it/);
  t.equal(await truthCli(['--scenario', file, '--minutes', '5', '--bogus', '--out', out]), 2);
  t.equal(await truthCli(['--scenario', file, '--to', '2025-06-01T11:00:00Z', '--out', out]), 2);
  t.match(errors.pop(), /the range is empty/);
  await t.rejects(readFile(out), { code: 'ENOENT' });
});
