import type { Test } from 'tap';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { EventIngestor } from '../../ingest/index.js';
import type { SpikeSpec } from '../../ingest/synthetic/index.js';
import { ClickHouseStore } from '../../stream/store/clickhouse/index.js';
import { joinLines } from '../../stream/model/event-batch.js';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import {
  encodeJson,
  partitionOf,
  Subjects,
  DeadLetters,
  Instrumentation,
  NatsBus,
  operatorTables,
  pipelineStreams,
  type SocialEvent,
} from '../../stream/index.js';
import { startNatsServer } from './nats-server.js';
import { seededEvents, seededFeedback } from './oracle.js';
import {
  clearRedisPrefix,
  CLICKHOUSE_URL,
  dropDatabase,
  isolation,
  servicesFlags,
  spawnWorker,
  type WorkerProcess,
} from './services.js';

/** The analyses beside the windows: their SIGKILL test is test/fault/analytics-kill.test.ts. */
export const ANALYTICS_OPERATORS = ['voice', 'influencers', 'trends', 'topics', 'segments', 'best-times'];

export const MIN = 60_000;
export const PARTITIONS = 4;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fault tests of stage 2 in services mode, each against a private NATS server, its own ClickHouse
 * database and its own Redis key prefix. Workers are real processes, killed with SIGKILL.
 */
export interface SetupOptions {
  /** `--operators` of the workers; default: every operator. */
  operators?: readonly string[];
  /** Event-time span of the input, minutes; default: enough for `count` at any hour of the day. */
  minutes?: number;
  /** Mean posts per second of the generator; default 150. */
  rate?: number;
  /** Spikes injected by the generator, given the span. */
  spikes?: (from: number, to: number) => SpikeSpec[];
}

export async function setup(t: Test, seed: number, count: number, o: SetupOptions = {}) {
  const nats = await startNatsServer();
  t.teardown(() => nats.close());
  const { database, redisPrefix } = isolation();
  t.teardown(() => dropDatabase(database));
  t.teardown(() => clearRedisPrefix(redisPrefix));
  const flags = [
    ...servicesFlags({ natsUrl: nats.url, database, redisPrefix }),
    '--role',
    'aggregate',
    '--partitions',
    String(PARTITIONS),
    '--lease-ttl-ms',
    '4000',
    '--checkpoint-every-events',
    '4000',
    '--checkpoint-every-ms',
    '1000',
    // Analytics windows of a minute, so that the input's minutes close some (compared final rows).
    '--analytics-window',
    '1m',
    '--clickhouse-flush-ms',
    '200',
    ...(o.operators ? ['--operators', o.operators.join(',')] : []),
  ];
  const bus = await NatsBus.connect({ servers: nats.url });
  t.teardown(() => bus.close());
  for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
  const instrumentation = new Instrumentation();
  const ingestor = new EventIngestor({
    bus,
    partitions: PARTITIONS,
    deadLetters: new DeadLetters(bus, instrumentation),
    instrumentation,
  });
  // Seeded posts over the past hours: a range long enough for `count` events at any hour of the
  // daily curve (at least half the mean rate), cut to exactly `count`.
  const to = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
  const rate = o.rate ?? 150;
  const from = to - (o.minutes ?? Math.ceil(count / 50 / 60)) * MIN;
  const events = seededEvents(seed, DEFAULT_BRANDS, rate, from, to, o.spikes?.(from, to)).slice(0, count);
  // Campaign feedback over the same span, about one per 25 posts.
  const feedback = seededFeedback(seed, from, to, Math.min(4_000, Math.floor(events.length / 25)), {
    campaigns: 8,
    noDecisionEvery: 4,
    late: false,
    prefix: { campaign: 'campaign', decision: 'decision' },
  });
  const store = await ClickHouseStore.open({ url: CLICKHOUSE_URL, database, tables: operatorTables() });
  t.teardown(() => store.close());
  const scorer = new RulesSentiment();
  return { nats, flags, ingestor, events, feedback, store, scorer, to, bus };
}

export async function publishInChunks(
  ingestor: EventIngestor,
  events: SocialEvent[],
  chunk: number,
  pauseMs: number,
  withFeedback?: Pick<Setup, 'bus' | 'feedback'>,
): Promise<void> {
  const chunks = Math.ceil(events.length / chunk);
  const perChunk = withFeedback ? Math.ceil(withFeedback.feedback.length / chunks) : 0;
  for (let i = 0, c = 0; i < events.length; i += chunk, c++) {
    // Many events per bus message, as ingest sends them, plus repeats of a few earlier events (as
    // retrying clients send them): stage 2 must drop those across its crashes too.
    const repeats = i === 0 ? [] : [events[i - 1]!, events[Math.floor(i / 2)]!, events[i - chunk]!];
    await ingestor.publishSocialBatch([...events.slice(i, i + chunk), ...repeats]);
    if (withFeedback) await publishFeedback(ingestor, withFeedback, c * perChunk, (c + 1) * perChunk);
    await sleep(pauseMs);
  }
}

/**
 * Feedback [from, to): half as ingest publishes it (one JSON event per message), half as NDJSON
 * messages of several events each (as the API does).
 */
async function publishFeedback(
  ingestor: EventIngestor,
  s: Pick<Setup, 'bus' | 'feedback'>,
  from: number,
  to: number,
): Promise<void> {
  const slice = s.feedback.slice(from, to);
  const half = Math.floor(slice.length / 2);
  const byPartition = new Map<number, Uint8Array[]>();
  for (const e of slice.slice(half)) {
    const p = partitionOf(e.campaign, PARTITIONS);
    byPartition.set(p, [...(byPartition.get(p) ?? []), encodeJson(e)]);
  }
  await Promise.all([
    ...slice.slice(0, half).map((e) => ingestor.publishFeedback(e)),
    ...[...byPartition].map(([p, lines]) => s.bus.publish(Subjects.feedback(p), joinLines(lines))),
  ]);
}

export type Setup = Awaited<ReturnType<typeof setup>>;

/**
 * Starts a stage-2 worker, then kills it with SIGKILL `times` times at seeded random moments (each
 * 300 ms plus up to `maxPauseMs` apart), each time starting a fresh process with a new id, while
 * `during` (started once the first worker is ready) runs. Resolves with the last worker once both are done; every worker is killed when `t` ends.
 */
export async function killRepeatedly(
  t: Test,
  flags: string[],
  o: { times: number; seed: number; maxPauseMs: number; during: () => Promise<void> },
): Promise<WorkerProcess> {
  let worker = spawnWorker('w-0', flags);
  t.teardown(() => worker.child.kill('SIGKILL'));
  await worker.ready;
  const during = o.during();
  let x = o.seed;
  const rng = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let k = 1; k <= o.times; k++) {
    await sleep(300 + rng() * o.maxPauseMs);
    worker.child.kill('SIGKILL');
    await worker.exited;
    worker = spawnWorker(`w-${k}`, flags);
    await worker.ready;
  }
  await during;
  return worker;
}
