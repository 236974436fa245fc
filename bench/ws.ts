/**
 * WebSocket fan-out benchmark: the embedded default (`pulsewatch start`, no services, its synthetic
 * traffic) in a process of its own, and N WebSocket clients in this one, each subscribed as the live
 * page is to `brands`, one brand channel (`brand:bench-probe`) and `alerts`. A share of the clients
 * is slow: it reads its snapshots, then stops reading its socket until 90% of the run has passed.
 *
 * Printed per phase: update latency of the fast clients (see bench/probe.ts; defined in the output),
 * messages and bytes delivered per second, the server's RSS (from /proc/<pid>/status) at the start,
 * peak and end, and the server's own counters (flushes skipped for slow clients, clients it closed
 * for staying too slow). A baseline phase with `--baseline-clients` runs first against the same
 * server, and the ratios to it are printed.
 *
 *   npm run bench:ws -- [--clients 1000] [--slow-share 0.2] [--seconds 60] [--rate 50]
 *                       [--baseline-clients 10] [--warmup 15]
 *
 * `--baseline-clients 0` skips the baseline (for long runs).
 *
 * `--rate` is the synthetic posts per second (`--synthetic-rate`; 50 is the embedded default).
 * A benchmark, not a test: it never fails on timing. A client that cannot connect and subscribe, or
 * a probe the server does not take, is counted and printed, and the run goes on without it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { spawnPulsewatch } from '../app/process.js';
import { PROBE_CHANNEL, percentile, ProbeReceiver, ProbeSender, writeProbeBrands } from './probe.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  const v = i === -1 ? fallback : Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`--${name} takes a number ≥ 0, not ${args[i + 1]}`);
  return v;
};
const CLIENTS = arg('clients', 1000);
const SLOW_SHARE = arg('slow-share', 0.2);
const SECONDS = arg('seconds', 60);
const RATE = arg('rate', 50);
const BASELINE_CLIENTS = arg('baseline-clients', 10);
/** Seconds between the server's start and the baseline: its backfill and first windows settle. */
const WARMUP = arg('warmup', 15);
const PROBE_EVERY_MS = 500;
/** Slow clients read again from this share of the phase on: by then each is closed or catches up. */
const SLOW_RESUME = 0.9;
const CHANNELS = ['brands', PROBE_CHANNEL, 'alerts'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

const dir = mkdtempSync(join(tmpdir(), 'pw-bench-ws-'));
// One injected spike per phase, so that the `alerts` channel carries alerts too.
const spikes = `northwind-coffee@+${WARMUP}s/${SECONDS}s*4,bluebird-roasters@+${Math.round(WARMUP + SECONDS + 5)}s/${SECONDS}s*4`;
const server = spawnPulsewatch(
  [
    '--port',
    '0',
    '--brands',
    writeProbeBrands(dir),
    '--synthetic-rate',
    String(RATE),
    '--synthetic-spikes',
    spikes,
    '--log-level',
    'warn',
  ],
  { stderr: 'inherit' },
);
// The server goes with the bench, however the bench ends.
const stopServer = () => server.child.kill('SIGTERM');
process.once('exit', stopServer);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const url = await server.ready;
const pid = server.child.pid!;
const wsUrl = url.replace(/^http/, 'ws') + '/v1/stream';

/** The server process's resident set (bytes), read from the kernel. */
function serverRss(): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * Bytes the kernel holds in the sockets of the server's port (IPv4 and IPv6 tables): queued to send
 * on the server's side, and received but not yet read on the clients' side. A client that does not
 * read fills these first; only then does the server's own buffer grow.
 */
function kernelQueues(): { serverSend: number; clientReceive: number } {
  const port = new URL(url).port;
  const hexPort = Number(port).toString(16).toUpperCase().padStart(4, '0');
  let serverSend = 0;
  let clientReceive = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    const text = readFileSync(table, 'utf8');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5) continue;
      const [tx, rx] = f[4]!.split(':').map((h) => parseInt(h, 16)) as [number, number];
      if (f[1]!.endsWith(`:${hexPort}`)) serverSend += tx;
      else if (f[2]!.endsWith(`:${hexPort}`)) clientReceive += rx;
    }
  }
  return { serverSend, clientReceive };
}

