/**
 * Startup benchmark: how long a new user waits. It spawns `pulsewatch start` (embedded, default
 * flags, a free port) and times, from the spawn:
 * - the ready line on stdout,
 * - the first 200 on `/healthz` (the process serves HTTP) and on `/readyz` (the pipeline runs),
 * - the first WebSocket `update`, subscribed to `brands` as the live page does.
 * Each once as `node dist/app/main.js start` and once as `npm start` (npm itself, and the
 * up-to-date check of the build in `prestart`). The baseline, measured in the same run, is
 * spawning `node -e ""` until it exits. Prints the median of `--runs` rounds, then exits.
 *
 *   npm run bench:startup -- [--runs 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { PROJECT_ROOT } from '../app/paths.js';

const runs = Number(argValue('runs', '3'));
const GIVE_UP_MS = 60_000;
const POLL_MS = 10;

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Milliseconds until `attempt` first returns true, tried every POLL_MS; gives up when `signal` aborts. */
async function timeUntil(
  t0: number,
  attempt: () => Promise<boolean>,
  what: string,
  signal: AbortSignal,
): Promise<number> {
  for (;;) {
    if (await attempt().catch(() => false)) return performance.now() - t0;
    if (signal.aborted) throw new Error(`no ${what} within ${Math.round(performance.now() - t0)} ms`);
    await sleep(POLL_MS);
  }
}

const answers = (url: string) => async () => {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status === 200;
};

/** Connects (retrying until the server listens), subscribes, and resolves at the first `update`. */
function firstUpdate(port: number, t0: number, signal: AbortSignal): Promise<number> {
  const attempt = () =>
    new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream`);
      const onAbort = () => end(false);
      const end = (got: boolean) => {
        signal.removeEventListener('abort', onAbort);
        ws.terminate();
        resolve(got);
      };
      ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', channels: ['brands'] })));
      ws.on('message', (data: WebSocket.RawData) => {
        if ((JSON.parse(data.toString()) as { type: string }).type === 'update') end(true);
      });
      ws.on('error', () => end(false));
      ws.on('close', () => end(false));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  return timeUntil(t0, attempt, 'WebSocket update', signal);
}

interface Startup {
  ready: number;
  healthz: number;
  readyz: number;
  update: number;
}

/** Starts `command`, times what a user waits for, and stops it (its whole process group). */
async function measure(command: string, args: string[], port: number): Promise<Startup> {
  const t0 = performance.now();
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/is running: open /.test(out)) resolve(performance.now() - t0);
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) =>
      reject(new Error(`${command} exited (${code}) before it was ready:\n${out}`)),
    );
  });
  const gaveUp = new AbortController();
  const timer = setTimeout(() => gaveUp.abort(), GIVE_UP_MS);
  try {
    const base = `http://127.0.0.1:${port}`;
    const [r, healthz, readyz, update] = await Promise.all([
      ready,
      timeUntil(t0, answers(`${base}/healthz`), '/healthz 200', gaveUp.signal),
      timeUntil(t0, answers(`${base}/readyz`), '/readyz 200', gaveUp.signal),
      firstUpdate(port, t0, gaveUp.signal),
    ]);
    return { ready: r, healthz, readyz, update };
  } finally {
    clearTimeout(timer);
    gaveUp.abort();
    await stop(child);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

async function baseline(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;

const LAUNCHES: [string, string, (port: number) => string[]][] = [
  [
    'node dist/app/main.js start',
    process.execPath,
    (port) => ['dist/app/main.js', 'start', '--port', String(port)],
  ],
  ['npm start', 'npm', (port) => ['start', '--silent', '--', '--port', String(port)]],
];

const base: number[] = [];
const results = new Map<string, Startup[]>(LAUNCHES.map(([name]) => [name, []]));
for (let round = 0; round < runs; round++) {
  for (let i = 0; i < 3; i++) base.push(await baseline());
  for (const [name, command, args] of LAUNCHES) {
    const port = await freePort();
    results.get(name)!.push(await measure(command, args(port), port));
  }
}

const b = median(base);
console.log(`startup, median of ${runs} rounds (node ${process.version}, embedded mode, default flags)`);
console.log(`baseline: spawning node -e "" until it exits: ${ms(b)}`);
for (const [name, rows] of results) {
  const m = (k: keyof Startup) => median(rows.map((r) => r[k]));
  console.log(
    `${name}: ready line ${ms(m('ready'))} (${(m('ready') / b).toFixed(1)}× baseline); ` +
      `/healthz 200 ${ms(m('healthz'))}; /readyz 200 ${ms(m('readyz'))}; first WebSocket update ${ms(m('update'))}`,
  );
}
