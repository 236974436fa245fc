/**
 * Services-mode pipeline benchmark: HTTP NDJSON ingest → NATS JetStream → enrich (rules sentiment)
 * → aggregate → ClickHouse, each role its own process, against the services `deploy/services.sh up`
 * starts. Prints sustained events/s end to end and per stage, p50/p99 latency from ingest to the
 * event's ClickHouse row and to its WebSocket update, and peak memory per process.
 *
 *   npm run bench:pipeline -- [--seconds 60] [--rate 0] [--topology fused|staged] [--connections 8] [--batch 1000]
 *                             [--aggregate-workers 1] [--stage2-after-ingest] [--events-per-message 1000]
 *                             [--operators windows,activity] [--profile-dir <dir>]
 *
 * `--rate 0` (the default) offers as much as ingest takes, which measures throughput; latency is
 * then mostly queueing. `--rate N` offers N events/s, for latency at a load the pipeline sustains.
 *
 * `--aggregate-workers N` runs N stage-2 processes, which share the partitions through leases.
 *
 * `--profile-dir <dir>` (or PW_BENCH_PROFILE=<dir>) writes a CPU profile of every role there and
 * prints the top self-time entries (functions and files) of each stage-2 process at the end.
 *
 * `fused`: stage 2 enriches in its own process (`--aggregate-input events`); `staged`: an enrich
 * process publishes to social.enriched and stage 2 reads that. A benchmark, not a test: it never fails on timing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { spawnPulsewatch } from '../app/process.js';
import { formatSelfTimes, selfTimes } from './cpu-profile.js';
import {
  PROBE_BRAND,
  PROBE_CHANNEL,
  percentile,
  ProbeReceiver,
  ProbeSender,
  writeProbeBrands,
} from './probe.js';
import { DEFAULT_BRANDS } from '../ingest/brands-default.js';
import { SyntheticGenerator } from '../ingest/synthetic/index.js';
import { ClickHouseStore } from '../stream/store/clickhouse/index.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1]!;
};
const SECONDS = Number(arg('seconds', '60'));
const TOPOLOGY = arg('topology', 'fused');
const CONNECTIONS = Number(arg('connections', '8'));
const BATCH = Number(arg('batch', '1000'));
/** Offered load in events/s; 0 sends as fast as ingest acknowledges (closed loop). */
const RATE = Number(arg('rate', '0'));
const PARTITIONS = Number(arg('partitions', '4'));
const AGGREGATE_WORKERS = Number(arg('aggregate-workers', '1'));
/** Start stage 2 only once ingest has stopped: measures stage 2 alone on a backlog. */
const STAGE2_AFTER = args.includes('--stage2-after-ingest');
/** The analyses stage 2 runs (default: all registered); `windows` alone is the baseline of their cost. */
const OPERATORS = args.includes('--operators') ? arg('operators', '') : undefined;
/** Events per bus message at ingest; 1 is the design before batching, for comparison. */
const EVENTS_PER_MESSAGE = arg('events-per-message', '1000');
/** Where every role writes its CPU profile (`node --cpu-prof`); none by default. */
const PROFILE_DIR = arg('profile-dir', process.env.PW_BENCH_PROFILE ?? '');
const CLICKHOUSE = process.env.PW_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const REDIS = process.env.PW_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const id = randomUUID().replace(/-/g, '').slice(0, 10);

// A NATS server of the benchmark's own (nats-server from Debian, as deploy/services.sh installs it),
// so streams left by other runs on the machine's server do not mix in.
const natsPort = await new Promise<number>((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const port = (srv.address() as AddressInfo).port;
    srv.close(() => resolve(port));
  });
});
const natsDir = mkdtempSync(join(tmpdir(), 'pw-bench-nats-'));
const natsServer = spawn(
  process.env.PW_NATS_SERVER_BIN ?? 'nats-server',
  ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', natsDir],
  { stdio: 'ignore' },
);
const NATS = `nats://127.0.0.1:${natsPort}`;
for (let i = 0; i < 100; i++) {
  const ok = await new Promise<boolean>((resolve) => {
    const s = connect(natsPort, '127.0.0.1', () => (s.end(), resolve(true))).once('error', () =>
      resolve(false),
    );
  });
  if (ok) break;
  await sleep(100);
}
const database = `pw_bench_${id}`;
const dir = mkdtempSync(join(tmpdir(), 'pw-bench-'));
const brandsFile = writeProbeBrands(dir);

