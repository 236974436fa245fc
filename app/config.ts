import { parseWindow, type WindowSpec } from '../stream/index.js';

/**
 * Every setting of the process, read from flags and environment variables (flags win), with
 * defaults that run the embedded mode. Each one is documented in the README's configuration table
 * (a test checks that the table lists them all).
 */
export interface Config {
  mode: 'embedded';
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  partitions: number;
  windows: WindowSpec[];
  outOfOrdernessMs: number;
  allowedLatenessMs: number;
  brandsFile: string | undefined;
  synthetic: boolean;
  syntheticRate: number;
  syntheticSeed: number;
  syntheticBackfillMinutes: number;
  syntheticSpikes: string;
  ingestBodyLimit: number;
  ingestMaxLineBytes: number;
  wsFlushIntervalMs: number;
  wsMaxBufferedBytes: number;
  storeMaxWindows: number;
}

export interface Setting {
  key: keyof Config;
  flag: string;
  env: string;
  default: string;
  description: string;
}

export const SETTINGS: Setting[] = [
  {
    key: 'mode',
    flag: '--mode',
    env: 'PW_MODE',
    default: 'embedded',
    description:
      'How to run: `embedded` (one process, in-memory bus and store). Services mode comes with the services release.',
  },
  {
    key: 'host',
    flag: '--host',
    env: 'PW_HOST',
    default: '127.0.0.1',
    description: 'Address the HTTP server binds; `0.0.0.0` to listen on every interface.',
  },
  {
    key: 'port',
    flag: '--port',
    env: 'PW_PORT',
    default: '8080',
    description: 'HTTP port; `0` picks a free one.',
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: 'PW_LOG_LEVEL',
    default: 'info',
    description: 'fatal, error, warn, info, debug, trace or silent.',
  },
  {
    key: 'partitions',
    flag: '--partitions',
    env: 'PW_PARTITIONS',
    default: '4',
    description: 'Partitions of the event subjects; events are partitioned by author id.',
  },
  {
    key: 'windows',
    flag: '--windows',
    env: 'PW_WINDOWS',
    default: '1m,1h',
    description: 'Tumbling window sizes, comma-separated (s, m, h, d units; each must divide a day).',
  },
  {
    key: 'outOfOrdernessMs',
    flag: '--out-of-orderness-ms',
    env: 'PW_OUT_OF_ORDERNESS_MS',
    default: '5000',
    description: 'Watermark = highest event time seen minus this.',
  },
  {
    key: 'allowedLatenessMs',
    flag: '--allowed-lateness-ms',
    env: 'PW_ALLOWED_LATENESS_MS',
    default: '60000',
    description:
      'A window stays open for updates this long after the watermark passes its end; later events are counted as late and dead-lettered.',
  },
  {
    key: 'brandsFile',
    flag: '--brands',
    env: 'PW_BRANDS_FILE',
    default: '',
    description:
      'JSON file with an array of brands `{name, aliases?, handles?, kind?}`; empty uses the four demo brands.',
  },
  {
    key: 'synthetic',
    flag: '--synthetic',
    env: 'PW_SYNTHETIC',
    default: 'true',
    description: 'Run the built-in synthetic traffic generator.',
  },
  {
    key: 'syntheticRate',
    flag: '--synthetic-rate',
    env: 'PW_SYNTHETIC_RATE',
    default: '50',
    description: 'Mean synthetic posts per second (the daily curve moves it up and down).',
  },
  {
    key: 'syntheticSeed',
    flag: '--synthetic-seed',
    env: 'PW_SYNTHETIC_SEED',
    default: '42',
    description: 'Seed of the synthetic generator; the same seed gives the same events.',
  },
  {
    key: 'syntheticBackfillMinutes',
    flag: '--synthetic-backfill-minutes',
    env: 'PW_SYNTHETIC_BACKFILL_MINUTES',
    default: '30',
    description: 'Minutes of history generated at start, so charts are not empty.',
  },
  {
    key: 'syntheticSpikes',
    flag: '--synthetic-spikes',
    env: 'PW_SYNTHETIC_SPIKES',
    default: 'northwind-coffee@+2m/3m*4',
    description:
      'Injected negative spikes: `brand@start/duration*volume`, comma-separated; start is `+Nm` after launch or an ISO time. Empty for none.',
  },
  {
    key: 'ingestBodyLimit',
    flag: '--ingest-body-limit',
    env: 'PW_INGEST_BODY_LIMIT',
    default: '10485760',
    description: 'Largest `POST /v1/events` body in bytes; larger gets 413.',
  },
  {
    key: 'ingestMaxLineBytes',
    flag: '--ingest-max-line-bytes',
    env: 'PW_INGEST_MAX_LINE_BYTES',
    default: '262144',
    description: 'Largest single NDJSON line in bytes; a longer line is rejected as `line_too_long`.',
  },
  {
    key: 'wsFlushIntervalMs',
    flag: '--ws-flush-interval-ms',
    env: 'PW_WS_FLUSH_INTERVAL_MS',
    default: '250',
    description: 'Least time between two updates of one WebSocket channel to one client.',
  },
  {
    key: 'wsMaxBufferedBytes',
    flag: '--ws-max-buffered-bytes',
    env: 'PW_WS_MAX_BUFFERED_BYTES',
    default: '1048576',
    description:
      'A WebSocket client with more unsent bytes than this is skipped (its updates conflate) until it catches up.',
  },
  {
    key: 'storeMaxWindows',
    flag: '--store-max-windows',
    env: 'PW_STORE_MAX_WINDOWS',
    default: '10080',
    description: 'In-memory store: windows kept per brand and window size (10,080 = a week of minutes).',
  },
];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function int(s: Setting, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || n < min || n > max)
    throw new ConfigError(`${s.flag} / ${s.env}: expected an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

function num(s: Setting, v: string, min: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min)
    throw new ConfigError(`${s.flag} / ${s.env}: expected a number ≥ ${min}, got "${v}"`);
  return n;
}

function bool(s: Setting, v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${s.flag} / ${s.env}: expected true or false, got "${v}"`);
}

