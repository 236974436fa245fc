/**
 * Campaign decisions benchmark: `POST /v1/campaigns/:id/decide` and `…/reward` of an API process in
 * services mode (campaign state in Redis through Lua, feedback to NATS), against a baseline measured
 * the same way in the same run: a no-op Fastify route (`POST /noop` → `{}`) in a process of its own.
 *
 *   npm run bench:bandits -- [--rate 5000] [--seconds 20] [--concurrency 64] [--arms 10] [--policy thompson]
 *                            [--reward-share 1] [--loop both|open|closed] [--warmup 3] [--cpu-prof DIR] [--json]
 *
 * Both servers are child processes (`pulsewatch start --mode services --role api` on a private NATS
 * server, its own ClickHouse database and Redis prefix, all removed at the end), so the load
 * client's CPU is not spent in the server's event loop. The load client is this process: node:http
 * with a keep-alive Agent of `--concurrency` sockets.
 * - open loop: decisions are scheduled at `--rate` per second (those of each millisecond together)
 *   and their latency counts from the scheduled time, so time queued behind slow requests (waiting
 *   in the client for one of the connections, when all are busy) counts: no coordinated omission.
 *   `--reward-share` of the decisions get a reward as soon as their decision comes back (1: every
 *   one); a reward's latency counts from then.
 * - closed loop: `--concurrency` clients, each sending a decision (and its reward) as soon as the
 *   last came back: the most decisions per second, latency from the send.
 * Each phase follows `--warmup` seconds at the rate, unmeasured, on the same connections: a server
 * idle while the other was measured answers its first burst far slower.
 * Server RSS is read from /proc/<pid>/status, CPU from /proc/<pid>/stat (Redis: INFO cpu, whoever its
 * clients), and the CPU of processes not of this benchmark from /proc/stat: on a shared machine, they
 * disturb the figures.
 * `--cpu-prof DIR` writes a CPU profile of the API process there. Progress goes to stderr; with
 * --json the last line is one JSON object. A benchmark, not a test: it never fails on timing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { isMain, numberFlag, parseFlags, runTool, UsageError, type FlagOptions } from '../app/flags.js';
import { PROJECT_ROOT } from '../app/paths.js';
import { spawnPulsewatch } from '../app/process.js';

const USAGE = `usage: npm run bench:bandits -- [--rate 5000] [--seconds 20] [--concurrency 64] [--arms 10]
         [--policy thompson] [--reward-share 1] [--loop both|open|closed] [--warmup 3] [--cpu-prof DIR] [--json]`;

const OPTIONS = {
  rate: { type: 'string', default: '5000' },
  seconds: { type: 'string', default: '20' },
  concurrency: { type: 'string', default: '64' },
  arms: { type: 'string', default: '10' },
  policy: { type: 'string', default: 'thompson' },
  'reward-share': { type: 'string', default: '1' },
  loop: { type: 'string', default: 'both' },
  warmup: { type: 'string', default: '3' },
  'cpu-prof': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

/** The issue's targets, reported (never asserted). */
const TARGET_P99_MS = 2;
const TARGET_RATE = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Most time an open-loop phase waits, after its last decision was scheduled, for the answers. */
const DRAIN_MS = 60_000;
const CLICKHOUSE = process.env.PW_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const REDIS = process.env.PW_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

type Log = (line: string) => void;
type Loop = 'open' | 'closed';

/** A server under load: where its two routes are, and how its answers read. */
interface Target {
  name: string;
  host: string;
  port: number;
  pid: number;
  decidePath: string;
  rewardPath: string;
  /** The decision id and arm of a decide answer. */
  decision(body: string, i: number): { id: string; arm: number };
}

interface Latencies {
  ok: number;
  /** ms, one per answered request with a 2xx status. */
  ms: number[];
}

interface PhaseResult {
  target: string;
  loop: Loop;
  seconds: number;
  decide: Latencies;
  reward: Latencies;
  /** Open loop: ms from a decision's scheduled time to its send (the load client's own lateness). */
  dispatchLag: number[];
  errors: Record<string, number>;
  unfinished: number;
  serverCpu: number;
  redisCpu: number;
  /** Cores busy with processes not of this benchmark (the machine's busy time less ours). */
  othersCpu: number;
  clientCpu: number;
  rssPeak: number;
  rssEnd: number;
}

