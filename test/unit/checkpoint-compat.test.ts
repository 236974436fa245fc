import t from 'tap';
import {
  DeadLetters,
  Instrumentation,
  leaseName,
  MemoryBus,
  MemoryCoordinator,
  MemoryStore,
  OPERATOR_NAMES,
  pipelineStreams,
  Stage2Processor,
  WINDOW_TABLE,
  type WindowAggregates,
  type WindowRow,
} from '../../stream/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

t.test('a version-2 checkpoint (window state only) restores into the windows operator', async (t) => {
  const bus = new MemoryBus();
  for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
  t.teardown(() => bus.close());
  const coordinator = new MemoryCoordinator();
  const lease = leaseName('aggregate', 0);
  await coordinator.tryAcquire(lease, 'w1', 600_000);
  const instrumentation = new Instrumentation();
  const counts = { posts: 3, positive: 1, neutral: 1, negative: 1, unsupported: 0, sentiment_sum: 0.25 };
  const acc = { ...counts, likes: 2, shares: 0, replies: 1, authorIds: ['a', 'b'] };
  // As PartitionWindows saved it: the watermark and one list of open windows per window size.
  const v2 = {
    v: 2,
    seq: 0,
    state: {
      watermark: { maxTs: T0 + 30_000, explicit: null },
      operators: [
        [{ key: 'Acme', start: T0, dirty: true, acc }],
        [{ key: 'Acme', start: T0, dirty: true, acc }],
      ],
    },
    savedAt: 0,
  };
  await coordinator.saveCheckpoint('aggregate:0', JSON.stringify(v2), lease, 'w1');
  const store = new MemoryStore();
  const processor = new Stage2Processor({
    bus,
    store,
    partition: 0,
    settings: {
      windows: [
        { name: '1m', sizeMs: MIN },
        { name: '1h', sizeMs: 60 * MIN },
      ],
      outOfOrdernessMs: 0,
      allowedLatenessMs: 0,
    },
    input: { kind: 'enriched' },
    deadLetters: new DeadLetters(bus, instrumentation),
    instrumentation,
    checkpoints: { coordinator, lease, owner: 'w1', everyEvents: 1, everyMs: 60_000 },
  });
  await processor.start();
  t.teardown(() => processor.stop({ checkpoint: false }));
  t.equal(processor.state.watermark.current, T0 + 30_000, 'the watermark came back');
  const windows = processor.state.get<WindowAggregates>('windows')!;
  t.equal(windows.size, 2, 'both open windows came back');
  const rows = processor.state.emit(7).writes.find((w) => w.table.name === WINDOW_TABLE.name)!
    .rows as unknown as WindowRow[];
  t.same(
    rows.map((r) => [r.window, r.posts, r.authors, r.likes]).sort(),
    [
      ['1h', 3, 2, 2],
      ['1m', 3, 2, 2],
    ],
    'with their counts',
  );
  t.same(
    processor.state.get('activity')?.size,
    0,
    'an operator the old checkpoint did not have starts empty',
  );
  await processor.checkpoint();
  const saved = JSON.parse((await coordinator.loadCheckpoint('aggregate:0'))!) as {
    v: number;
    state: unknown;
  };
  t.equal(saved.v, 3, 'the next checkpoint is written in version 3');
  t.same(Object.keys((saved.state as { operators: object }).operators), OPERATOR_NAMES);
});