/** Sum of a counter's series on the server's /metrics. */
async function serverMetric(name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}
const SERVER_COUNTERS = {
  sent: 'pulsewatch_ws_messages_sent_total',
  skipped: 'pulsewatch_ws_flushes_skipped_total',
  closedSlow: 'pulsewatch_ws_slow_clients_closed_total',
  /** A gauge: the bytes the server holds unsent for all its clients. */
  buffered: 'pulsewatch_ws_buffered_bytes',
} as const;
type Counters = Record<keyof typeof SERVER_COUNTERS, number>;
const serverCounters = async (): Promise<Counters> => {
  const entries = await Promise.all(
    Object.entries(SERVER_COUNTERS).map(async ([k, name]) => [k, await serverMetric(name)] as const),
  );
  return Object.fromEntries(entries) as Counters;
};

const probes = new ProbeSender(url, randomUUID().slice(0, 8));

interface Client {
  ws: WebSocket;
  slow: boolean;
  messages: number;
  bytes: number;
  alerts: number;
  /** The close code, once closed. */
  closed?: number;
}

const SNAPSHOT = '{"type":"snapshot"';
const ALERT = '{"type":"alert"';
const PROBE_MESSAGE = `"channel":"${PROBE_CHANNEL}"`;

/**
 * A client subscribed to CHANNELS; resolves once it has its snapshots (and, if slow, stopped
 * reading), rejects if it fails or is closed before.
 */
function connect(slow: boolean, latencies: number[]): Promise<Client> {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false, skipUTF8Validation: true });
  const c: Client = { ws, slow, messages: 0, bytes: 0, alerts: 0 };
  // A slow client's late updates are what it asked for by not reading: only fast clients are timed.
  const probe = slow ? undefined : new ProbeReceiver(probes, latencies);
  let snapshots = 0;
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ op: 'subscribe', channels: CHANNELS })));
    ws.on('close', (code, reason) => {
      c.closed = code;
      reject(
        new Error(
          `closed with ${code}${reason.length > 0 ? ` (${String(reason)})` : ''} before its snapshots`,
        ),
      );
    });
    ws.on('message', (data: Buffer) => {
      const now = Date.now();
      c.messages++;
      c.bytes += data.length;
      // Only the probe channel is parsed: the bench's own CPU would otherwise be what it measures.
      const head = data.toString('latin1', 0, 64);
      if (head.startsWith(ALERT)) c.alerts++;
      if (probe && head.includes(PROBE_MESSAGE)) {
        const msg = JSON.parse(data.toString()) as { type: string; windows?: [] };
        probe.receive(msg.windows ?? [], now, msg.type === 'snapshot');
      }
      if (head.startsWith(SNAPSHOT) && ++snapshots === CHANNELS.length) {
        if (slow) ws.pause();
        resolve(c);
      }
    });
  });
}

interface PhaseResult {
  label: string;
  clients: number;
  latencies: number[];
  seconds: number;
  messages: number;
  bytes: number;
  alerts: number;
  rss: { start: number; peak: number; end: number };
  /** Most bytes seen queued in the kernel for the server's connections (both ends). */
  kernelPeak: number;
  counters: Counters;
  slow: number;
  slowClosedCodes: Map<number, number>;
  slowOpen: number;
  /** Clients that failed to connect and subscribe (left out of the phase). */
  failedConnects: number;
  probes: { sent: number; failed: number };
}

/** Counts failures by message and prints each message the first time it is seen. */
function failureLog(label: string, what: string) {
  const seen = new Map<string, number>();
  return {
    add(err: unknown) {
      const message = err instanceof Error ? err.message : String(err);
      const k = (seen.get(message) ?? 0) + 1;
      seen.set(message, k);
      if (k === 1) console.log(`[${label}] ${what} failed: ${message}`);
    },
    get count() {
      return [...seen.values()].reduce((a, b) => a + b, 0);
    },
    summary() {
      return [...seen].map(([message, k]) => `${k}× ${message}`).join('; ');
    },
  };
}