interface Figures {
  per_second: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export async function main(argv: readonly string[], log: Log = console.log, progress: Log = console.error) {
  const { values: f } = parseFlags(argv, OPTIONS);
  if (f.help) {
    log(USAGE);
    return 0;
  }
  const rate = numberFlag('rate', f.rate, { min: 0, exclusive: true });
  const seconds = numberFlag('seconds', f.seconds, { min: 0, exclusive: true });
  const concurrency = numberFlag('concurrency', f.concurrency, { min: 1, integer: true });
  const arms = numberFlag('arms', f.arms, { min: 1, integer: true });
  const rewardShare = numberFlag('reward-share', f['reward-share'], { min: 0 });
  const warmup = numberFlag('warmup', f.warmup, { min: 0 });
  if (rewardShare > 1)
    throw new UsageError(`--reward-share: expected a number from 0 to 1, got "${f['reward-share']}"`);
  if (!['both', 'open', 'closed'].includes(f.loop))
    throw new UsageError(`--loop: expected both, open or closed, got "${f.loop}"`);
  const loops: Loop[] = f.loop === 'both' ? ['open', 'closed'] : [f.loop as Loop];
  const policy = f.policy;
  const settings = { rate, seconds, concurrency, arms, policy, rewardShare, warmup };

  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const redisPrefix = `pwbench:bandits:${id}:`;
  const database = `pw_bench_bandits_${id}`;
  const campaign = `bench-${id}`;
  const redis = new Redis(REDIS, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    progress(
      `bandits: ${policy}, ${arms} arms, reward share ${rewardShare}; open loop at ${rate.toLocaleString('en')} decisions/s; ` +
        `${seconds} s per phase after ${warmup} s of warm-up; ${concurrency} connections; node ${process.version}`,
    );
    const nats = await startNats();
    cleanups.push(nats.stop);
    const baseline = await startBaseline();
    cleanups.push(() => stopChild(baseline.child));
    // After the API process has stopped: it may write to its database and Redis prefix until then.
    cleanups.push(
      () => dropDatabase(database),
      () => clearPrefix(redis, redisPrefix),
    );
    const app = await startApi({ nats: nats.url, database, redisPrefix, id, cpuProf: f['cpu-prof'] });
    cleanups.push(() => stopChild(app.child));

    const created = await post(
      app.target,
      '/v1/campaigns',
      JSON.stringify({ id: campaign, arms: Array.from({ length: arms }, (_, i) => `arm-${i}`), policy }),
    );
    if (created.status !== 201)
      throw new UsageError(`creating the campaign: ${created.status} ${created.body}`);
    app.target.decidePath = `/v1/campaigns/${campaign}/decide`;
    app.target.rewardPath = `/v1/campaigns/${campaign}/reward`;
    const targets = [baseline.target, app.target];

    const ours = [nats.pid, app.target.pid, baseline.target.pid];
    const load = new Load(settings, redis, ours, progress);
    cleanups.push(async () => load.close());
    const results: PhaseResult[] = [];
    for (const loop of loops)
      for (const t of targets) {
        // Right before each phase, on the connections the phase uses: a server idle during the other
        // phases answers its first burst far slower (lazy compilation, new connections).
        if (warmup > 0) await load.open(t, warmup, false);
        results.push(loop === 'open' ? await load.open(t, seconds) : await load.closed(t));
      }
    const print = report(settings, results);
    for (const line of print.lines) log(line);
    if (f.json) log(JSON.stringify(print.json));
    return 0;
  } finally {
    for (const c of cleanups.reverse())
      await c().catch((err: unknown) => progress(`cleanup: ${String(err)}`));
    redis.disconnect();
  }
}

// ---- servers ----

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1', () => (s.end(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A NATS server of the benchmark's own, so the API's feedback stream mixes with no other run's. */
async function startNats(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-nats-'));
  const child = spawn(
    process.env.PW_NATS_SERVER_BIN ?? 'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !(await accepts(port)); i++) await sleep(100);
  if (!(await accepts(port))) {
    await stop();
    throw new Error(`nats-server did not listen on ${port}`);
  }
  return { url: `nats://127.0.0.1:${port}`, pid: child.pid!, stop };
}

async function startApi(o: {
  nats: string;
  database: string;
  redisPrefix: string;
  id: string;
  cpuProf: string | undefined;
}): Promise<{ child: ChildProcess; target: Target }> {
  const started = spawnPulsewatch(
    [
      '--mode',
      'services',
      '--role',
      'api',
      '--worker-id',
      `bench-api-${o.id}`,
      '--nats-url',
      o.nats,
      '--clickhouse-url',
      CLICKHOUSE,
      '--clickhouse-database',
      o.database,
      '--redis-url',
      REDIS,
      '--redis-prefix',
      o.redisPrefix,
      '--no-synthetic',
      '--sentiment-model',
      'rules',
      '--log-level',
      'warn',
      '--port',
      '0',
      '--insecure',
    ],
    {
      nodeArgs: o.cpuProf
        ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`, '--cpu-prof-name=api.cpuprofile']
        : [],
      stderr: 'inherit',
    },
  );
  const url = new URL(await started.ready);
  return {
    child: started.child,
    target: {
      name: 'pulsewatch',
      host: url.hostname,
      port: Number(url.port),
      pid: started.child.pid!,
      decidePath: '',
      rewardPath: '',
      decision(body) {
        const d = JSON.parse(body) as { decision_id: string; arm: string };
        return { id: d.decision_id, arm: Number(d.arm.slice(4)) };
      },
    },
  };
}

/** The baseline: Fastify with one no-op route, no logger, nothing else. */
const BASELINE = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.post('/noop', async () => ({}));
await app.listen({ host: '127.0.0.1', port: 0 });
console.log('listening on ' + app.server.address().port);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

async function startBaseline(): Promise<{ child: ChildProcess; target: Target }> {
  // Evaluated as a module from the project, so that 'fastify' resolves to the app's own copy.
  const child = spawn(process.execPath, ['--input-type=module', '-e', BASELINE], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the baseline server exited (${code}):\n${out}`)));
  });
  return {
    child,
    target: {
      name: 'no-op Fastify',
      host: '127.0.0.1',
      port,
      pid: child.pid!,
      decidePath: '/noop',
      rewardPath: '/noop',
      decision: (_body, i) => ({ id: `noop-${i}`, arm: 0 }),
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function dropDatabase(database: string): Promise<void> {
  const res = await fetch(`${CLICKHOUSE}/`, {
    method: 'POST',
    body: `DROP DATABASE IF EXISTS \`${database}\``,
  });
  if (!res.ok) throw new Error(`dropping ${database}: ${res.status} ${await res.text()}`);
}

/** Deletes every key under the benchmark's prefix (its campaign, arms and decisions). */
async function clearPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

// ---- measurements of processes ----

/** CPU seconds the process has used (user + system, every thread). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name and state
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident memory of the process (bytes). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU seconds the whole machine has been busy (every core; idle and I/O wait excluded). */
function machineCpuSeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  const t = ticks.slice(0, 8).map(Number);
  return (t.reduce((a, b) => a + b, 0) - t[3]! - t[4]!) / CLOCK_TICKS;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return get('used_cpu_user') + get('used_cpu_sys');
}

// ---- the load client ----

function post(
  t: Target,
  path: string,
  body: string,
  agent?: Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: t.host,
        port: t.port,
        path,
        method: 'POST',
        ...(agent && { agent }),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Chance of a click per arm: 5% for arm-0 up to 15% for the last, so the policy has a best arm to find. */
function clickChance(arm: number, arms: number): number {
  return arms === 1 ? 0.1 : 0.05 + (0.1 * arm) / (arms - 1);
}

class Load {
  /** One keep-alive Agent per server, kept over its phases and warm-ups. */
  private readonly agents = new Map<Target, Agent>();

  constructor(
    private readonly s: {
      rate: number;
      seconds: number;
      concurrency: number;
      arms: number;
      rewardShare: number;
    },
    private readonly redis: Redis,
    /** This benchmark's child processes, whose CPU is not "other processes". */
    private readonly ours: number[],
    private readonly progress: Log,
  ) {}

  /** Decisions at the rate for `seconds`, latency from the scheduled time; then the answers drained. */
  async open(t: Target, seconds: number, measured = true): Promise<PhaseResult> {
    const { rate } = this.s;
    const run = this.begin(t, 'open', measured);
    const total = Math.round(rate * seconds);
    let sent = 0;
    let ms = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.floor(performance.now() - run.start);
        // The decisions of each millisecond go out together, scheduled at its start.
        for (; ms <= due && sent < total; ms++) {
          const at = run.start + ms;
          const upTo = Math.min(total, Math.floor(((ms + 1) * rate) / 1000));
          for (; sent < upTo; sent++) void run.decide(sent, at);
        }
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const deadline = performance.now() + DRAIN_MS;
    while (run.inFlight() > 0 && performance.now() < deadline) await sleep(5);
    return run.end();
  }

  /** `concurrency` clients each sending the next decision (and its reward) when the last came back. */
  async closed(t: Target): Promise<PhaseResult> {
    const run = this.begin(t, 'closed', true);
    const deadline = run.start + this.s.seconds * 1000;
    let i = 0;
    await Promise.all(
      Array.from({ length: this.s.concurrency }, async () => {
        while (performance.now() < deadline) await run.decide(i++, performance.now());
      }),
    );
    return run.end();
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private begin(t: Target, loop: Loop, measured: boolean) {
    const { s, redis, ours, progress } = this;
    let agent = this.agents.get(t);
    if (!agent) this.agents.set(t, (agent = new Agent({ keepAlive: true, maxSockets: s.concurrency })));
    const decide: Latencies = { ok: 0, ms: [] };
    const reward: Latencies = { ok: 0, ms: [] };
    const dispatchLag: number[] = [];
    const errors: Record<string, number> = {};
    let inFlight = 0;
    /**
     * Requests due but waiting for a free connection, oldest first: held here rather than in the
     * Agent, so that an overloaded server does not cost the load client tens of thousands of
     * pending ClientRequests. Their latency still counts from when they were due.
     */
    const waiting: (() => void)[] = [];
    let next = 0;
    const pump = () => {
      while (inFlight < s.concurrency && next < waiting.length) waiting[next++]!();
      if (next === waiting.length) waiting.length = next = 0;
    };
    let rewardDebt = 0;
    let lastAnswer = 0;
    let rssPeak = 0;
    const label = measured ? `${loop} loop, ${t.name}` : `warm-up, ${t.name}`;
    const start = performance.now();
    const cpu0 = cpuSeconds(t.pid);
    const ours0 = ours.reduce((n, pid) => n + cpuSeconds(pid), 0);
    const machine0 = machineCpuSeconds();
    const client0 = process.cpuUsage();
    const redis0 = redisCpuSeconds(redis).catch(() => NaN);
    let shown = { at: start, decided: 0, rewarded: 0 };
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rss(t.pid));
      const now = performance.now();
      const per = (n: number) => Math.round((n * 1000) / (now - shown.at)).toLocaleString('en');
      const errs = Object.values(errors).reduce((a, b) => a + b, 0);
      progress(
        `  ${label} ${((now - start) / 1000).toFixed(0)} s: ${per(decide.ok - shown.decided)} decisions/s, ` +
          `${per(reward.ok - shown.rewarded)} rewards/s, ${inFlight} in flight, ${waiting.length - next} waiting, ${errs} errors`,
      );
      shown = { at: now, decided: decide.ok, rewarded: reward.ok };
    }, 1000);

    const fail = (what: string, why: string) => {
      const key = `${what} ${why}`;
      errors[key] = (errors[key] ?? 0) + 1;
    };
    const send = (what: 'decide' | 'reward', path: string, body: string, at: number) =>
      new Promise<string | undefined>((resolve) => {
        waiting.push(() => void transmit(what, path, body, at).then(resolve));
        pump();
      });
    const transmit = async (what: 'decide' | 'reward', path: string, body: string, at: number) => {
      inFlight++;
      try {
        const res = await post(t, path, body, agent);
        const now = performance.now();
        lastAnswer = now;
        if (res.status < 200 || res.status > 299) {
          fail(what, String(res.status));
          return undefined;
        }
        const into = what === 'decide' ? decide : reward;
        into.ok++;
        into.ms.push(now - at);
        return res.body;
      } catch (err) {
        fail(what, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
        return undefined;
      } finally {
        inFlight--;
        pump();
      }
    };
    const decideOne = async (i: number, at: number) => {
      if (loop === 'open') dispatchLag.push(performance.now() - at);
      const body = await send('decide', t.decidePath, `{"user":"u${i % 100_000}"}`, at);
      if (body === undefined) return;
      rewardDebt += s.rewardShare;
      if (rewardDebt < 1) return;
      rewardDebt -= 1;
      let d: { id: string; arm: number };
      try {
        d = t.decision(body, i);
      } catch {
        fail('decide', 'unreadable answer');
        return;
      }
      const value = Math.random() < clickChance(d.arm, s.arms) ? 1 : 0;
      await send('reward', t.rewardPath, JSON.stringify({ decision_id: d.id, value }), performance.now());
    };
    return {
      start,
      inFlight: () => inFlight + waiting.length - next,
      decide: decideOne,
      end: async (): Promise<PhaseResult> => {
        clearInterval(sampler);
        const unfinished = inFlight + waiting.length - next;
        waiting.length = next = 0;
        // What is still in flight after the drain must not spill into the next phase.
        if (unfinished > 0) {
          agent.destroy();
          this.agents.delete(t);
        }
        const client = process.cpuUsage(client0);
        const elapsed = (Math.max(lastAnswer, start + 1) - start) / 1000;
        // CPU over the whole phase, drain included
        const wall = (performance.now() - start) / 1000;
        const redisCpu = (await redisCpuSeconds(redis)) - (await redis0);
        const oursCpu = ours.reduce((n, pid) => n + cpuSeconds(pid), 0) - ours0;
        const othersCpu =
          machineCpuSeconds() - machine0 - oursCpu - redisCpu - (client.user + client.system) / 1e6;
        return {
          target: t.name,
          loop,
          seconds: elapsed,
          decide,
          reward,
          dispatchLag,
          errors,
          unfinished,
          serverCpu: (cpuSeconds(t.pid) - cpu0) / wall,
          redisCpu: redisCpu / wall,
          othersCpu: Math.max(0, othersCpu) / wall,
          clientCpu: (client.user + client.system) / 1e6 / wall,
          rssPeak: Math.max(rssPeak, rss(t.pid)),
          rssEnd: rss(t.pid),
        };
      },
    };
  }
}

// ---- the report ----

function figures(l: Latencies, seconds: number): Figures {
  const sorted = Float64Array.from(l.ms).sort();
  const at = (p: number) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return {
    per_second: l.ok / seconds,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
  };
}

function report(
  settings: {
    rate: number;
    seconds: number;
    concurrency: number;
    arms: number;
    policy: string;
    rewardShare: number;
  },
  results: PhaseResult[],
) {
  const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '-');
  const ms = (n: number) =>
    Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : int(n)) : '-';
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
  const lines: string[] = [];
  const cols = ['per s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'ok', 'errors'];
  lines.push(`${'phase'.padEnd(34)}${cols.map((c) => c.padStart(10)).join('')}`);
  const json: Record<string, unknown> = { settings };
  for (const r of results) {
    const errs = (what: string) =>
      Object.entries(r.errors)
        .filter(([k]) => k.startsWith(what))
        .reduce((n, [, v]) => n + v, 0);
    const row = (what: 'decide' | 'reward') => {
      const fig = figures(r[what], r.seconds);
      const name = r.target === 'pulsewatch' ? what : `noop (as ${what})`;
      lines.push(
        `${`${r.loop} ${r.target === 'pulsewatch' ? 'pulsewatch' : 'baseline'} ${name}`.padEnd(34)}` +
          [int(fig.per_second), ms(fig.p50), ms(fig.p90), ms(fig.p99), ms(fig.p999), ms(fig.max)]
            .concat([int(r[what].ok), int(errs(what))])
            .map((c) => c.padStart(10))
            .join(''),
      );
      return fig;
    };
    const key = `${r.loop}_${r.target === 'pulsewatch' ? 'pulsewatch' : 'baseline'}`;
    const lag = figures({ ok: r.dispatchLag.length, ms: r.dispatchLag }, r.seconds);
    json[key] = {
      decide: row('decide'),
      reward: row('reward'),
      errors: r.errors,
      unfinished: r.unfinished,
      seconds: r.seconds,
      server_cpu: r.serverCpu,
      redis_cpu: r.redisCpu,
      others_cpu: r.othersCpu,
      client_cpu: r.clientCpu,
      server_rss_peak_bytes: r.rssPeak,
      server_rss_end_bytes: r.rssEnd,
      ...(r.loop === 'open' && { dispatch_lag: { p50: lag.p50, p99: lag.p99, max: lag.max } }),
    };
  }
  lines.push('');
  for (const r of results) {
    const lag = figures({ ok: r.dispatchLag.length, ms: r.dispatchLag }, r.seconds);
    const errors = Object.entries(r.errors).map(([k, v]) => `${k}: ${int(v)}`);
    lines.push(
      `${r.loop} loop, ${r.target}: ${r.seconds.toFixed(1)} s; CPU of a core: server ${pct(r.serverCpu)}, ` +
        `Redis ${pct(r.redisCpu)}, load client ${pct(r.clientCpu)}, other processes ${pct(r.othersCpu)}; server RSS peak ${mib(r.rssPeak)}, end ${mib(r.rssEnd)}` +
        (r.loop === 'open' ? `; client dispatch lag p99 ${ms(lag.p99)} ms, max ${ms(lag.max)} ms` : '') +
        (errors.length > 0 ? `; errors ${errors.join(', ')}` : '') +
        (r.unfinished > 0 ? `; ${int(r.unfinished)} unanswered` : ''),
    );
  }
  for (const r of results)
    if (r.clientCpu >= 0.9)
      lines.push(
        `note: the load client used ${pct(r.clientCpu)} of a core in the ${r.loop} loop against ${r.target}: its figures are the client's limit, not the server's`,
      );
  const busiest = Math.max(...results.map((r) => r.othersCpu));
  if (busiest > 0.1)
    lines.push(
      `note: processes not of this benchmark used up to ${pct(busiest)} of a core during a phase: the figures are disturbed`,
    );
  lines.push('');
  const find = (loop: Loop, app: boolean) =>
    results.find((r) => r.loop === loop && (r.target === 'pulsewatch') === app);
  const summary: string[] = [];
  const open = [find('open', true), find('open', false)] as const;
  if (open[0] && open[1]) {
    const [a, b] = [figures(open[0].decide, open[0].seconds), figures(open[1].decide, open[1].seconds)];
    const met = a.p99 <= TARGET_P99_MS && a.per_second >= TARGET_RATE * 0.99;
    json.open = {
      decide: a,
      baseline: b,
      p99_ratio: a.p99 / b.p99,
      throughput_ratio: a.per_second / b.per_second,
    };
    json.target = { p99_ms: TARGET_P99_MS, per_second: TARGET_RATE, met };
    lines.push(
      `open loop at ${int(settings.rate)}/s: decide p99 ${ms(a.p99)} ms vs baseline ${ms(b.p99)} ms (${(a.p99 / b.p99).toFixed(1)}×); ` +
        `throughput ${int(a.per_second)} vs ${int(b.per_second)}/s (${(a.per_second / b.per_second).toFixed(2)}×)`,
    );
    summary.push(
      `decide p99 ${ms(a.p99)} ms at ${int(a.per_second)} decisions/s (target ≤ ${TARGET_P99_MS} ms at ≥ ${int(TARGET_RATE)}/s: ${met ? 'met' : 'NOT met'}; ${(a.p99 / b.p99).toFixed(1)}× the no-op Fastify p99)`,
    );
  }
  const closed = [find('closed', true), find('closed', false)] as const;
  if (closed[0] && closed[1]) {
    const [a, b] = [
      figures(closed[0].decide, closed[0].seconds),
      figures(closed[1].decide, closed[1].seconds),
    ];
    json.closed = {
      decide: a,
      baseline: b,
      p99_ratio: a.p99 / b.p99,
      throughput_ratio: a.per_second / b.per_second,
    };
    lines.push(
      `closed loop, ${settings.concurrency} clients: ${int(a.per_second)} decisions/s vs baseline ${int(b.per_second)}/s ` +
        `(${(a.per_second / b.per_second).toFixed(2)}×); decide p99 ${ms(a.p99)} ms vs ${ms(b.p99)} ms`,
    );
    summary.push(
      `at most ${int(a.per_second)} decisions/s (${(a.per_second / b.per_second).toFixed(2)}× the baseline)`,
    );
  }
  lines.push(
    `bandits (${settings.policy}, ${settings.arms} arms, reward share ${settings.rewardShare}): ${summary.join('; ')}`,
  );
  return { lines, json };
}

if (isMain(import.meta.url)) runTool('bench:bandits', USAGE, () => main(process.argv.slice(2)));
