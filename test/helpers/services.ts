import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../app/paths.js';
import { ClickHouseConnection, ClickHouseStore, ident, sql } from '../../stream/clickhouse/index.js';
import type { WindowAggregate } from '../../stream/index.js';

export const CLICKHOUSE_URL = process.env.PW_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
export const REDIS_URL = process.env.PW_REDIS_URL ?? 'redis://127.0.0.1:6379';

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

export interface WorkerProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** The URL it serves health and metrics on, once it has started. */
  readonly ready: Promise<string>;
  readonly exited: Promise<number | null>;
  output(): string;
}

const MAIN = join(PROJECT_ROOT, 'dist', 'app', 'main.js');

/** Starts `pulsewatch start` as its own process (from the build, as in production). */
export function spawnWorker(id: string, flags: string[]): WorkerProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (npm test does)`);
  const child = spawn(process.execPath, [MAIN, 'start', ...flags, '--worker-id', id], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /running: open (\S+?)\/\s/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) =>
      reject(new Error(`worker ${id} exited (${code}) before it was ready:\n${out}`)),
    );
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { id, child, ready, exited, output: () => out };
}

/** The partitions a worker process owns, read from its /metrics. */
export async function ownedPartitions(url: string, stage = 'aggregate'): Promise<number[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const re = new RegExp(`pulsewatch_consumer_lag_messages\\{stage="${stage}",partition="(\\d+)"\\}`, 'g');
  return [...text.matchAll(re)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/** Deletes every Redis key under a test's prefix, so test runs leave nothing behind. */
export async function clearRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