async function phase(label: string, n: number): Promise<PhaseResult> {
  const rssStart = serverRss();
  const latencies: number[] = [];
  const clients: Client[] = [];
  const connectFailures = failureLog(label, 'a client');
  // In batches, so that the connects do not wait in the listen backlog.
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(100, n - i) }, (_, k) =>
        connect(i + k < Math.round(n * SLOW_SHARE), latencies),
      ),
    );
    for (const r of batch)
      if (r.status === 'fulfilled') clients.push(r.value);
      else connectFailures.add(r.reason);
    if (n > 100) console.log(`[${label}] ${clients.length}/${n} clients connected and subscribed`);
  }
  const slowCount = clients.filter((c) => c.slow).length;
  console.log(
    `[${label}] ${clients.length} clients connected and subscribed (${slowCount} slow), ${connectFailures.count} failed; running ${SECONDS} s`,
  );
  const before = await serverCounters();
  const count = () =>
    clients.reduce((a, c) => ({ messages: a.messages + c.messages, bytes: a.bytes + c.bytes }), {
      messages: 0,
      bytes: 0,
    });
  const at0 = count();
  let peak = rssStart;
  const t0 = Date.now();
  const sampler = setInterval(() => (peak = Math.max(peak, serverRss())), 250);
  const probeFailures = failureLog(label, 'a probe');
  const probesBefore = probes.count;
  const prober = setInterval(
    () => probes.send().catch((err: unknown) => probeFailures.add(err)),
    PROBE_EVERY_MS,
  );
  let last = { t: t0, ...at0 };
  let peakBuffered = 0;
  let peakKernel = 0;
  const progress = setInterval(async () => {
    const srv = await serverCounters().catch(() => undefined);
    if (!srv) return;
    peakBuffered = Math.max(peakBuffered, srv.buffered);
    const kernel = kernelQueues();
    peakKernel = Math.max(peakKernel, kernel.serverSend + kernel.clientReceive);
    const now = { t: Date.now(), ...count() };
    const s = (now.t - last.t) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    const closed = clients.filter((c) => c.closed !== undefined).length;
    console.log(
      `[${label} ${Math.round((now.t - t0) / 1000)} s] ${clients.length - closed} open, ${closed} closed; ${fmt((now.messages - last.messages) / s)} msg/s, ${((now.bytes - last.bytes) / s / 1e6).toFixed(1)} MB/s received; fast-client latency so far p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms (${fmt(sorted.length)}); server RSS ${mib(serverRss())}, holding ${(srv.buffered / 1e6).toFixed(2)} MB unsent (kernel: ${(kernel.serverSend / 1e6).toFixed(1)} MB in its send queues, ${(kernel.clientReceive / 1e6).toFixed(1)} MB unread by clients); ${fmt(srv.skipped - before.skipped)} flushes skipped, ${srv.closedSlow - before.closedSlow} closed as too slow`,
    );
    last = now;
  }, 5000);
  await sleep(SECONDS * 1000 * SLOW_RESUME);
  for (const c of clients) if (c.slow) c.ws.resume();
  await sleep(SECONDS * 1000 * (1 - SLOW_RESUME));
  clearInterval(prober);
  // The last probes' updates: one flush interval and the pipeline's delay.
  await sleep(1500);
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(progress);
  clearInterval(sampler);
  const rssEnd = serverRss();
  const after = await serverCounters();
  const at1 = count();
  const slowClosedCodes = new Map<number, number>();
  for (const c of clients)
    if (c.slow && c.closed !== undefined)
      slowClosedCodes.set(c.closed, (slowClosedCodes.get(c.closed) ?? 0) + 1);
  const fastClosed = clients.filter((c) => !c.slow && c.closed !== undefined).length;
  if (fastClosed > 0) console.log(`[${label}] ${fastClosed} FAST clients were closed by the server`);
  const result: PhaseResult = {
    label,
    clients: clients.length,
    latencies: latencies.sort((a, b) => a - b),
    seconds,
    messages: at1.messages - at0.messages,
    bytes: at1.bytes - at0.bytes,
    alerts: clients.reduce((a, c) => a + c.alerts, 0),
    rss: { start: rssStart, peak: Math.max(peak, rssEnd), end: rssEnd },
    counters: {
      sent: after.sent - before.sent,
      skipped: after.skipped - before.skipped,
      closedSlow: after.closedSlow - before.closedSlow,
      buffered: Math.max(peakBuffered, after.buffered),
    },
    kernelPeak: peakKernel,
    slow: slowCount,
    slowClosedCodes,
    slowOpen: clients.filter((c) => c.slow && c.closed === undefined).length,
    failedConnects: connectFailures.count,
    probes: { sent: probes.count - probesBefore, failed: probeFailures.count },
  };
  if (connectFailures.count > 0) console.log(`[${label}] clients that failed: ${connectFailures.summary()}`);
  if (probeFailures.count > 0) console.log(`[${label}] probes that failed: ${probeFailures.summary()}`);
  for (const c of clients) c.ws.terminate();
  // The next phase starts from a server with no clients.
  while ((await serverMetric('pulsewatch_ws_clients')) > 0) await sleep(100);
  return result;
}

