import t from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { EventIngestor } from '../../ingest/index.js';
import { joinLines } from '../../stream/model/event-batch.js';
import {
  CAMPAIGN_WINDOWS_TABLE,
  CampaignService,
  decodeJson,
  DeadLetters,
  encodeJson,
  Instrumentation,
  leaseName,
  MemoryBus,
  MemoryCampaignStore,
  MemoryCoordinator,
  MemoryStore,
  partitionOf,
  pipelineStreams,
  Stage2Processor,
  Subjects,
  type CampaignWindowRow,
  type DeadLetter,
  type KeyedFeedback,
  type WindowAggregate,
} from '../../stream/index.js';
import { eventually } from '../helpers/async.js';
import { directCount, seededEvents, seededFeedback, totalPosts } from '../helpers/oracle.js';

const MIN = 60_000;
const PARTITIONS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  rows: Omit<CampaignWindowRow, 'version'>[];
  windows: WindowAggregate[];
  /** The keys each processor handed to onFeedback, in order (one list per processor). */
  keys: string[][];
  letters: DeadLetter[];
  late: number;
  restoredFeedbackFrom: number;
  restoredFrom: number;
  lastFeedbackSeq: number;
}

const to = Math.floor(Date.now() / MIN) * MIN - MIN;
const from = to - 10 * MIN;
const social = seededEvents(13, DEFAULT_BRANDS, 20, from, to);
const feedback = seededFeedback(13, from, to, 3_000, {
  campaigns: 6,
  noDecisionEvery: 5,
  late: true,
  ids: true,
  prefix: { campaign: 'camp', decision: 'dec' },
});

/**
 * Runs stage 2 over the same input, published while it runs: social events in batches, feedback
 * one JSON event per message (as ingest publishes it) and NDJSON messages of several lines (as the
 * API will), with a bad line now and then. With `crash`, partition 0's processor is stopped without
 * a checkpoint mid-stream and a new one takes over from its last checkpoint.
 */