interface Proc {
  role: string;
  child: ChildProcess;
  url: string;
  peakRss: number;
}

const common = [
  '--mode',
  'services',
  '--nats-url',
  NATS,
  '--clickhouse-url',
  CLICKHOUSE,
  '--clickhouse-database',
  database,
  '--redis-url',
  REDIS,
  '--redis-prefix',
  `pwbench:${id}:`,
  '--brands',
  brandsFile,
  '--no-synthetic',
  '--sentiment-model',
  'rules',
  '--partitions',
  String(PARTITIONS),
  '--log-level',
  'warn',
  '--port',
  '0',
  '--insecure',
  '--aggregate-input',
  TOPOLOGY === 'staged' ? 'enriched' : 'events',
  '--bus-events-per-message',
  EVENTS_PER_MESSAGE,
  ...(OPERATORS === undefined ? [] : ['--operators', OPERATORS]),
];

async function startRole(name: string): Promise<Proc> {
  const role = name.replace(/-\d+$/, '');
  const started = spawnPulsewatch([...common, '--role', role, '--worker-id', `${name}-${id}`], {
    nodeArgs: PROFILE_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [],
    stderr: 'inherit',
  });
  return { role: name, child: started.child, url: await started.ready, peakRss: 0 };
}

/**
 * The longest event-loop delay (s) each process showed: prom-client's default metric, whose
 * histogram starts again at every scrape, so every scrape of a process is read for it.
 */
const loopDelayMax = new Map<string, number>();
const LOOP_DELAY = 'pulsewatch_nodejs_eventloop_lag_max_seconds';

async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const delay = new RegExp(`^${LOOP_DELAY} (\\S+)$`, 'm').exec(text);
  if (delay) loopDelayMax.set(url, Math.max(loopDelayMax.get(url) ?? 0, Number(delay[1])));
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && line.includes(labels) && !line.startsWith('#'))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

// Input: pre-serialised NDJSON bodies, so the load generator spends little CPU of its own.
const gen = new SyntheticGenerator({ seed: 5, brands: DEFAULT_BRANDS, ratePerSec: 2000 });
const bodies: string[] = [];
let lines: string[] = [];
const now = Date.now();
for (const g of gen.generate(now - 40 * 60_000, now - 60_000)) {
  if (g.kind !== 'social') continue;
  // Event time is filled in when a body is sent: the load looks like live traffic, whose windows
  // close as time goes on, not like a replay of history.
  lines.push(JSON.stringify({ ...g.event, ts: 0 }).replace('"ts":0', '"ts":__TS__'));
  if (lines.length === BATCH) {
    bodies.push(lines.join('\n'));
    lines = [];
  }
  if (bodies.length * BATCH >= 300_000) break;
}
console.log(
  `input: ${bodies.length} bodies of ${BATCH} events; topology ${TOPOLOGY}; ${PARTITIONS} partitions; ${AGGREGATE_WORKERS} stage-2 process(es); ${EVENTS_PER_MESSAGE} events per bus message at most; ${CONNECTIONS} connections; operators ${OPERATORS ?? 'all'}; ${SECONDS} s; offered ${RATE > 0 ? `${RATE} events/s` : 'as fast as ingest takes'}`,
);

const aggregates =
  AGGREGATE_WORKERS === 1
    ? ['aggregate']
    : Array.from({ length: AGGREGATE_WORKERS }, (_, i) => `aggregate-${i + 1}`);