function report(r: PhaseResult, base?: PhaseResult): void {
  const l = r.latencies;
  const ratio = (a: number, b: number | undefined) =>
    b === undefined ? '' : ` (${(a / b).toFixed(2)}× baseline)`;
  const p99 = percentile(l, 99);
  console.log(`\n${r.label}: ${r.clients} clients (${r.slow} slow), ${r.seconds.toFixed(1)} s`);
  // A failed probe may still have been ingested, or not: the latencies after it may be off by one.
  console.log(
    `  failures: ${r.failedConnects} clients did not connect and subscribe (left out); ${r.probes.failed} of ${fmt(r.probes.sent)} probes failed${r.probes.failed > 0 ? ' (latencies after the first may be off by a probe interval)' : ''}`,
  );
  console.log(
    `  update latency, fast clients: p50 ${percentile(l, 50)} ms, p95 ${percentile(l, 95)} ms, p99 ${p99} ms${ratio(p99, base && percentile(base.latencies, 99))}, max ${l[l.length - 1]} ms (${fmt(l.length)} samples: ${Math.round(l.length / Math.max(1, r.clients - r.slow))} probes × ${r.clients - r.slow} clients)`,
  );
  const perS = r.messages / r.seconds;
  console.log(
    `  delivered: ${fmt(perS)} messages/s, ${(r.bytes / r.seconds / 1e6).toFixed(1)} MB/s to all clients; ${fmt(perS / r.clients)} messages/s per client${ratio(perS / r.clients, base && base.messages / base.seconds / base.clients)}; ${fmt(r.counters.sent / r.seconds)} messages/s sent by the server; ${r.alerts} alert messages`,
  );
  console.log(
    `  server RSS: start ${mib(r.rss.start)}, peak ${mib(r.rss.peak)}${ratio(r.rss.peak, base?.rss.peak)}, end ${mib(r.rss.end)}`,
  );
  const codes = [...r.slowClosedCodes].map(([code, k]) => `${k} with ${code}`).join(', ') || 'none';
  console.log(
    `  server: at most ${(r.counters.buffered / 1e6).toFixed(2)} MB held unsent for all clients (pulsewatch_ws_buffered_bytes, read every 5 s), while the kernel held up to ${(r.kernelPeak / 1e6).toFixed(1)} MB in the connections' socket queues; ${fmt(r.counters.skipped)} flushes skipped for slow clients; ${r.counters.closedSlow} clients closed for staying too slow. Slow clients closed: ${codes}; ${r.slowOpen} still open (caught up)`,
  );
}

console.log(
  `server: pulsewatch start (embedded default, pid ${pid}) at ${url}; synthetic ${RATE} posts/s; probes every ${PROBE_EVERY_MS} ms; node ${process.version}`,
);
console.log(`warming up ${WARMUP} s (server RSS ${mib(serverRss())} at ready)`);
await sleep(WARMUP * 1000);
const baseline = BASELINE_CLIENTS > 0 ? await phase('baseline', BASELINE_CLIENTS) : undefined;
const main = await phase('main', CLIENTS);
stopServer();
await server.exited;
rmSync(dir, { recursive: true, force: true });

console.log(
  '\nUpdate latency: from just before the bench POSTs a probe post (brand "Bench Probe") to /v1/events, to the moment a fast client receives the brand:bench-probe update whose 1h windows count it; both times on the bench\'s clock. It includes HTTP ingest, the in-process bus, enrich, stage 2, the live hub, the flush interval (conflation, --ws-flush-interval-ms) and this process\'s own event-loop delay with every client in it.',
);
if (baseline) report(baseline);
report(main, baseline);
process.exit(0);
