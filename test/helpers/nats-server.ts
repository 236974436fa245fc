import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';

/** The shared NATS server of the test machine (`PW_NATS_URL`). */
export function natsUrl(): string {
  return process.env.PW_NATS_URL ?? 'nats://127.0.0.1:4222';
}

/** The reason to skip, or false when a JetStream-enabled server answers at `url`. */
export async function natsUnavailable(url = natsUrl()): Promise<string | false> {
  try {
    const nc = await connect({ servers: url, timeout: 2_000, reconnect: false });
    try {
      await nc.jetstreamManager({ timeout: 2_000 });
    } finally {
      await nc.close();
    }
    return false;
  } catch (err) {
    return `no NATS JetStream at ${url} (${err instanceof Error ? err.message : String(err)}); set PW_NATS_URL`;
  }
}

/** Deletes streams (best effort), so tests on a shared server leave nothing behind. */
export async function deleteStreams(url: string, names: Iterable<string>): Promise<void> {
  const nc = await connect({ servers: url, timeout: 2_000, reconnect: false });
  try {
    const jsm = await nc.jetstreamManager({ timeout: 2_000 });
    for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** The nats-server binary: `PW_NATS_SERVER_BIN`, else Debian's `/usr/sbin/nats-server`, else the PATH. */
export function natsServerBinary(): string {
  const fromEnv = process.env.PW_NATS_SERVER_BIN;
  if (fromEnv) return fromEnv;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
}

export interface PrivateNatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** HTTP monitoring port (`/healthz`, `/varz`, `/jsz`). */
  readonly monitorPort: number;
  /** JetStream store directory; it survives `stop`, `kill` and `restart`. */
  readonly storeDir: string;
  readonly running: boolean;
  /** SIGTERM, and wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** SIGKILL, and wait for the exit: a crash, with no chance to flush. */
  kill(): Promise<void>;
  /** Stops it if it runs, then starts it again on the same ports and store, and waits until ready. */
  restart(): Promise<void>;
  /** Stops it and deletes its store directory. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 10_000;
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts a private `nats-server -js` on free ports with its own temporary store directory, and
 * waits until JetStream is ready (`/healthz`) and the client port accepts connections. For fault
 * tests: never stop the machine's shared server.
 */
export async function startNatsServer(options: { binary?: string } = {}): Promise<PrivateNatsServer> {
  const binary = options.binary ?? natsServerBinary();
  const storeDir = await mkdtemp(join(tmpdir(), 'pw-nats-'));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test that crashes must not leave servers behind.
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  let lastError: unknown;
  // Another process may take a port between choosing it and binding it: try fresh ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = new NatsServerProcess(binary, await freePort(), await freePort(), storeDir);
    try {
      await server.start();
      return server;
    } catch (err) {
      lastError = err;
      await server.kill();
    }
  }
  await rm(storeDir, { recursive: true, force: true });
  throw lastError;
}

class NatsServerProcess implements PrivateNatsServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log: string[] = [];

  constructor(
    private readonly binary: string,
    readonly port: number,
    readonly monitorPort: number,
    readonly storeDir: string,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const args = ['-js', '-a', '127.0.0.1', '-p', `${this.port}`, '-m', `${this.monitorPort}`];
    args.push('-sd', this.storeDir, '-n', `pw-test-${this.port}`);
    const child = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    children.add(child);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.log.push(...chunk.split('\n').filter(Boolean));
      if (this.log.length > 50) this.log = this.log.slice(-50);
    });
    this.exited = new Promise<void>((resolve) => {
      const done = () => {
        children.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      };
      child.once('exit', done);
      child.once('error', (err) => {
        this.log.push(String(err));
        done();
      });
    });
    await this.waitReady();
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`nats-server exited while starting:\n${this.log.join('\n')}`);
      if ((await this.healthy()) && (await accepts(this.port))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server not ready after ${READY_TIMEOUT_MS} ms:\n${this.log.join('\n')}`);
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.monitorPort}/healthz`, {
        signal: AbortSignal.timeout(1_000),
      });
      return res.ok;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(sig);
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((r) => (timer = setTimeout(() => r('slow'), EXIT_TIMEOUT_MS)));
    const outcome = await Promise.race([this.exited, slow]);
    clearTimeout(timer);
    if (outcome === 'slow') {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
