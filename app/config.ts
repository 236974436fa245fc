import { hostname } from 'node:os';
import {
  DEFAULT_ANALYTICS,
  MAX_SEGMENT_AUTHORS,
  OPERATOR_NAMES,
  parseLabelMap,
  parseWindow,
  SelectionPolicy,
  type WindowSpec,
} from '../stream/index.js';
import { ApiKeys, MIN_KEY_LENGTH, parsePlainKeys, plainKeyRecords } from '../api/index.js';
import { normalizeOrigin } from '../api/plugins/origin.js';
import { DEFAULT_JETSTREAM_URL } from '../ingest/connectors/bluesky.js';
import { parseTimeline } from '../ingest/connectors/mastodon.js';

export const ROLES = ['all', 'ingest', 'enrich', 'aggregate', 'api'] as const;
export type Role = (typeof ROLES)[number];

/** What a parser knows of its setting: the names to put in an error message. */
export interface SettingName {
  flag: string;
  env: string;
}

interface SettingDef extends SettingName {
  /** The field of Config it fills. */
  key: string;
  /** The value when neither the flag nor the environment variable is given. */
  default: string;
  /** One paragraph for --help and the README's configuration table. */
  description: string;
  /** Parses and checks a value; throws a ConfigError naming the flag and variable. */
  parse: (value: string, s: SettingName) => unknown;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const int =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (v: string, s: SettingName): number => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || n < min || n > max)
      throw new ConfigError(`${s.flag} / ${s.env}: expected an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };

const num =
  (min: number) =>
  (v: string, s: SettingName): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min)
      throw new ConfigError(`${s.flag} / ${s.env}: expected a number ≥ ${min}, got "${v}"`);
    return n;
  };

const bool = (v: string, s: SettingName): boolean => {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${s.flag} / ${s.env}: expected true or false, got "${v}"`);
};

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: string, s: SettingName): T => {
    if (!(values as readonly string[]).includes(v))
      throw new ConfigError(`${s.flag} / ${s.env}: expected one of ${values.join(', ')}, got "${v}"`);
    return v as T;
  };

const text = (v: string): string => v;

const oneWindow = (v: string, s: SettingName): WindowSpec => {
  try {
    return parseWindow(v);
  } catch (err) {
    throw new ConfigError(`${s.flag} / ${s.env}: ${(err as Error).message}`);
  }
};

/** A value that `check` accepts, else a ConfigError with its message. */
const checked =
  (check: (v: string) => unknown) =>
  (v: string, s: SettingName): string => {
    try {
      check(v);
    } catch (err) {
      throw new ConfigError(`${s.flag} / ${s.env}: ${(err as Error).message}`);
    }
    return v;
  };

const url =
  (schemes: string[]) =>
  (v: string, s: SettingName): string => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(`${s.flag} / ${s.env}: not a URL: "${v}"`);
    }
    if (!schemes.includes(u.protocol))
      throw new ConfigError(`${s.flag} / ${s.env}: expected ${schemes.join(' or ')} URL, got "${v}"`);
    return v;
  };

const origins = (v: string, s: SettingName): string[] => {
  try {
    return [
      ...new Set(
        v
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean)
          .map(normalizeOrigin),
      ),
    ];
  } catch (err) {
    throw new ConfigError(`${s.flag} / ${s.env}: ${(err as Error).message}`);
  }
};

const operators = (v: string, s: SettingName): string[] => {
  const names = [
    ...new Set(
      v
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    ),
  ];
  for (const name of names)
    if (!OPERATOR_NAMES.includes(name))
      throw new ConfigError(
        `${s.flag} / ${s.env}: unknown operator "${name}"; choose from ${OPERATOR_NAMES.join(', ')}`,
      );
  return names;
};

const windows = (v: string, s: SettingName): WindowSpec[] => {
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
};

/**
 * Every setting of the process, read from flags and environment variables (flags win), with
 * defaults that run the embedded mode. The Config type is derived from this table, and each
 * setting is documented in the README's configuration table (a test checks that it lists them all).
 */
