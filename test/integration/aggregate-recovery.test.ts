import t from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { EventIngestor } from '../../ingest/index.js';
import {
  Stage2Processor,
  DeadLetters,
  Instrumentation,
  leaseName,
  MemoryBus,
  MemoryCoordinator,
  MemoryStore,
  pipelineStreams,
  WINDOW_TABLE,
  type TableSpec,
  type Store,
  type WindowAggregate,
  type WindowRow,
} from '../../stream/index.js';
import { eventually } from '../helpers/app.js';
import { directCount, mismatches, seededEvents, totalPosts } from '../helpers/oracle.js';

const MIN = 60_000;
const PARTITIONS = 2;

/** A store whose upserts fail at the armed call numbers, as a sink outage would. */
class FlakyStore implements Store {
  readonly kind = 'flaky';
  calls = 0;
  failed = 0;
  private readonly failOn = new Set<number>();
  constructor(private readonly inner: MemoryStore) {}
  /** Fails the calls at these offsets from now. */
  arm(offsets: number[]): void {
    for (const o of offsets) this.failOn.add(this.calls + o);
  }
  async upsert(rows: WindowRow[]): Promise<void> {
    if (this.failOn.has(++this.calls)) {
      this.failed++;
      throw new Error('sink unavailable');
    }
    return this.inner.upsert(rows);
  }
  /** Window rows go through upsert (and its failures); other tables straight to the inner store. */
  async write<R extends { version: number }>(table: TableSpec<R>, rows: readonly R[]): Promise<void> {
    if (table.name === WINDOW_TABLE.name) return this.upsert(rows as unknown as WindowRow[]);
    return this.inner.write(table, rows);
  }
  read: Store['read'] = (table, where) => this.inner.read(table, where);
  flush = () => this.inner.flush();
  writeMark = () => this.inner.writeMark();
  query = (q: Parameters<Store['query']>[0]) => this.inner.query(q);
  close = () => this.inner.close();
}

t.test(
  'stage 2 restarts from its checkpoint after a crash or a failed batch, and totals stay exact',
  async (t) => {
    const bus = new MemoryBus();
    // Limits retention: the log keeps what was read, so a restarted reader can replay it.
    for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
    const instrumentation = new Instrumentation();
    const deadLetters = new DeadLetters(bus, instrumentation);
    const coordinator = new MemoryCoordinator();
    const memory = new MemoryStore();
    const store = new FlakyStore(memory);
    const matcher = new BrandMatcher(DEFAULT_BRANDS);
    const scorer = new RulesSentiment();

    const to = Math.floor(Date.now() / MIN) * MIN - MIN;
    const events = seededEvents(11, DEFAULT_BRANDS, 40, to - 10 * MIN, to);
    const ingestor = new EventIngestor({ bus, partitions: PARTITIONS, deadLetters, instrumentation });
    for (const e of events) await ingestor.publishSocial(e);

    const checkpoints: number[] = [];
    instrumentation.on('checkpoint.saved', (c) => checkpoints.push(c.seq));
    const processor = (p: number) =>
      new Stage2Processor({
        bus,
        store,
        partition: p,
        settings: {
          windows: [
            { name: '1m', sizeMs: MIN },
            { name: '1h', sizeMs: 60 * MIN },
          ],
          outOfOrdernessMs: 5000,
          allowedLatenessMs: 3_600_000,
        },
        input: { kind: 'events', matcher, scorer },
        deadLetters,
        instrumentation,
        batchSize: 200,
        checkpoints: {
          coordinator,
          lease: leaseName('aggregate', p),
          owner: 'w1',
          everyEvents: 1000,
          everyMs: 60_000,
        },
      });
    for (let p = 0; p < PARTITIONS; p++)
      await coordinator.tryAcquire(leaseName('aggregate', p), 'w1', 600_000);

    // Partition 0 crashes (no final checkpoint) mid-stream, right after its third checkpoint, and a
    // new processor takes over from that checkpoint.
    const p1 = processor(1);
    let p0 = processor(0);
    let crashed: Promise<void> | undefined;
    let resumedFrom = 0;
    let restoredFrom = -1;
    const off = instrumentation.on('checkpoint.saved', (c) => {
      if (c.partition !== 0 || checkpoints.filter((s) => s > 0).length < 3 || crashed) return;
      resumedFrom = c.seq;
      const old = p0;
      crashed = old.stop({ checkpoint: false }).then(async () => {
        p0 = processor(0);
        await p0.start();
        restoredFrom = p0.restoredFrom;
        // Then the sink fails: three batches in a row, later a fourth. Each time the processor that
        // wrote the batch replays from its last checkpoint.
        store.arm([3, 4, 5, 25]);
      });
    });
    await p0.start();
    await p1.start();
    await eventually(async () => (crashed ? true : undefined), 30_000, 'partition 0 to crash');
    await crashed;
    off();
    t.equal(restoredFrom, resumedFrom, 'the new processor starts from the saved checkpoint');

    const expected1m = directCount(events, DEFAULT_BRANDS, scorer, MIN);
    const expected1h = directCount(events, DEFAULT_BRANDS, scorer, 60 * MIN);
    const all = async (window: string) => {
      const out: WindowAggregate[] = [];
      for (const b of DEFAULT_BRANDS)
        out.push(...(await memory.query({ brand: b.name, window, from: 0, to: to + MIN })));
      return out;
    };
    const windows1m = await eventually(
      async () => {
        const w = await all('1m');
        return w.reduce((n, x) => n + x.posts, 0) === totalPosts(expected1m) ? w : undefined;
      },
      60_000,
      'every event to be counted',
    );
    await p0.stop();
    await p1.stop();
    t.equal(store.failed, 4, 'the sink failed four times');
    t.same(mismatches(expected1m, windows1m), [], '1-minute windows equal the direct count exactly');
    t.same(mismatches(expected1h, await all('1h')), [], '1-hour windows too');
    t.ok(checkpoints.length > 5, `${checkpoints.length} checkpoints`);
    await bus.close();
  },
);