async function run(crash: boolean): Promise<Run> {
  const bus = new MemoryBus();
  for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
  const instrumentation = new Instrumentation();
  const deadLetters = new DeadLetters(bus, instrumentation);
  const coordinator = new MemoryCoordinator();
  const store = new MemoryStore();
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  const scorer = new RulesSentiment();
  const ingestor = new EventIngestor({ bus, partitions: PARTITIONS, deadLetters, instrumentation });
  let late = 0;
  instrumentation.on('event.late', (e) => {
    if (e.source === 'feedback') late++;
  });
  const keys: string[][] = [];
  const seen = new Set<string>();
  /** Keys partition 0 handed over since its last checkpoint. */
  let handedSinceCheckpoint = 0;
  const processor = (p: number, owner: string) => {
    const mine: string[] = [];
    if (p === 0) keys.push(mine);
    return new Stage2Processor({
      bus,
      store,
      partition: p,
      settings: {
        windows: [{ name: '1m', sizeMs: MIN }],
        outOfOrdernessMs: 5_000,
        allowedLatenessMs: 60_000,
      },
      operatorContext: { campaignWindowMs: 2 * MIN },
      input: { kind: 'events', matcher, scorer },
      deadLetters,
      instrumentation,
      batchSize: 40,
      onFeedback: async (items: readonly KeyedFeedback[]) => {
        await sleep(0);
        for (const i of items) seen.add(i.key);
        if (p !== 0) return;
        mine.push(...items.map((i) => i.key));
        handedSinceCheckpoint += items.length;
      },
      checkpoints: {
        coordinator,
        lease: leaseName('aggregate', p),
        owner,
        everyEvents: 400,
        everyMs: 60_000,
      },
    });
  };
  for (let p = 0; p < PARTITIONS; p++) await coordinator.tryAcquire(leaseName('aggregate', p), 'w1', 600_000);
  let p0 = processor(0, 'w1');
  const p1 = processor(1, 'w1');
  let saves = 0;
  let crashed: Promise<void> | undefined;
  const offSaved = instrumentation.on('checkpoint.saved', (c) => {
    if (c.partition !== 0) return;
    saves++;
    handedSinceCheckpoint = 0;
  });
  // Partition 0's worker dies after a feedback batch it handed over but did not checkpoint: its
  // lease moves to another worker at once (so it can save nothing more), and a new processor
  // restores the last checkpoint.
  const offBatch = instrumentation.on('batch.processed', (b) => {
    if (!crash || crashed || b.partition !== 0 || b.stage !== 'aggregate-feedback') return;
    if (saves < 4 || handedSinceCheckpoint === 0) return;
    const lease = leaseName('aggregate', 0);
    void coordinator.release(lease, 'w1');
    void coordinator.tryAcquire(lease, 'w2', 600_000);
    const old = p0;
    crashed = old.stop({ checkpoint: false }).then(async () => {
      p0 = processor(0, 'w2');
      await p0.start();
    });
  });
  await p0.start();
  await p1.start();

  // Publish: social in batches of 400, feedback alongside, in a fixed order per partition.
  const fbPer = Math.ceil(feedback.length / Math.ceil(social.length / 400));
  for (let i = 0, f = 0; i < social.length; i += 400, f += fbPer) {
    await ingestor.publishSocialBatch(social.slice(i, i + 400));
    const chunk = feedback.slice(f, f + fbPer);
    const half = Math.floor(chunk.length / 2);
    for (const e of chunk.slice(0, half)) await ingestor.publishFeedback(e);
    const byPartition = new Map<number, Uint8Array[]>();
    for (const e of chunk.slice(half)) {
      const p = partitionOf(e.campaign, PARTITIONS);
      byPartition.set(p, [...(byPartition.get(p) ?? []), encodeJson(e)]);
    }
    for (const [p, lines] of byPartition) {
      const bad = f % 3 === 0 ? [new TextEncoder().encode(`{"campaign":"x","kind":"nope","ts":1}`)] : [];
      const broken = f % 5 === 0 ? [new TextEncoder().encode('{not json')] : [];
      for (let j = 0; j < lines.length; j += 7)
        await bus.publish(
          Subjects.feedback(p),
          joinLines([...lines.slice(j, j + 7), ...(j === 0 ? [...bad, ...broken] : [])]),
        );
    }
    await sleep(2);
  }
  const expectedPosts = totalPosts(directCount(social, DEFAULT_BRANDS, scorer, MIN));
  const all = async () => {
    const out: WindowAggregate[] = [];
    for (const b of DEFAULT_BRANDS)
      out.push(...(await store.query({ brand: b.name, window: '1m', from: 0, to: to + MIN })));
    return out;
  };
  await eventually(
    async () => {
      if (crash && !crashed) return undefined;
      await crashed;
      const posts = (await all()).reduce((n, w) => n + w.posts, 0);
      return seen.size === feedback.length && posts === expectedPosts ? true : undefined;
    },
    60_000,
    'every event and every feedback to be processed',
  );
  offSaved();
  offBatch();
  await p0.stop();
  await p1.stop();
  const saved = JSON.parse((await coordinator.loadCheckpoint('aggregate:0'))!) as { fseq: number };
  const letters: DeadLetter[] = [];
  const dlq = await bus.consumer({
    stream: 'DEAD_LETTERS',
    durable: 'check',
    ackPolicy: 'none',
    startSeq: 1,
  });
  for (;;) {
    const batch = await dlq.fetch(1000, 50);
    if (batch.length === 0) break;
    letters.push(...batch.map((m) => decodeJson<DeadLetter>(m.data)));
  }
  const rows = (await store.read(CAMPAIGN_WINDOWS_TABLE, {}))
    .map(({ version: _v, ...r }) => r)
    .sort((a, b) => a.start - b.start || a.campaign.localeCompare(b.campaign) || a.arm.localeCompare(b.arm));
  const result: Run = {
    rows,
    windows: (await all()).sort((a, b) => a.start - b.start || a.brand.localeCompare(b.brand)),
    keys,
    letters,
    late,
    restoredFeedbackFrom: p0.restoredFeedbackFrom,
    restoredFrom: p0.restoredFrom,
    lastFeedbackSeq: saved.fseq,
  };
  await bus.close();
  return result;
}