const DEFINITIONS = [
  {
    key: 'mode',
    flag: '--mode',
    env: 'PW_MODE',
    default: 'embedded',
    parse: oneOf(['embedded', 'services'] as const),
    description:
      '`embedded`: one process, in-process bus, in-memory store, no services. `services`: NATS JetStream, ClickHouse and Redis (see `deploy/`).',
  },
  {
    key: 'role',
    flag: '--role',
    env: 'PW_ROLE',
    default: 'all',
    parse: oneOf(ROLES),
    description:
      'Services mode: what this process runs. `ingest` (HTTP ingest and synthetic traffic), `enrich` (stage 1 to `social.enriched`), `aggregate` (stage 2 windows to ClickHouse), `api` (REST, WebSocket, page), or `all`.',
  },
  {
    key: 'workerId',
    flag: '--worker-id',
    env: 'PW_WORKER_ID',
    default: '',
    parse: (v) => v || `${hostname()}-${process.pid}`,
    description:
      'Name of this worker in partition leases; empty uses `<hostname>-<pid>`. Must be unique among live workers.',
  },
  {
    key: 'host',
    flag: '--host',
    env: 'PW_HOST',
    default: '127.0.0.1',
    parse: text,
    description: 'Address the HTTP server binds; `0.0.0.0` to listen on every interface.',
  },
  {
    key: 'port',
    flag: '--port',
    env: 'PW_PORT',
    default: '8080',
    parse: int(0, 65535),
    description: 'HTTP port; `0` picks a free one.',
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: 'PW_LOG_LEVEL',
    default: 'info',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    description: 'fatal, error, warn, info, debug, trace or silent. Logs go to stdout (see `--log-format`).',
  },
  {
    key: 'logFormat',
    flag: '--log-format',
    env: 'PW_LOG_FORMAT',
    default: 'auto',
    parse: oneOf(['auto', 'json', 'pretty'] as const),
    description:
      '`json`: one JSON object per line (pino), for log shippers. `pretty`: one readable, coloured line per record (pino-pretty). `auto`: `pretty` when stdout is a terminal, else `json`.',
  },
  {
    key: 'partitions',
    flag: '--partitions',
    env: 'PW_PARTITIONS',
    default: '4',
    parse: int(1, 1024),
    description:
      'Partitions of the event subjects; events are partitioned by author id. All processes of a deployment must agree.',
  },
  {
    key: 'windows',
    flag: '--windows',
    env: 'PW_WINDOWS',
    default: '1m,1h',
    parse: windows,
    description: 'Tumbling window sizes, comma-separated (units s, m, h, d; each must divide a day).',
  },
  {
    key: 'outOfOrdernessMs',
    flag: '--out-of-orderness-ms',
    env: 'PW_OUT_OF_ORDERNESS_MS',
    default: '5000',
    parse: int(0),
    description: 'Watermark = highest event time seen minus this.',
  },
  {
    key: 'allowedLatenessMs',
    flag: '--allowed-lateness-ms',
    env: 'PW_ALLOWED_LATENESS_MS',
    default: '60000',
    parse: int(0),
    description:
      'A window stays open for updates this long after the watermark passes its end; later events are counted as late and dead-lettered.',
  },
  {
    key: 'aggregateInput',
    flag: '--aggregate-input',
    env: 'PW_AGGREGATE_INPUT',
    default: 'events',
    parse: oneOf(['events', 'enriched'] as const),
    description:
      "`events`: stage 2 reads `social.events` and enriches in the same process (fused, fastest). `enriched`: it reads stage 1's `social.enriched` (run `enrich` workers).",
  },
  {
    key: 'checkpointEveryEvents',
    flag: '--checkpoint-every-events',
    env: 'PW_CHECKPOINT_EVERY_EVENTS',
    default: '100000',
    parse: int(1),
    description: 'Stage 2 saves window state and input position after this many events…',
  },
  {
    key: 'checkpointEveryMs',
    flag: '--checkpoint-every-ms',
    env: 'PW_CHECKPOINT_EVERY_MS',
    default: '5000',
    parse: int(10),
    description: '…or after this much time, whichever comes first. A restart replays at most this much.',
  },
  {
    key: 'busEventsPerMessage',
    flag: '--bus-events-per-message',
    env: 'PW_BUS_EVENTS_PER_MESSAGE',
    default: '1000',
    parse: int(1, 100_000),
    description:
      'Ingest puts up to this many events of a request in one bus message per partition (and at most 512 KiB). `1` gives one message per event, which costs the bus far more.',
  },
  {
    key: 'operators',
    flag: '--operators',
    env: 'PW_OPERATORS',
    default: OPERATOR_NAMES.join(','),
    parse: operators,
    description: `The analyses stage 2 runs, comma-separated; an empty list runs none (stage 2 then only de-duplicates and counts late events). One of: ${OPERATOR_NAMES.join(', ')}.`,
  },
  {
    key: 'alertWindow',
    flag: '--alert-window',
    env: 'PW_ALERT_WINDOW',
    default: '1m',
    parse: oneWindow,
    description:
      'The window spike alerts judge (`spikes` operator): posts and negative posts per brand in each such window are compared with the baseline. Shorter finds spikes sooner but with fewer posts per window, so small brands need larger windows.',
  },
  {
    key: 'alertThreshold',
    flag: '--alert-threshold',
    env: 'PW_ALERT_THRESHOLD',
    default: '5',
    parse: num(1),
    description:
      'Spike alerts: the score (robust standard deviations above the baseline) that opens an alert when `--alert-confirm-windows` windows in a row reach it. Lower finds smaller spikes and finds them sooner, with more false alarms on noisy brands.',
  },
  {
    key: 'alertHighThreshold',
    flag: '--alert-high-threshold',
    env: 'PW_ALERT_HIGH_THRESHOLD',
    default: '8',
    parse: num(1),
    description:
      'Spike alerts: a score that opens an alert on one window alone, so a big spike is not kept waiting for confirmation. Lower is faster on big spikes but lets a single noisy window fire. At least `--alert-threshold` (raise both together).',
  },
  {
    key: 'alertConfirmWindows',
    flag: '--alert-confirm-windows',
    env: 'PW_ALERT_CONFIRM_WINDOWS',
    default: '2',
    parse: int(1, 10),
    description:
      'Spike alerts: consecutive windows at `--alert-threshold` that open an alert. 1 is fastest and noisiest; each more window adds one window of delay and removes one-window blips.',
  },
  {
    key: 'alertWarmupMinutes',
    flag: '--alert-warmup-minutes',
    env: 'PW_ALERT_WARMUP_MINUTES',
    default: '15',
    parse: int(0, 10_080),
    description:
      "Spike alerts: a brand's first minutes of posts only teach the baseline and never fire, so a new brand's first posts are not a spike. Shorter alerts sooner on new brands, with a rougher baseline.",
  },
  {
    key: 'dedupWindowSeconds',
    flag: '--dedup-window-seconds',
    env: 'PW_DEDUP_WINDOW_SECONDS',
    default: '120',
    parse: int(1, 86_400),
    description:
      'Stage 2 drops an event whose `source` and `id` it saw less than this long before (by bus time). Its keys take about 20 bytes each in memory, and a restart reads this much input again to rebuild them.',
  },
  {
    key: 'leaseTtlMs',
    flag: '--lease-ttl-ms',
    env: 'PW_LEASE_TTL_MS',
    default: '10000',
    parse: int(300),
    description:
      "Partition lease time to live: a dead worker's partitions move to a live one within about this time.",
  },
  {
    key: 'brandsFile',
    flag: '--brands',
    env: 'PW_BRANDS_FILE',
    default: '',
    parse: (v) => (v === '' ? undefined : v),
    description:
      'JSON file with an array of brands `{name, aliases?, handles?, kind?}`; empty uses the four demo brands.',
  },
  {
    key: 'synthetic',
    flag: '--synthetic',
    env: 'PW_SYNTHETIC',
    default: 'true',
    parse: bool,
    description:
      'Run the built-in synthetic traffic generator (`--no-synthetic` turns it off). In services mode it runs in the `ingest` role.',
  },
  {
    key: 'syntheticRate',
    flag: '--synthetic-rate',
    env: 'PW_SYNTHETIC_RATE',
    default: '50',
    parse: num(0),
    description: 'Mean synthetic posts per second (a daily curve moves it up and down).',
  },
  {
    key: 'syntheticSeed',
    flag: '--synthetic-seed',
    env: 'PW_SYNTHETIC_SEED',
    default: '42',
    parse: int(0),
    description: 'Seed of the synthetic generator; the same seed gives the same events.',
  },
  {
    key: 'syntheticBackfillMinutes',
    flag: '--synthetic-backfill-minutes',
    env: 'PW_SYNTHETIC_BACKFILL_MINUTES',
    default: '30',
    parse: int(0),
    description: 'Minutes of history generated at start, so the charts are not empty.',
  },
  {
    key: 'syntheticSpikes',
    flag: '--synthetic-spikes',
    env: 'PW_SYNTHETIC_SPIKES',
    default: 'northwind-coffee@+2m/3m*4',
    parse: text,
    description:
      "Injected negative spikes, `brand@start/duration*volume`, comma-separated. `start` is `+Nm` (or `+Ns`) after launch, or an ISO time. During a spike the brand's volume is multiplied and 80% of its posts are negative. Empty for none.",
  },
  {
    key: 'scenarioFile',
    flag: '--scenario',
    env: 'PW_SCENARIO',
    default: '',
    parse: (v) => (v === '' ? undefined : v),
    description:
      'Scenario JSON file for the synthetic traffic (see [Scenarios](#scenarios)): seed, rate, brands, topic phases, campaigns, spikes, late, duplicate and malformed shares. Its brands are the tracked brands unless `--brands` is set. It supersedes `--synthetic-rate`, `--synthetic-seed` and `--synthetic-spikes`; `--synthetic` and `--synthetic-backfill-minutes` still apply. Empty: those flags, whose defaults are `scenarios/default.json`.',
  },
  {
    key: 'mastodonInstance',
    flag: '--mastodon-instance',
    env: 'PW_MASTODON_INSTANCE',
    default: '',
    parse: (v, s) => (v === '' ? '' : url(['http:', 'https:'])(v, s)),
    description:
      'Follow this Mastodon instance in process (the `ingest` role), as `pulsewatch ingest mastodon` does (see [Mastodon](#mastodon)). Empty: off.',
  },
  {
    key: 'mastodonToken',
    flag: '--mastodon-token',
    env: 'PW_MASTODON_TOKEN',
    default: '',
    parse: text,
    description: 'Access token for `--mastodon-instance`, sent as `Authorization: Bearer`.',
  },
  {
    key: 'mastodonTimelines',
    flag: '--mastodon-timelines',
    env: 'PW_MASTODON_TIMELINES',
    default: 'public',
    parse: (v, s) =>
      checked((list) => list.split(',').map((x) => parseTimeline(x.trim())))(v, s)
        .split(',')
        .map((x) => x.trim()),
    description:
      'Comma-separated timelines for `--mastodon-instance`: `public`, `public:local`, `hashtag:NAME`.',
  },
  {
    key: 'blueskyJetstream',
    flag: '--bluesky-jetstream',
    env: 'PW_BLUESKY_JETSTREAM',
    default: '',
    parse: (v, s) => (v === '' ? '' : url(['ws:', 'wss:'])(v, s)),
    description: `Follow Bluesky posts in process (the \`ingest\` role) from this Jetstream subscribe URL, e.g. \`${DEFAULT_JETSTREAM_URL}\` (see [Bluesky Jetstream](#bluesky-jetstream)). Empty: off.`,
  },
  {
    key: 'connectorStateDir',
    flag: '--connector-state-dir',
    env: 'PW_CONNECTOR_STATE_DIR',
    default: '',
    parse: text,
    description:
      'Where the in-process connectors keep their resume positions (`mastodon.json`, `bluesky.json`). Empty: none, so a restart starts from the live edge.',
  },
  {
    key: 'ingestBodyLimit',
    flag: '--ingest-body-limit',
    env: 'PW_INGEST_BODY_LIMIT',
    default: '10485760',
    parse: int(1024),
    description: 'Largest `POST /v1/events` body in bytes; a larger body gets 413.',
  },
  {
    key: 'ingestMaxLineBytes',
    flag: '--ingest-max-line-bytes',
    env: 'PW_INGEST_MAX_LINE_BYTES',
    default: '262144',
    parse: int(1024),
    description: 'Largest single NDJSON line in bytes; a longer line is rejected as `line_too_long`.',
  },
  {
    key: 'ingestMaxFutureSkewS',
    flag: '--ingest-max-future-skew-s',
    env: 'PW_INGEST_MAX_FUTURE_SKEW_S',
    default: '300',
    parse: int(1),
    description:
      "A posted event whose `ts` is more than this many seconds ahead of the server clock is rejected as `future_timestamp`: one mistyped year would move its partition's watermark years ahead and make every later post late.",
  },
  {
    key: 'ingestMaxBatchEvents',
    flag: '--ingest-max-batch-events',
    env: 'PW_INGEST_MAX_BATCH_EVENTS',
    default: '10000',
    parse: int(1),
    description:
      'Most events (non-blank lines) in one `POST /v1/events` or `/v1/feedback` request; a larger batch is refused whole with 413 `BATCH_TOO_LARGE`.',
  },
  {
    key: 'apiKeysFile',
    flag: '--api-keys-file',
    env: 'PW_API_KEYS_FILE',
    default: '',
    parse: text,
    description:
      'Key file of the scoped API keys (`ingest`, `read`, `decide`, `admin`), managed with `pulsewatch keys` (see [API keys](#api-keys)); it holds names, scopes and SHA-256 digests, never a key. Read at start. With any key, every route but the public ones needs one. Empty (and no `--ingest-api-keys*`): the API is open, which services mode refuses without `--insecure`. A file that holds no key stops the start in every mode unless `--insecure`.',
  },
  {
    key: 'insecure',
    flag: '--insecure',
    env: 'PW_INSECURE',
    default: 'false',
    parse: bool,
    description:
      'Let services mode start without any API key, and any mode with an `--api-keys-file` that holds no key, open to whoever reaches it (it logs a warning). The embedded default without a key file is open without it.',
  },
  {
    key: 'apiAllowedOrigins',
    flag: '--api-allowed-origins',
    env: 'PW_API_ALLOWED_ORIGINS',
    default: '',
    parse: origins,
    description:
      "Origins (`scheme://host[:port]`, comma-separated) of web pages whose browser requests the API takes besides its own page's, e.g. the public address of a reverse proxy that rewrites `Host`. A browser request with another `Origin` than the server's own, or with `Sec-Fetch-Site: cross-site`, is refused with 403 `CROSS_ORIGIN` (see [Cross-origin requests](#cross-origin-requests)). The API sends no CORS headers: a listed page can open the WebSocket and send requests, not read REST replies.",
  },
  {
    key: 'metricsPublic',
    flag: '--metrics-public',
    env: 'PW_METRICS_PUBLIC',
    default: 'false',
    parse: bool,
    description:
      '`GET /metrics` without a key, for a scraper that cannot send one. Otherwise it needs scope `admin` when keys are configured.',
  },
  {
    key: 'ingestApiKeys',
    flag: '--ingest-api-keys',
    env: 'PW_INGEST_API_KEYS',
    default: '',
    parse: checked((v) => new ApiKeys(plainKeyRecords(parsePlainKeys(v), ['ingest']))),
    description: `Kept from before scoped keys: plain ingest keys, comma-separated \`name:key\` pairs (a key has at least ${MIN_KEY_LENGTH} characters, no spaces or commas), each with scope \`ingest\`, added to \`--api-keys-file\`. Prefer the key file, which holds no key; and the variable to the flag, which \`ps\` shows.`,
  },
  {
    key: 'ingestApiKeysFile',
    flag: '--ingest-api-keys-file',
    env: 'PW_INGEST_API_KEYS_FILE',
    default: '',
    parse: text,
    description:
      'Kept from before scoped keys: a file of plain ingest keys, one `name:key` per line (`#` starts a comment line), each with scope `ingest`, added to `--api-keys-file`.',
  },
  {
    key: 'ingestRateLimit',
    flag: '--ingest-rate-limit',
    env: 'PW_INGEST_RATE_LIMIT',
    default: '0',
    parse: num(0),
    description:
      'Events per second each API key may ingest (each client address when ingest is open), a token bucket per ingest process: with N ingest processes the limit is N times this. A request over it gets 429 `RATE_LIMITED` with `Retry-After` and nothing of it is published. `0`: no limit.',
  },
  {
    key: 'ingestRateBurst',
    flag: '--ingest-rate-burst',
    env: 'PW_INGEST_RATE_BURST',
    default: '0',
    parse: int(0),
    description:
      'Events a key may send at once above `--ingest-rate-limit` (the bucket size); it also caps the events per request. `0`: `--ingest-max-batch-events`.',
  },
  {
    key: 'metricSources',
    flag: '--metric-sources',
    env: 'PW_METRIC_SOURCES',
    default: '',
    parse: (v) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    description:
      "Event sources, comma-separated, that keep their own `source` label in the metrics, besides the built-in connectors' (`synthetic`, `replay`, `mastodon`, `bluesky`) and the names of the ingest API keys. Events from any other source are counted under `other`, so made-up sources cannot create metric series without bound.",
  },
  {
    key: 'wsFlushIntervalMs',
    flag: '--ws-flush-interval-ms',
    env: 'PW_WS_FLUSH_INTERVAL_MS',
    default: '250',
    parse: int(10, 60_000),
    description: 'Least time between two updates of one WebSocket channel to one client.',
  },
  {
    key: 'wsMaxBufferedBytes',
    flag: '--ws-max-buffered-bytes',
    env: 'PW_WS_MAX_BUFFERED_BYTES',
    default: '1048576',
    parse: int(1024),
    description:
      'A WebSocket client with more unsent bytes than this is skipped (its updates conflate) until it catches up.',
  },
  {
    key: 'wsMaxStalledMs',
    flag: '--ws-max-stalled-ms',
    env: 'PW_WS_MAX_STALLED_MS',
    default: '10000',
    parse: int(100, 3_600_000),
    description:
      'A WebSocket client whose unsent bytes stay above `--ws-max-buffered-bytes` for longer than this is closed with code 1013 (try again later), so a client that stops reading cannot hold server memory; it reconnects and takes a new snapshot.',
  },
  {
    key: 'wsHeartbeatMs',
    flag: '--ws-heartbeat-ms',
    env: 'PW_WS_HEARTBEAT_MS',
    default: '30000',
    parse: (v, s) => {
      if (v.trim() === '0') return 0;
      try {
        return int(1000, 3_600_000)(v, s);
      } catch {
        throw new ConfigError(
          `${s.flag} / ${s.env}: expected 0 (off) or an integer from 1000 to 3600000, got "${v}"`,
        );
      }
    },
    description:
      'Every this many ms the server pings each WebSocket client (browsers answer on their own); a client that answered no ping and sent nothing since the previous one is gone without closing (a dropped network, a sleeping laptop), and its connection is ended. 0: no heartbeat.',
  },
  {
    key: 'smtpUrl',
    flag: '--smtp-url',
    env: 'PW_SMTP_URL',
    default: '',
    parse: (v, s) => (v === '' ? '' : url(['smtp:', 'smtps:'])(v, s)),
    description:
      'SMTP server for alert e-mail: `smtp://user:pass@host:587` (STARTTLS when the server offers it) or `smtps://user:pass@host:465`. Prefer the variable to the flag, which `ps` shows. Empty: e-mail is off, and e-mail subscriptions are refused.',
  },
  {
    key: 'smtpFrom',
    flag: '--smtp-from',
    env: 'PW_SMTP_FROM',
    default: 'Pulsewatch <pulsewatch@localhost>',
    parse: text,
    description: 'The From address of alert e-mail.',
  },
  {
    key: 'alertDeliveryTimeoutMs',
    flag: '--alert-delivery-timeout-ms',
    env: 'PW_ALERT_DELIVERY_TIMEOUT_MS',
    default: '10000',
    parse: int(100, 600_000),
    description:
      'One webhook request (until its response headers), or one wait on the SMTP server; a receiver that takes longer has failed that attempt.',
  },
  {
    key: 'alertDeliveryAttempts',
    flag: '--alert-delivery-attempts',
    env: 'PW_ALERT_DELIVERY_ATTEMPTS',
    default: '5',
    parse: int(1, 100),
    description:
      'Attempts per notification, the first included, before it is dead-lettered to `dlq.alert-delivery` (reason `delivery_failed`).',
  },
  {
    key: 'alertRetryInitialMs',
    flag: '--alert-retry-initial-ms',
    env: 'PW_ALERT_RETRY_INITIAL_MS',
    default: '1000',
    parse: int(1),
    description: 'Wait before the second attempt of a notification; it doubles (with jitter) up to…',
  },
  {
    key: 'alertRetryMaxMs',
    flag: '--alert-retry-max-ms',
    env: 'PW_ALERT_RETRY_MAX_MS',
    default: '60000',
    parse: int(1),
    description: "…this, the longest wait between attempts (a receiver's `Retry-After` included).",
  },
  {
    key: 'alertDeliveryConcurrency',
    flag: '--alert-delivery-concurrency',
    env: 'PW_ALERT_DELIVERY_CONCURRENCY',
    default: '8',
    parse: int(1, 1000),
    description:
      'Notifications sent at once; each subscription gets one at a time, in order, so a slow receiver holds one of these.',
  },
  {
    key: 'alertDeliveryQueue',
    flag: '--alert-delivery-queue',
    env: 'PW_ALERT_DELIVERY_QUEUE',
    default: '10000',
    parse: int(1),
    description:
      'Notifications waiting to be sent; when it is full, reading alerts waits (nothing is dropped).',
  },
  {
    key: 'alertMaxSubscriptions',
    flag: '--alert-max-subscriptions',
    env: 'PW_ALERT_MAX_SUBSCRIPTIONS',
    default: '1000',
    parse: int(1),
    description:
      'Alert subscriptions that may exist at once; creating one more is refused with 409 `SUBSCRIPTION_LIMIT` (delete one first). Every alert is matched against every subscription.',
  },
  {
    key: 'alertNotifyCooldownMinutes',
    flag: '--alert-notify-cooldown-minutes',
    env: 'PW_ALERT_NOTIFY_COOLDOWN_MINUTES',
    default: '30',
    parse: num(0),
    description:
      'A subscriber hears of a new alert of a brand and kind it was told about less than this long ago (event time) only when it is more severe (see [Subscriptions and delivery](#subscriptions-and-delivery)). `0`: no cooldown.',
  },
  {
    key: 'alertClaimTtlHours',
    flag: '--alert-claim-ttl-hours',
    env: 'PW_ALERT_CLAIM_TTL_HOURS',
    default: '72',
    parse: int(1, 24 * 365),
    description:
      'How long the record that an alert update was notified (and the cooldown marks) is kept, in Redis in services mode: a replay of alerts older than this could notify again.',
  },
  {
    key: 'campaignRefreshMs',
    flag: '--campaign-refresh-ms',
    env: 'PW_CAMPAIGN_REFRESH_MS',
    default: '100',
    parse: int(0, 60_000),
    description:
      "How old (ms) the copy of a campaign's definition and arm statistics an API process decides from may get before it reads them again from the campaign store: other replicas' decisions and rewards and the stream's feedback reach its decisions within this. Its own decisions and rewards count at once. 0 reads them before every decision (slower).",
  },
  {
    key: 'campaignDefaultsEveryMs',
    flag: '--campaign-defaults-every-ms',
    env: 'PW_CAMPAIGN_DEFAULTS_EVERY_MS',
    default: '250',
    parse: int(0, 3_600_000),
    description:
      "How often each API process applies due default rewards (a campaign's `default_reward` for decisions that got no reward within `after_ms`); several processes may do it at once, each decision gets its default once. 0: this process does not.",
  },
  {
    key: 'campaignRetentionHours',
    flag: '--campaign-retention-hours',
    env: 'PW_CAMPAIGN_RETENTION_HOURS',
    default: '168',
    parse: int(1, 24 * 365),
    description:
      "How long a decision (and the record that a stream feedback event was applied) is kept after the decision stops taking rewards, so late rewards get 410 and replays of feedback apply once. In Redis in services mode. The embedded default's memory holds at most 1,000,000 decisions (about 400 MB, 14 hours of the demo campaign's 20 a second) and 2,000,000 feedback keys: past either, the oldest go first, before their retention (a reward for a dropped decision gets 404, or 410 past its lifetime; its stream feedback is dropped).",
  },
  {
    key: 'campaignWindow',
    flag: '--campaign-window',
    env: 'PW_CAMPAIGN_WINDOW',
    default: '1h',
    parse: oneWindow,
    description:
      'The window the `campaigns` operator counts feedback in (impressions, clicks, conversions, rewards, revenue per campaign and arm): the windows of `GET /v1/campaigns/:id/roi`.',
  },
  {
    key: 'analyticsWindow',
    flag: '--analytics-window',
    env: 'PW_ANALYTICS_WINDOW',
    default: '5m',
    parse: oneWindow,
    description:
      'The window topics, trends, share of voice, influencers and audience segments are counted in (stage 2); trending compares each window with the term’s own history of windows.',
  },
  {
    key: 'topicScope',
    flag: '--topic-scope',
    env: 'PW_TOPIC_SCOPE',
    default: 'brand',
    parse: oneOf(['brand', 'global'] as const),
    description:
      "`brand`: one topic model per brand, over the posts that name it (`GET /v1/brands/:brand/topics`). `global`: one model over every post, brands or not; each brand’s topics route then serves the global topics. A restart with the other scope starts its models afresh (the other scope's are left out of the checkpoint).",
  },
  {
    key: 'topicMaxRate',
    flag: '--topic-max-rate',
    env: 'PW_TOPIC_MAX_RATE',
    default: '200',
    parse: int(0, 1_000_000),
    description:
      'Posts per second (event time) each topic model of a stage-2 partition clusters at most: the first ones of each second (a post out of order counts toward the latest second seen); the rest still count everywhere else. Bounds the cost of topics under load (a brand above this rate per partition has its topic volumes counted on the clustered posts). 0: no limit.',
  },
  {
    key: 'trendWarmupWindows',
    flag: '--trend-warmup-windows',
    env: 'PW_TREND_WARMUP_WINDOWS',
    default: '12',
    parse: int(0, 10_000),
    description:
      'Analytics windows a brand’s trend baselines learn from before any of its terms can trend: in a new brand’s first windows (or a fresh start’s) every term would look new. 0: terms trend from the first window, against a baseline of nothing.',
  },
  {
    key: 'segments',
    flag: '--segments',
    env: 'PW_SEGMENTS',
    default: '5',
    parse: int(1, 50),
    description: 'Audience segments (k of the k-means over author features).',
  },
  {
    key: 'segmentAuthors',
    flag: '--segment-authors',
    env: 'PW_SEGMENT_AUTHORS',
    default: String(DEFAULT_ANALYTICS.segmentAuthors),
    parse: int(1, MAX_SEGMENT_AUTHORS),
    description:
      'Authors the audience segments of each stage-2 partition hold at most; the least recently seen is forgotten first (their `author_segments` row stays). Bounds the segments’ memory and their part of every checkpoint: about 45 bytes per author held on a firehose, a short id included (4.4 MB per partition at 100,000; `npm run bench:analytics`). A restart with a lower value keeps the most recently seen.',
  },
  {
    key: 'storeMaxWindows',
    flag: '--store-max-windows',
    env: 'PW_STORE_MAX_WINDOWS',
    default: '10080',
    parse: int(1),
    description:
      'Embedded mode: windows kept per brand and window size (10,080 is a week of minutes). The oldest windows are dropped first.',
  },
  {
    key: 'natsUrl',
    flag: '--nats-url',
    env: 'PW_NATS_URL',
    default: 'nats://127.0.0.1:4222',
    parse: url(['nats:', 'tls:']),
    description: 'Services mode: NATS server(s) with JetStream.',
  },
  {
    key: 'streamMaxAgeHours',
    flag: '--stream-max-age-hours',
    env: 'PW_STREAM_MAX_AGE_HOURS',
    default: '168',
    parse: int(1),
    description:
      'Services mode: JetStream keeps events this long (replay window for recovery and new consumers).',
  },
  {
    key: 'streamMaxBytes',
    flag: '--stream-max-bytes',
    env: 'PW_STREAM_MAX_BYTES',
    default: '10737418240',
    parse: int(1_048_576),
    description: 'Services mode: size limit of each JetStream stream; the oldest messages are dropped first.',
  },
  {
    key: 'streamReplicas',
    flag: '--stream-replicas',
    env: 'PW_STREAM_REPLICAS',
    default: '1',
    parse: int(1, 5),
    description: 'Services mode: JetStream replicas per stream (3 on a production cluster).',
  },
  {
    key: 'redisUrl',
    flag: '--redis-url',
    env: 'PW_REDIS_URL',
    default: 'redis://127.0.0.1:6379',
    parse: url(['redis:', 'rediss:']),
    description:
      'Services mode: Redis for partition leases and checkpoints, and the alert delivery state (subscriptions, delivery claims, cooldowns, acknowledge and resolve).',
  },
  {
    key: 'clickhouseUrl',
    flag: '--clickhouse-url',
    env: 'PW_CLICKHOUSE_URL',
    default: 'http://127.0.0.1:8123',
    parse: url(['http:', 'https:']),
    description: 'Services mode: ClickHouse HTTP endpoint.',
  },
  {
    key: 'clickhouseDatabase',
    flag: '--clickhouse-database',
    env: 'PW_CLICKHOUSE_DATABASE',
    default: 'pulsewatch',
    parse: text,
    description: 'Services mode: ClickHouse database (created if missing; migrations run at start).',
  },
  {
    key: 'clickhouseUser',
    flag: '--clickhouse-user',
    env: 'PW_CLICKHOUSE_USER',
    default: 'default',
    parse: text,
    description: 'Services mode: ClickHouse user.',
  },
  {
    key: 'clickhousePassword',
    flag: '--clickhouse-password',
    env: 'PW_CLICKHOUSE_PASSWORD',
    default: '',
    parse: text,
    description: 'Services mode: ClickHouse password.',
  },
  {
    key: 'clickhouseBatchRows',
    flag: '--clickhouse-batch-rows',
    env: 'PW_CLICKHOUSE_BATCH_ROWS',
    default: '10000',
    parse: int(1),
    description: 'Services mode: an insert is sent once this many rows are buffered…',
  },
  {
    key: 'clickhouseFlushMs',
    flag: '--clickhouse-flush-ms',
    env: 'PW_CLICKHOUSE_FLUSH_MS',
    default: '1000',
    parse: int(10),
    description: '…or after this much time, whichever comes first.',
  },
  {
    key: 'clickhouseMaxBufferedRows',
    flag: '--clickhouse-max-buffered-rows',
    env: 'PW_CLICKHOUSE_MAX_BUFFERED_ROWS',
    default: '200000',
    parse: int(1),
    description:
      'Services mode: above this many unwritten rows (ClickHouse slow or down) stage 2 waits: backpressure reaches the consumer and memory stays bounded.',
  },
  {
    key: 'clickhouseEnrichedRetentionDays',
    flag: '--clickhouse-enriched-retention-days',
    env: 'PW_CLICKHOUSE_ENRICHED_RETENTION_DAYS',
    default: '0',
    parse: int(0, 3650),
    description:
      'Services mode: days of enriched events (every post with its brands and sentiment) kept in ClickHouse for drill-down; `0` stores none. Older days are dropped by partition.',
  },
  {
    key: 'redisPrefix',
    flag: '--redis-prefix',
    env: 'PW_REDIS_PREFIX',
    default: 'pw:',
    parse: text,
    description: 'Services mode: prefix of every Redis key, so several deployments can share one Redis.',
  },
  {
    key: 'sentimentModel',
    flag: '--sentiment-model',
    env: 'PW_SENTIMENT_MODEL',
    default: 'linear',
    parse: oneOf(['rules', 'linear', 'transformer'] as const),
    description:
      'Sentiment tier for every event: `rules` (lexicon), `linear` (trained, the most accurate fast tier) or `transformer` (linear for every event, and the transformer re-scores the events `--sentiment-transformer-select` picks; stage 1 then runs as its own stage, as with `--aggregate-input enriched`).',
  },
  {
    key: 'sentimentLinearWeights',
    flag: '--sentiment-linear-weights',
    env: 'PW_SENTIMENT_LINEAR_WEIGHTS',
    default: '',
    parse: text,
    description:
      'Weights file of the linear tier, as written by `npm run train:sentiment`; empty uses the committed `engines/sentiment/models/sentiment-linear-v1.bin`.',
  },
  {
    key: 'sentimentLanguageCheck',
    flag: '--sentiment-language-check',
    env: 'PW_SENTIMENT_LANGUAGE_CHECK',
    default: 'true',
    parse: bool,
    description:
      'Mark posts that are not in English (declared by the source, or detected) as `unsupported` instead of scoring them.',
  },
  {
    key: 'sentimentTransformerDir',
    flag: '--sentiment-transformer-dir',
    env: 'PW_SENTIMENT_TRANSFORMER_DIR',
    default: '',
    parse: text,
    description:
      'Folder of a transformers.js text-classification model (`config.json`, `tokenizer.json`, `onnx/model_quantized.onnx`); needed by `--sentiment-model transformer`. Loaded locally, never from a hub.',
  },
  {
    key: 'sentimentTransformerQuantized',
    flag: '--sentiment-transformer-quantized',
    env: 'PW_SENTIMENT_TRANSFORMER_QUANTIZED',
    default: 'true',
    parse: bool,
    description: 'Use `onnx/model_quantized.onnx` (int8); `false` uses `onnx/model.onnx`.',
  },
  {
    key: 'sentimentTransformerSelect',
    flag: '--sentiment-transformer-select',
    env: 'PW_SENTIMENT_TRANSFORMER_SELECT',
    default: 'uncertain:0.6,reach:10000',
    parse: checked((v) => SelectionPolicy.parse(v)),
    description:
      'Events the transformer re-scores, any of: `all`, `sample:F` (a fraction, by event id), `uncertain:P` (fast-tier confidence below P), `reach:N` (authors with at least N followers), `none`.',
  },
  {
    key: 'sentimentTransformerBudget',
    flag: '--sentiment-transformer-budget',
    env: 'PW_SENTIMENT_TRANSFORMER_BUDGET',
    default: '50',
    parse: num(0),
    description:
      'Most texts per second sent to the transformer (a token bucket); selected events over it keep their fast score.',
  },
  {
    key: 'sentimentTransformerWaitMs',
    flag: '--sentiment-transformer-wait-ms',
    env: 'PW_SENTIMENT_TRANSFORMER_WAIT_MS',
    default: '2000',
    parse: int(1, 600_000),
    description: 'How long a selected event waits for the transformer before it keeps its fast score.',
  },
  {
    key: 'sentimentTransformerWorkers',
    flag: '--sentiment-transformer-workers',
    env: 'PW_SENTIMENT_TRANSFORMER_WORKERS',
    default: '1',
    parse: int(1, 64),
    description: 'Transformer worker processes.',
  },
  {
    key: 'sentimentTransformerThreads',
    flag: '--sentiment-transformer-threads',
    env: 'PW_SENTIMENT_TRANSFORMER_THREADS',
    default: '1',
    parse: int(0, 64),
    description: "onnxruntime threads per worker; 0 uses onnxruntime's default (one per core).",
  },
  {
    key: 'sentimentTransformerBatch',
    flag: '--sentiment-transformer-batch',
    env: 'PW_SENTIMENT_TRANSFORMER_BATCH',
    default: '16',
    parse: int(1, 1024),
    description: 'Most texts per transformer batch.',
  },
  {
    key: 'sentimentTransformerLabels',
    flag: '--sentiment-transformer-labels',
    env: 'PW_SENTIMENT_TRANSFORMER_LABELS',
    default: '',
    parse: checked((v) => parseLabelMap(v)),
    description:
      "Map a model's labels to ours, `NAME=LABEL,…` with LABEL negative, neutral or positive, for labels not recognised by name (neg…, neu…, pos…, `LABEL_0..2`, 1–5 stars).",
  },
] as const satisfies readonly SettingDef[];

type Definition = (typeof DEFINITIONS)[number];

/** The settings of a process, one field per row of the settings table, typed by its parser. */
export type Config = { -readonly [D in Definition as D['key']]: ReturnType<D['parse']> };

/** A row of the settings table. */
export type Setting = SettingDef & { key: keyof Config };

export const SETTINGS: readonly Setting[] = DEFINITIONS;

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
      if (setting.parse === bool && (next === undefined || next.startsWith('--'))) value = 'true';
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
    config[s.key] = s.parse(raw, s);
  }
  const parsed = config as unknown as Config;
  if (parsed.alertHighThreshold < parsed.alertThreshold)
    throw new ConfigError(
      `--alert-high-threshold (${parsed.alertHighThreshold}) must be at least --alert-threshold (${parsed.alertThreshold}): a score that opens an alert on one window alone is at least the one that opens it on several`,
    );
  return parsed;
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
      `  ${s.flag.padEnd(32)} ${s.env.padEnd(34)} default: ${s.default || '(empty)'}`,
      `      ${s.description}`,
    );
  return lines.join('\n');
}
