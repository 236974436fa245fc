import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import { startApp, type Running } from '../../app/compose.js';
import { loadConfig } from '../../app/config.js';
import { spawnPulsewatch, type PulsewatchProcess } from '../../app/process.js';
import { ClickHouseConnection, ClickHouseStore, ident, sql } from '../../stream/store/clickhouse/index.js';
import type { WindowAggregate } from '../../stream/index.js';
import { startNatsServer, type PrivateNatsServer } from './nats-server.js';
import { clearRedisPrefix, REDIS_URL } from './redis.js';

export const CLICKHOUSE_URL = process.env.PW_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
export { clearRedisPrefix, REDIS_URL };

/** Names no other test run uses: a ClickHouse database and a Redis key prefix. */
export function isolation(): { database: string; redisPrefix: string } {
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  return { database: `pw_test_${id}`, redisPrefix: `pwtest:${id}:` };
}

/** Flags of a services-mode process on the given NATS, ClickHouse database and Redis prefix. */
export function servicesFlags(o: {
  natsUrl: string;
  database: string;
  redisPrefix: string;
  clickhouseUrl?: string;
}): string[] {
  return [
    '--mode',
    'services',
    '--nats-url',
    o.natsUrl,
    '--clickhouse-url',
    o.clickhouseUrl ?? CLICKHOUSE_URL,
    '--clickhouse-database',
    o.database,
    '--redis-url',
    REDIS_URL,
    '--redis-prefix',
    o.redisPrefix,
    '--no-synthetic',
    '--sentiment-model',
    'rules',
    '--log-level',
    'warn',
    '--port',
    '0',
    // tests reach these processes without keys; test/api/ covers the keys
    '--insecure',
  ];
}

export async function dropDatabase(database: string, url = CLICKHOUSE_URL): Promise<void> {
  const c = new ClickHouseConnection({ url });
  try {
    await c.command(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
  } finally {
    await c.close();
  }
}

/** Every window of the brands in [from, to), merged over partitions, from ClickHouse. */
export async function allWindows(
  store: ClickHouseStore,
  brands: string[],
  window: string,
  from: number,
  to: number,
): Promise<WindowAggregate[]> {
  const out: WindowAggregate[] = [];
  for (const brand of brands) out.push(...(await store.query({ brand, window, from, to })));
  return out;
}

export interface WorkerProcess extends PulsewatchProcess {
  readonly id: string;
}

/**
 * Starts `pulsewatch start` with the given worker id as its own process (from the build).
 *
 * PW_TEST_WORKER_LOGS=1 shows what the workers print while a test runs, to debug a failing fault
 * test: their stdout (the ready line and the logs, JSON lines at the flags' `--log-level`, which
 * servicesFlags sets to warn), each line prefixed with `[<worker id>]`, and their stderr, both on the
 * test's stderr (tap reads the test's stdout as TAP). stdout stays in `output()` too; stderr then
 * does not.
 */
export function spawnWorker(id: string, flags: string[]): WorkerProcess {
  const show = Boolean(process.env.PW_TEST_WORKER_LOGS);
  const worker = spawnPulsewatch([...flags, '--worker-id', id], { stderr: show ? 'inherit' : 'pipe' });
  if (show && worker.child.stdout)
    createInterface({ input: worker.child.stdout }).on('line', (line) =>
      process.stderr.write(`[${id}] ${line}\n`),
    );
  return { id, ...worker };
}

/** The partitions a worker process owns, read from its /metrics. */
export async function ownedPartitions(url: string, stage = 'aggregate'): Promise<number[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const re = new RegExp(`pulsewatch_consumer_lag_messages\\{stage="${stage}",partition="(\\d+)"\\}`, 'g');
  return [...text.matchAll(re)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/**
 * A services-mode Pulsewatch (every role in this process) on a private NATS server, with its own
 * ClickHouse database and Redis prefix; all of it is removed when `t` ends.
 */
export async function startServicesApp(
  t: Test,
  flags: string[] = [],
): Promise<{ running: Running; nats: PrivateNatsServer; database: string; redisPrefix: string }> {
  const nats = await startNatsServer();
  t.teardown(() => nats.close());
  const { database, redisPrefix } = isolation();
  t.teardown(() => dropDatabase(database));
  t.teardown(() => clearRedisPrefix(redisPrefix));
  const running = await startApp(
    loadConfig([...servicesFlags({ natsUrl: nats.url, database, redisPrefix }), ...flags], {}),
  );
  t.teardown(() => running.stop());
  return { running, nats, database, redisPrefix };
}