t.test(
  'stage 2 reads social events and campaign feedback; a restart from the checkpoint mid-stream gives the rows of an uninterrupted run',
  async (t) => {
    const whole = await run(false);
    const again = await run(true);

    t.ok(whole.rows.length > 50, `${whole.rows.length} campaign window rows`);
    t.ok(
      whole.rows.some((r) => r.final === 1),
      'windows finalize',
    );
    t.same(again.rows, whole.rows, 'campaign windows equal the uninterrupted run');
    t.same(again.windows, whole.windows, 'social windows too');

    t.ok(again.restoredFrom > 0, `social restored from ${again.restoredFrom}`);
    t.ok(
      again.restoredFeedbackFrom > 0 && again.restoredFeedbackFrom < again.lastFeedbackSeq,
      `feedback restored from ${again.restoredFeedbackFrom} of ${again.lastFeedbackSeq}: mid-stream`,
    );

    // onFeedback: each key once in the uninterrupted run; after the crash, the new processor's keys
    // are a suffix of the whole list, and the repeats are exactly the part read again.
    const [full] = whole.keys;
    t.equal(whole.keys.length, 1);
    t.equal(new Set(full).size, full!.length, 'uninterrupted: every key once');
    const [before, after] = again.keys;
    t.equal(again.keys.length, 2, 'two processors of partition 0');
    t.ok(before!.length + after!.length > full!.length, 'some feedback handed over again');
    const start = full!.length - after!.length;
    t.same(after, full!.slice(start), 'the new processor hands on from its checkpoint, in order');
    t.same(before, full!.slice(0, before!.length), 'the crashed one had handed a prefix');
    t.ok(start <= before!.length, 'nothing skipped');
    t.same(new Set([...before!, ...after!]), new Set(full), 'the same keys');
    t.ok(
      full!.some((k) => k.startsWith('fb:0:')) &&
        full!.some((k) => /^camp-\d:dec-/.test(k)) &&
        full!.some((k) => /^%id:camp-\d:dec-id-/.test(k)),
      'position keys, decision keys and id keys',
    );

    // Dead letters: bad lines and late feedback, once each whatever was replayed.
    const feedbackLetters = (r: Run) =>
      r.letters
        .filter((l) =>
          l.reason === 'late_event'
            ? l.source === 'feedback'
            : l.payload.includes('"nope"') || l.payload === '{not json',
        )
        .map((l) => `${l.reason}|${l.payload}`)
        .sort();
    t.ok(whole.late > 0, `${whole.late} late feedback counted`);
    t.ok(
      feedbackLetters(whole).some((l) => l.startsWith('undecodable|{not json')),
      'an undecodable line is dead-lettered',
    );
    t.ok(
      feedbackLetters(whole).some((l) => l.startsWith('undecodable|') && l.includes('"nope"')),
      'a line that fails the schema is dead-lettered',
    );
    t.ok(
      feedbackLetters(whole).some((l) => l.startsWith('late_event|')),
      'late feedback is dead-lettered',
    );
    t.same(
      feedbackLetters(again),
      feedbackLetters(whole),
      'the same dead letters after the restart, none twice',
    );
  },
);

t.test('feedback with an id reaches the arms once, however often it is published or replayed', async (t) => {
  const bus = new MemoryBus();
  for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
  const instrumentation = new Instrumentation();
  const deadLetters = new DeadLetters(bus, instrumentation);
  const coordinator = new MemoryCoordinator();
  const campaigns = new CampaignService({ store: new MemoryCampaignStore(), defaultsEveryMs: 0, seed: 1 });
  await campaigns.create({ id: 'c-id', arms: ['a', 'b'] });
  const lease = leaseName('aggregate', 0);
  await coordinator.tryAcquire(lease, 'w1', 600_000);
  const handed: string[] = [];
  const processor = () =>
    new Stage2Processor({
      bus,
      store: new MemoryStore(),
      partition: 0,
      settings: {
        windows: [{ name: '1m', sizeMs: MIN }],
        outOfOrdernessMs: 5_000,
        allowedLatenessMs: 60_000,
      },
      input: { kind: 'events', matcher: new BrandMatcher(DEFAULT_BRANDS), scorer: new RulesSentiment() },
      deadLetters,
      instrumentation,
      onFeedback: async (items: readonly KeyedFeedback[]) => {
        handed.push(...items.map((i) => i.key));
        await campaigns.applyFeedback(items);
      },
      // no checkpoint before the stop: the second processor reads everything again
      checkpoints: { coordinator, lease, owner: 'w1', everyEvents: 1_000_000, everyMs: 600_000 },
    });
  const now = Date.now();
  const line = (over: Record<string, unknown>) =>
    encodeJson({ campaign: 'c-id', arm: 'a', kind: 'impression', ts: now, ...over });
  // The same lines in new messages without a message id, as a connector (or a retry after the
  // ingest's dedup window) would publish them: ingest let them through, stage 2 has to tell.
  const lines = [line({ id: 'imp-1' }), line({ id: 'rew-1', kind: 'reward', value: 1 }), line({})];
  await bus.publish(Subjects.feedback(0), joinLines(lines));
  await bus.publish(Subjects.feedback(0), joinLines(lines));
  await bus.publish(Subjects.feedback(0), line({ id: 'imp-1', kind: 'click' }));
  for (const run of [1, 2]) {
    const p = processor();
    await p.start();
    await eventually(async () => (handed.length === 7 * run ? true : undefined), 10_000, `run ${run}`);
    await p.stop({ checkpoint: false });
  }
  t.same(
    [...new Set(handed)].sort(),
    ['%id:c-id:imp-1', '%id:c-id:rew-1', 'fb:0:1:2', 'fb:0:2:2'],
    'one key per id, whatever the message, the kind or the replay; lines without one by position',
  );
  t.same(handed.slice(7), handed.slice(0, 7), 'the replay hands the same keys again');
  const dlq = await bus.consumer({
    stream: 'DEAD_LETTERS',
    durable: 'check',
    ackPolicy: 'none',
    startSeq: 1,
  });
  t.same(await dlq.fetch(10, 50), [], 'no line refused');
  const a = (await campaigns.summary('c-id')).arms.find((x) => x.arm === 'a');
  t.match(
    a,
    { pulls: 3, observations: 4, reward_sum: 1 },
    'imp-1 and rew-1 once each; the line without an id once per message (2)',
  );
  await bus.close();
});