const roles = [...(TOPOLOGY === 'staged' ? ['ingest', 'enrich'] : ['ingest']), ...aggregates, 'api'];
const procs = await Promise.all(
  roles.filter((r) => !(STAGE2_AFTER && r.startsWith('aggregate'))).map(startRole),
);
const by = (role: string) => procs.find((p) => p.role === role)!;
const ingestUrl = by('ingest').url;
const sampler = setInterval(async () => {
  for (const p of procs)
    p.peakRss = Math.max(
      p.peakRss,
      await metric(p.url, 'pulsewatch_process_resident_memory_bytes').catch(() => 0),
    );
}, 1000);

// Probes (bench/probe.ts): a post about the probe brand every 500 ms; its latency to ClickHouse and
// to the WebSocket.
const store = await ClickHouseStore.open({ url: CLICKHOUSE, database });
const ws = new WebSocket(by('api').url.replace(/^http/, 'ws') + '/v1/stream');
await new Promise((r) => ws.once('open', r));
ws.send(JSON.stringify({ op: 'subscribe', channels: [PROBE_CHANNEL] }));
const probes = new ProbeSender(ingestUrl, id);
const wsLatency: number[] = [];
const chLatency: number[] = [];
const wsProbe = new ProbeReceiver(probes, wsLatency);
ws.on('message', (d) => {
  const msg = JSON.parse(String(d)) as {
    type: string;
    windows?: { window: string; start: number; posts: number }[];
  };
  if (msg.type === 'update' || msg.type === 'snapshot')
    wsProbe.receive(msg.windows ?? [], Date.now(), msg.type === 'snapshot');
});
const chProbe = new ProbeReceiver(probes, chLatency);
const chPoller = setInterval(async () => {
  const h = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const rows = await store
    .query({ brand: PROBE_BRAND.name, window: '1h', from: h - 3_600_000, to: h + 3_600_000 })
    .catch(() => []);
  chProbe.receive(rows, Date.now());
}, 25);
const prober = setInterval(() => void probes.send(), 500);

// Load: CONNECTIONS posters, each sending the next body as soon as the last is acknowledged.
const start = Date.now();
const deadline = start + SECONDS * 1000;
let next = 0;
let accepted = 0;
let refused = 0;
await Promise.all(
  Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < deadline) {
      // Past the prepared input, the same bodies go again with new ids (ids de-duplicate).
      const i = next++;
      if (RATE > 0) {
        const due = start + ((i * BATCH) / RATE) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        if (Date.now() >= deadline) break;
      }
      const round = Math.floor(i / bodies.length);
      const template =
        round === 0 ? bodies[i]! : bodies[i % bodies.length]!.replaceAll('"id":"syn-', `"id":"r${round}-`);
      const body = template.replaceAll('__TS__', String(Date.now()));
      const res = await fetch(`${ingestUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      const r = (await res.json()) as { accepted?: number; rejected?: number };
      if (res.status === 202) accepted += r.accepted ?? 0;
      else refused++;
      if (r.rejected)
        throw new Error(
          `the ingest rejected lines of the benchmark's input: ${JSON.stringify(r).slice(0, 500)}`,
        );
    }
  }),
);
const ingestSeconds = (Date.now() - start) / 1000;
clearInterval(prober);
if (STAGE2_AFTER) procs.push(...(await Promise.all(aggregates.map(startRole))));
// Drain: wait until stage 2 has processed everything that was accepted (or 60 s).
const aggUrls = procs.filter((p) => p.role.startsWith('aggregate')).map((p) => p.url);
const sumOverAggregates = async (name: string, labels = '') =>
  (await Promise.all(aggUrls.map((u) => metric(u, name, labels)))).reduce((a, b) => a + b, 0);