function parseValue(s: Setting, v: string): Config[keyof Config] {
  switch (s.key) {
    case 'mode':
      if (v !== 'embedded')
        throw new ConfigError(`${s.flag}: only "embedded" is available in this release, got "${v}"`);
      return v;
    case 'host':
    case 'syntheticSpikes':
      return v;
    case 'brandsFile':
      return v === '' ? undefined : v;
    case 'logLevel':
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v))
        throw new ConfigError(`${s.flag}: unknown log level "${v}"`);
      return v as Config['logLevel'];
    case 'port':
      return int(s, v, 0, 65535);
    case 'partitions':
      return int(s, v, 1, 1024);
    case 'windows': {
      const names = v
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean);
      if (names.length === 0) throw new ConfigError(`${s.flag}: at least one window is needed`);
      try {
        const specs = names.map(parseWindow);
        if (new Set(specs.map((w) => w.sizeMs)).size !== specs.length)
          throw new RangeError('a window size is listed twice');
        return specs.sort((a, b) => a.sizeMs - b.sizeMs);
      } catch (err) {
        throw new ConfigError(`${s.flag}: ${(err as Error).message}`);
      }
    }
    case 'synthetic':
      return bool(s, v);
    case 'syntheticRate':
      return num(s, v, 0);
    case 'outOfOrdernessMs':
    case 'allowedLatenessMs':
    case 'syntheticSeed':
    case 'syntheticBackfillMinutes':
      return int(s, v, 0);
    case 'ingestBodyLimit':
    case 'ingestMaxLineBytes':
    case 'wsMaxBufferedBytes':
      return int(s, v, 1024);
    case 'wsFlushIntervalMs':
      return int(s, v, 10, 60_000);
    case 'storeMaxWindows':
      return int(s, v, 1);
  }
}

/** Reads flags (`--name value`, `--name=value`, `--no-name` for booleans) over environment over defaults. */
export function loadConfig(argv: string[], env: Record<string, string | undefined>): Config {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg : arg.slice(0, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined && name.startsWith('--no-')) {
      name = `--${name.slice(5)}`;
      value = 'false';
    }
    const setting = SETTINGS.find((s) => s.flag === name);
    if (!setting) throw new ConfigError(`unknown flag ${name}; run with --help for the list`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (setting.key === 'synthetic' && (next === undefined || next.startsWith('--'))) value = 'true';
      else if (next === undefined) throw new ConfigError(`${name} needs a value`);
      else {
        value = next;
        i++;
      }
    }
    flags.set(name, value);
  }
  const config: Partial<Record<keyof Config, unknown>> = {};
  for (const s of SETTINGS) {
    const raw = flags.get(s.flag) ?? env[s.env] ?? s.default;
    config[s.key] = parseValue(s, raw);
  }
  return config as unknown as Config;
}

export function helpText(): string {
  const lines = [
    'Usage: pulsewatch start [flags]',
    '',
    'Flags (each also read from its environment variable):',
    '',
  ];
  for (const s of SETTINGS)
    lines.push(
      `  ${s.flag.padEnd(30)} ${s.env.padEnd(30)} default: ${s.default || '(empty)'}`,
      `      ${s.description}`,
    );
  return lines.join('\n');
}
