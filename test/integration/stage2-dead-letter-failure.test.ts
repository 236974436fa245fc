import t from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { EventIngestor } from '../../ingest/index.js';
import {
  DeadLetters,
  Instrumentation,
  leaseName,
  MemoryBus,
  MemoryCoordinator,
  MemoryStore,
  PipelineError,
  pipelineStreams,
  Stage2Processor,
  type Bus,
  type Store,
} from '../../stream/index.js';
import { eventually } from '../helpers/async.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(
  'a dead letter that fails to publish while the batch writes fails the batch, not the process',
  async (t) => {
    const bus = new MemoryBus();
    for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
    const instrumentation = new Instrumentation();
    const errors: unknown[] = [];
    instrumentation.on('processor.error', (e) => errors.push(e.error));
    const coordinator = new MemoryCoordinator();
    await coordinator.tryAcquire(leaseName('aggregate', 0), 'w', 600_000);
    const ingestor = new EventIngestor({
      bus,
      partitions: 1,
      deadLetters: new DeadLetters(bus, instrumentation),
      instrumentation,
    });
    const now = Date.now();
    const event = (id: string, ts: number) => ({
      id,
      source: 'test',
      ts,
      author: { id: 'a1', followers: 10 },
      text: 'I love Northwind Coffee',
      lang: 'en',
    });
    // the second post is hours late for its window: a dead letter
    await ingestor.submitSocialBatch([
      { value: event('e1', now - 60_000) },
      { value: event('e2', now - 3 * 3_600_000) },
    ]);
    // the bus as NATS is while it reconnects: durable publishes to the dead-letter subjects fail
    const flaky: Bus = Object.create(bus) as Bus;
    flaky.publish = (subject, data, o) =>
      subject.startsWith('dlq.')
        ? sleep(5).then(() => {
            throw new PipelineError('BUS_UNAVAILABLE', `publish to ${subject}: disconnected`);
          })
        : bus.publish(subject, data, o);
    // the write takes longer than the failing publish (a full writer buffer waits for space)
    const inner = new MemoryStore();
    const store: Store = Object.create(inner) as Store;
    store.write = async (table, rows) => {
      await sleep(50);
      return inner.write(table, rows);
    };
    const p = new Stage2Processor({
      bus: flaky,
      store,
      partition: 0,
      settings: { windows: [{ name: '1m', sizeMs: 60_000 }], outOfOrdernessMs: 0, allowedLatenessMs: 0 },
      input: { kind: 'events', matcher: new BrandMatcher(DEFAULT_BRANDS), scorer: new RulesSentiment() },
      deadLetters: new DeadLetters(flaky, instrumentation),
      instrumentation,
      checkpoints: {
        coordinator,
        lease: leaseName('aggregate', 0),
        owner: 'w',
        everyEvents: 1000,
        everyMs: 60_000,
      },
    });
    await p.start();
    await eventually(async () => errors[0], 5_000, 'the failed batch');
    t.match(String(errors[0]), /disconnected/, 'the batch failed with the publish error (and restarts)');
    await p.stop({ checkpoint: false });
  },
);
