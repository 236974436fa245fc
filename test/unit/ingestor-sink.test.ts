import t from 'tap';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { EventIngestor } from '../../ingest/index.js';
import { IngestorSink } from '../../ingest/sink.js';
import { submitGenerated, SyntheticGenerator, type GeneratedEvent } from '../../ingest/synthetic/index.js';
import {
  DeadLetters,
  Instrumentation,
  MemoryBus,
  pipelineStreams,
  type PipelineEvents,
} from '../../stream/index.js';

const START = Date.UTC(2025, 5, 1, 12);

async function setup() {
  const bus = new MemoryBus();
  /** Publishes to refuse before the bus takes them again (the bus down: ingest answers 503). */
  let refuse = 0;
  const publish = bus.publish.bind(bus);
  bus.publish = async (...args) => {
    if (refuse > 0 && !args[0].startsWith('dlq.')) {
      refuse--;
      throw new Error('no responders');
    }
    return publish(...args);
  };
  for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
  const instrumentation = new Instrumentation();
  const accepted: PipelineEvents['event.accepted'][] = [];
  const rejected: PipelineEvents['event.rejected'][] = [];
  instrumentation.on('event.accepted', (e) => accepted.push(e));
  instrumentation.on('event.rejected', (e) => rejected.push(e));
  const ingestor = new EventIngestor({
    bus,
    partitions: 2,
    deadLetters: new DeadLetters(bus, instrumentation),
    instrumentation,
  });
  return { sink: new IngestorSink(ingestor), accepted, rejected, refuse: (n: number) => (refuse = n) };
}

const post = (id: string) => ({
  id,
  source: 'test',
  ts: START,
  author: { id: 'a', followers: 1 },
  text: 'hello',
  lang: 'en',
});

t.test('raw lines are decoded and refused as HTTP ingest refuses them, errors by line', async (t) => {
  const { sink, rejected } = await setup();
  const lines = [
    JSON.stringify(post('1')),
    '{"id": "2", "sou',
    '',
    JSON.stringify({ ...post('3'), ts: 'yesterday' }),
    JSON.stringify(post('4')),
  ];
  const result = await sink.submitRaw(lines);
  t.same(
    { accepted: result.accepted, rejected: result.rejected },
    { accepted: 2, rejected: 2 },
    'the blank line is skipped',
  );
  t.same(
    result.errors.map((e) => [e.index, e.reason]),
    [
      [1, 'invalid_json'],
      [3, 'schema'],
    ],
  );
  t.same(rejected.map((r) => r.reason).sort(), ['invalid_json', 'schema'], 'both are counted as rejected');
  await t.rejects(sink.submitRaw(['{}\n{}']), RangeError, 'a line with a line break is refused');
});

t.test('decoded events keep their index in the result, feedback included', async (t) => {
  const { sink } = await setup();
  const social = await sink.submit([post('1'), { id: 'x' }, post('1')]);
  t.same(
    { accepted: social.accepted, duplicates: social.duplicates, rejected: social.rejected },
    { accepted: 2, duplicates: 1, rejected: 1 },
  );
  t.same(
    social.errors.map((e) => e.index),
    [1],
  );
  const feedback = await sink.submit(
    [
      { campaign: 'c', arm: 'a', kind: 'click', value: 1, ts: START },
      { campaign: 'c', kind: 'click' },
    ],
    'feedback',
  );
  t.same([feedback.accepted, feedback.rejected, feedback.errors[0]?.index], [1, 1, 1]);
});

t.test(
  'a generated batch reaches ingest: posts and feedback accepted, malformed lines refused',
  async (t) => {
    const { sink, accepted, rejected } = await setup();
    const generator = new SyntheticGenerator({
      seed: 5,
      brands: DEFAULT_BRANDS,
      ratePerSec: 50,
      campaigns: [
        {
          id: 'c1',
          brand: DEFAULT_BRANDS[0]!.name,
          impressionsPerSec: 50,
          arms: [{ id: 'a', clickRate: 0.5, conversionRate: 0.5 }],
        },
      ],
      malformed: { share: 0.2 },
    });
    const batch: GeneratedEvent[] = [...generator.generate(START, START + 10_000)];
    const count = (kind: GeneratedEvent['kind']) => batch.filter((g) => g.kind === kind).length;
    t.ok(count('malformed') > 0 && count('feedback') > 0, 'the batch holds every kind');

    await submitGenerated(sink, batch);

    t.equal(accepted.filter((a) => a.kind === 'social').length, count('social'));
    t.equal(accepted.filter((a) => a.kind === 'feedback').length, count('feedback'));
    const reasons = batch.flatMap((g) => (g.kind === 'malformed' ? [g.truth.reason] : []));
    t.same(rejected.map((r) => r.reason).sort(), reasons.sort(), 'each malformed line with its own reason');
  },
);

t.test('a batch the bus refused and the client sends again counts its bad lines once', async (t) => {
  const { sink, rejected, refuse } = await setup();
  const lines = [JSON.stringify(post('r1')), '{"broken', JSON.stringify({ ...post('r2'), ts: 'yesterday' })];
  refuse(1);
  await t.rejects(sink.submitRaw(lines), /no responders/, 'the bus refused the batch');
  t.same(rejected, [], 'nothing refused yet: the client sends it all again');
  const result = await sink.submitRaw(lines);
  t.same({ accepted: result.accepted, rejected: result.rejected }, { accepted: 1, rejected: 2 });
  t.same(
    rejected.map((r) => r.reason),
    ['schema', 'invalid_json'],
    'each bad line counted once',
  );
});
