/**
 * A private clickhouse-server for tests that stop, kill or restart it (DESIGN.md: fault tests
 * never touch the machine's shared instance). It runs on free ports with a temporary data dir
 * and a small config, from Debian's binary (installed by `bash deploy/services.sh up`).
 *
 *   const server = await startClickHouseServer();
 *   t.teardown(() => server.dispose());
 *   ... server.url ...; await server.kill(); await server.restart();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retry } from '../../stream/index.js';

export interface ClickHouseServerOptions {
  /** The server binary. Default: env PW_CLICKHOUSE_SERVER_BIN, else clickhouse-server in /usr/sbin, /usr/bin or PATH. */
  binary?: string;
  /** How long start and restart wait for /ping. Default 30 s. */
  startTimeoutMs?: number;
}

/** A free TCP port on 127.0.0.1 (free when asked; the server binds it moments later). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function findBinary(): string {
  const fromEnv = process.env.PW_CLICKHOUSE_SERVER_BIN;
  if (fromEnv) return fromEnv;
  for (const candidate of ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server']) {
    if (existsSync(candidate)) return candidate;
  }
  return 'clickhouse-server';
}

class ServerExited extends Error {
  constructor(readonly log: string) {
    super(`clickhouse-server exited during start-up:\n${log}`);
  }
}

export class ClickHouseServer {
  readonly dir: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  private readonly binary: string;
  private readonly startTimeoutMs: number;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(dir: string, httpPort: number, tcpPort: number, options: ClickHouseServerOptions) {
    this.dir = dir;
    this.httpPort = httpPort;
    this.tcpPort = tcpPort;
    this.binary = options.binary ?? findBinary();
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.writeConfig();
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the server (on the same ports and data) and waits until /ping answers. */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    const out = openSync(join(this.dir, 'server.out.log'), 'a');
    const child = spawn(this.binary, [`--config-file=${join(this.dir, 'config.xml')}`], {
      cwd: this.dir,
      stdio: ['ignore', out, out],
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin` },
    });
    closeSync(out);
    let spawnError: string | undefined;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) this.child = undefined;
        process.off('exit', this.killOnExit);
        resolve();
      });
      child.once('error', (err) => {
        spawnError = `${err.message}: is clickhouse-server installed? bash deploy/services.sh up installs it`;
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    process.once('exit', this.killOnExit);
    const deadline = Date.now() + this.startTimeoutMs;
    await retry(
      async () => {
        if (this.child !== child) throw new ServerExited(spawnError ?? this.logTail());
        await ping(this.url);
      },
      {
        retries: Infinity,
        initialMs: 25,
        maxMs: 200,
        retryable: (err) => !(err instanceof ServerExited) && Date.now() < deadline,
      },
    );
  }

  /**
   * SIGTERM: a clean shutdown; resolves when the process has exited. 18.16 takes 2 s idle and
   * up to about 10 s while clients hold keep-alive connections; kill() is immediate.
   */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: a crash; resolves when the process has exited. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Kills the server and removes its data. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last lines the server wrote to its logs, for failure messages. */
  logTail(lines = 20): string {
    return ['server.err.log', 'server.out.log']
      .map((name) => join(this.dir, name))
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'))
      .join('\n');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    // A clean shutdown can take a while; after 30 s it is a kill.
    const hard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(hard);
  }

  private writeConfig(): void {
    const data = join(this.dir, 'data');
    mkdirSync(data, { recursive: true });
    // <yandex>: the root element 18.16 knows (current releases accept it too).
    writeFileSync(
      join(this.dir, 'config.xml'),
      `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${join(this.dir, 'server.log')}</log>
    <errorlog>${join(this.dir, 'server.err.log')}</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${this.httpPort}</http_port>
  <tcp_port>${this.tcpPort}</tcp_port>
  <path>${data}/</path>
  <tmp_path>${data}/tmp/</tmp_path>
  <user_files_path>${data}/user_files/</user_files_path>
  <format_schema_path>${data}/format_schemas/</format_schema_path>
  <users_config>${join(this.dir, 'users.xml')}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
</yandex>
`,
    );
    writeFileSync(
      join(this.dir, 'users.xml'),
      `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`,
    );
  }
}

async function ping(url: string): Promise<void> {
  const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) });
  const body = await res.text();
  if (!res.ok || body.trim() !== 'Ok.') throw new Error(`ping: ${res.status} ${body}`);
}

/**
 * Starts a private clickhouse-server on free ports with a temporary data dir. A start that loses
 * its ports to another process in the moment between choosing and binding is tried again.
 */
export async function startClickHouseServer(
  options: ClickHouseServerOptions = {},
): Promise<ClickHouseServer> {
  return retry(
    async () => {
      const [httpPort, tcpPort] = (await freePorts(2)) as [number, number];
      const dir = mkdtempSync(join(tmpdir(), 'pw-clickhouse-'));
      const server = new ClickHouseServer(dir, httpPort, tcpPort, options);
      try {
        await server.restart();
      } catch (err) {
        await server.dispose();
        throw err;
      }
      return server;
    },
    { retries: 2, initialMs: 50, retryable: (err) => err instanceof ServerExited && /in use/i.test(err.log) },
  );
}
