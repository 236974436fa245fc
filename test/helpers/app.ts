import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKey } from '../../api/index.js';
import { loadConfig } from '../../app/config.js';
import { startApp, type Running } from '../../app/compose.js';
import type { InjectOptions } from 'fastify';
import type { Test } from 'tap';

/** Flags for live data in every section of the page: synthetic traffic and five minutes of history. */
export const LIVE_TRAFFIC = ['--synthetic', '--synthetic-rate', '40', '--synthetic-backfill-minutes', '5'];

/**
 * Starts the embedded app on a free port with synthetic traffic off and the rules sentiment tier
 * (what the tests' direct counts use), unless flags say otherwise.
 */
export async function startTestApp(flags: string[] = []): Promise<Running> {
  const config = loadConfig(
    ['--port', '0', '--no-synthetic', '--log-level', 'silent', '--sentiment-model', 'rules', ...flags],
    {},
  );
  return startApp(config);
}

/**
 * The embedded app with API keys (a key file of its own, removed when `t` ends): a `read` key and an
 * `admin` key, and `flags` besides.
 */
export async function startKeyedTestApp(
  t: Test,
  flags: string[] = [],
): Promise<{ running: Running; read: string; admin: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'api-keys.json');
  const read = await addKey(keyFile, 'dashboards', ['read']);
  const admin = await addKey(keyFile, 'ops', ['admin']);
  const running = await startTestApp(['--api-keys-file', keyFile, ...flags]);
  t.teardown(() => running.stop());
  return { running, read, admin };
}

export { eventually } from './async.js';

let counter = 0;
/** A valid SocialEvent as a connector would send it. */
export function post(over: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    id: `t-${process.pid}-${counter}`,
    source: 'test',
    ts: Date.now(),
    author: { id: `author-${counter % 7}`, followers: 10 },
    text: 'I love @northwindcoffee, best latte ever',
    engagement: { likes: 1, shares: 0, replies: 0 },
    ...over,
  };
}

/** A POST of an NDJSON body to an ingest route; `headers` add to the content type or replace it. */
export function ndjsonRequest(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): InjectOptions {
  return { method: 'POST', url, headers: { 'content-type': 'application/x-ndjson', ...headers }, body };
}

export function ndjson(lines: unknown[]): string {
  return lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
}

/**
 * POSTs events as NDJSON to a running app's /v1/events (`n` default posts, or the events given) and
 * asserts the ingest took them (202).
 */
export async function postEvents(t: Test, url: string, events: number | unknown[]): Promise<void> {
  const lines = typeof events === 'number' ? Array.from({ length: events }, () => post()) : events;
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: ndjson(lines),
  });
  t.equal(res.status, 202, `the ingest takes ${lines.length} events`);
}

export async function metricValue(
  running: Pick<Running, 'metrics'>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const m = await running.metrics.registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  let total = 0;
  for (const v of m.values) {
    if (Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)) total += v.value;
  }
  return total;
}
