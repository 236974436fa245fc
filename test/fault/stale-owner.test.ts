import t from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { EventIngestor } from '../../ingest/index.js';
import {
  DeadLetters,
  enrichEvent,
  Instrumentation,
  leaseName,
  MemoryCoordinator,
  MemoryStore,
  pipelineStreams,
  Stage2Processor,
} from '../../stream/index.js';
import { NatsBus } from '../../stream/bus/nats/nats-bus.js';
import { selectOperators } from '../../stream/operators/registry.js';
import { eventually } from '../helpers/async.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { seededEvents } from '../helpers/oracle.js';

const MIN = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a worker still reading after its lease moved on takes nothing from the new owner', async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.close());
  const connect = async () => {
    const bus = await NatsBus.connect({ servers: server.url });
    t.teardown(() => bus.close().catch(() => undefined));
    return bus;
  };
  const [busA, busB, busIn] = [await connect(), await connect(), await connect()];
  for (const s of pipelineStreams({ retention: 'limits' })) await busIn.ensureStream(s);
  const instrumentation = new Instrumentation();
  let clock = 1_000_000;
  const coordinator = new MemoryCoordinator(() => clock);
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  const scorer = new RulesSentiment();
  const to = Math.floor(Date.now() / MIN) * MIN - MIN;
  const events = seededEvents(3, DEFAULT_BRANDS, 20, to - 10 * MIN, to);
  const ingestor = new EventIngestor({
    bus: busIn,
    partitions: 1,
    deadLetters: new DeadLetters(busIn, instrumentation),
    instrumentation,
    maxEventsPerMessage: 20,
  });
  const lease = leaseName('aggregate', 0);
  const processor = (bus: NatsBus, store: MemoryStore, owner: string) =>
    new Stage2Processor({
      bus,
      store,
      partition: 0,
      settings: {
        windows: [{ name: '1h', sizeMs: 60 * MIN }],
        outOfOrdernessMs: 5_000,
        allowedLatenessMs: 3_600_000,
      },
      operators: selectOperators(['windows']),
      input: { kind: 'events', matcher, scorer },
      deadLetters: new DeadLetters(bus, instrumentation),
      instrumentation,
      batchSize: 10,
      checkpoints: { coordinator, lease, owner, everyEvents: 100, everyMs: 600_000 },
    });
  const storeA = new MemoryStore();
  const storeB = new MemoryStore();
  await coordinator.tryAcquire(lease, 'A', 10_000);
  const quarter = Math.floor(events.length / 4);
  await ingestor.submitSocialBatch(events.slice(0, quarter).map((value) => ({ value })));
  // the consumer earlier releases shared between the partition's readers
  const legacy = await busIn.consumer({ stream: 'SOCIAL_EVENTS', durable: 'aggregate-0', ackPolicy: 'none' });
  await legacy.stop();
  const a = processor(busA, storeA, 'A');
  await a.start();
  await t.rejects(legacy.info(), /consumer not found/, "an earlier release's shared consumer is removed");
  await eventually(async () => (a.checkpointSeq > 0 ? true : undefined), 10_000, 'A checkpoints');
  // A stalls (a pause, a lost Redis connection): its lease expires and B takes the partition
  clock += 11_000;
  t.ok(await coordinator.tryAcquire(lease, 'B', 10_000), 'B acquires the lease');
  const b = processor(busB, storeB, 'B');
  await b.start();
  // A has not noticed yet and goes on reading while more posts come
  for (let i = quarter; i < events.length; i += 50)
    await ingestor.submitSocialBatch(events.slice(i, i + 50).map((value) => ({ value })));
  await sleep(3_000);
  await a.stop({ checkpoint: false });
  const expected = events.reduce((n, e) => n + enrichEvent(e, matcher, scorer).brands.length, 0);
  const total = async () => {
    let n = 0;
    for (const brand of DEFAULT_BRANDS)
      for (const w of await storeB.query({ brand: brand.name, window: '1h', from: 0, to: to + MIN }))
        n += w.posts;
    return n;
  };
  await eventually(async () => ((await total()) >= expected ? true : undefined), 15_000, 'B reads all').catch(
    () => undefined,
  );
  t.equal(await total(), expected, "the lease holder's windows hold every post");
  await b.stop({ checkpoint: true });
});