const drainDeadline = Date.now() + 60_000;
const drainStart = Date.now();
const processedAtStop = await sumOverAggregates('pulsewatch_batch_size_sum', 'stage="aggregate"');
let processed = 0;
while (Date.now() < drainDeadline) {
  processed = await sumOverAggregates('pulsewatch_batch_size_sum', 'stage="aggregate"');
  if (processed >= accepted + probes.count) break;
  await sleep(200);
}
const totalSeconds = (Date.now() - start) / 1000;
const drainSeconds = (Date.now() - drainStart) / 1000;
await sleep(1500);
clearInterval(chPoller);
clearInterval(sampler);
const chRows = await sumOverAggregates('pulsewatch_clickhouse_batch_rows_sum');
ws.close();
await store.close();
for (const p of procs) p.child.kill('SIGTERM');
await Promise.all(procs.map((p) => new Promise((r) => p.child.once('exit', r))));
const { ClickHouseConnection, ident, sql } = await import('../stream/store/clickhouse/index.js');
const c = new ClickHouseConnection({ url: CLICKHOUSE });
// A busy server may time the drop out: the figures are still printed, and the database named.
await c
  .command(sql`DROP DATABASE IF EXISTS ${ident(database)}`)
  .catch((err: unknown) => console.error(`could not drop ${database}: ${String(err)}`));
await c.close();
natsServer.kill('SIGTERM');
await new Promise((r) => natsServer.once('exit', r));
rmSync(natsDir, { recursive: true, force: true });
rmSync(dir, { recursive: true, force: true });

wsLatency.sort((a, b) => a - b);
chLatency.sort((a, b) => a - b);
const fmt = (n: number) => Math.round(n).toLocaleString('en');
console.log(
  `ingest accepted  ${fmt(accepted / ingestSeconds)} events/s over ${ingestSeconds.toFixed(1)} s (${fmt(accepted)} events, ${refused} refused batches)`,
);
console.log(
  `end to end       ${fmt(processed / totalSeconds)} events/s (${fmt(processed)} processed by stage 2 in ${totalSeconds.toFixed(1)} s, drain included; ${processed >= accepted + probes.count ? `all in ${(totalSeconds - ingestSeconds).toFixed(1)} s after ingest stopped` : 'NOT drained within 60 s of ingest stopping'})`,
);
// Once ingest has stopped, stage 2 has the machine to itself: its rate then is its own capacity.
if (processed - processedAtStop > 100_000)
  console.log(
    `stage 2 alone    ${fmt((processed - processedAtStop) / drainSeconds)} events/s while draining the backlog after ingest stopped (${fmt(processed - processedAtStop)} events in ${drainSeconds.toFixed(1)} s)`,
  );
console.log(`ClickHouse rows  ${fmt(chRows)} window rows written`);
console.log(
  `latency ingest → WebSocket update: p50 ${percentile(wsLatency, 50)} ms, p99 ${percentile(wsLatency, 99)} ms (${wsLatency.length} probes)`,
);
console.log(
  `latency ingest → ClickHouse row:   p50 ${percentile(chLatency, 50)} ms, p99 ${percentile(chLatency, 99)} ms (${chLatency.length} probes)`,
);
for (const p of procs)
  console.log(
    `peak RSS ${p.role.padEnd(10)} ${(p.peakRss / 1024 / 1024).toFixed(0)} MiB; longest event-loop delay ${((loopDelayMax.get(p.url) ?? NaN) * 1000).toFixed(0)} ms`,
  );
if (PROFILE_DIR)
  for (const name of aggregates) {
    const file = join(PROFILE_DIR, `${name}.cpuprofile`);
    const { totalMs, functions, files } = selfTimes(file, new URL('../../', import.meta.url).href);
    console.log(`\n${name}: self time of ${(totalMs / 1000).toFixed(1)} s of samples (${file})`);
    console.log(formatSelfTimes(functions, 25));
    console.log(`-- by file\n${formatSelfTimes(files, 15)}`);
  }
process.exit(0);
