import type { ParseArgsConfig } from 'node:util';
import {
  ConnectorFatalError,
  message,
  type ConnectorStats,
  type StreamConnectorOptions,
} from './connector.js';

/** Flags every streaming connector CLI takes, besides the sink flags (--url, --api-key, --gzip). */
export const STREAM_OPTIONS = {
  state: { type: 'string' },
  'no-state': { type: 'boolean', default: false },
  'batch-size': { type: 'string', default: '500' },
  'flush-ms': { type: 'string', default: '250' },
  'max-pending': { type: 'string', default: '5000' },
  'stall-timeout-s': { type: 'string', default: '60' },
  'backoff-initial-ms': { type: 'string', default: '500' },
  'backoff-max-ms': { type: 'string', default: '60000' },
  'max-future-skew-s': { type: 'string', default: '300' },
  'drain-timeout-s': { type: 'string', default: '10' },
  'stats-every-s': { type: 'string', default: '10' },
  help: { type: 'boolean', default: false },
} satisfies NonNullable<ParseArgsConfig['options']>;

export function streamHelp(defaultState: string): string {
  return `  --state FILE               resume position, saved after the sink acknowledged (default ${defaultState})
  --no-state                 keep no position: a restart starts from the live edge
  --batch-size N             events per request to Pulsewatch at most (default 500)
  --flush-ms MS              longest wait of an event for its batch (default 250)
  --max-pending N            unacknowledged events at most before reading pauses (default 5000)
  --stall-timeout-s S        no data, heartbeat or pong for S seconds: reconnect (default 60)
  --backoff-initial-ms MS    first reconnect delay; doubles with jitter on each failure (default 500)
  --backoff-max-ms MS        longest reconnect delay (default 60000)
  --max-future-skew-s S      a post dated more than S seconds after it was received gets the received time (default 300)
  --drain-timeout-s S        on Ctrl-C, how long to wait for pending events to be acknowledged (default 10)
  --stats-every-s S          print counts on stderr every S seconds; 0 = only at exit (default 10)`;
}

type StreamValues = {
  [K in keyof typeof STREAM_OPTIONS]?: (typeof STREAM_OPTIONS)[K]['type'] extends 'boolean'
    ? boolean
    : string;
};

/** The shared connector settings from parsed flags; a bad number throws a RangeError naming the flag. */
export function streamOptionsFrom(
  values: StreamValues,
  defaultState: string,
): Omit<StreamConnectorOptions, 'sink' | 'log'> & { statsEveryMs: number } {
  // parseArgs fills in the defaults, so every numeric flag has a value.
  const n = (flag: keyof typeof STREAM_OPTIONS, min: number) => {
    const raw = String(values[flag]);
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v < min)
      throw new RangeError(`--${flag}: expected a number ≥ ${min}, got "${raw}"`);
    return v;
  };
  return {
    statePath: values['no-state'] ? undefined : (values.state ?? defaultState),
    batchSize: n('batch-size', 1),
    flushMs: n('flush-ms', 1),
    maxPending: n('max-pending', 1),
    stallTimeoutMs: n('stall-timeout-s', 0.01) * 1000,
    initialBackoffMs: n('backoff-initial-ms', 1),
    maxBackoffMs: n('backoff-max-ms', 1),
    maxFutureSkewMs: n('max-future-skew-s', 0) * 1000,
    drainTimeoutMs: n('drain-timeout-s', 0) * 1000,
    statsEveryMs: n('stats-every-s', 0) * 1000,
  };
}

/** One line of counts, for stderr. */
export function formatStats(name: string, s: ConnectorStats): string {
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const detail = (r: Record<string, number>) =>
    Object.keys(r).length
      ? ` (${Object.entries(r)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`
      : '';
  return (
    `${name}: received ${s.received}` +
    (s.backfilled ? ` (backfill ${s.backfilled})` : '') +
    ` sent ${s.sent} (duplicates ${s.duplicates}) pending ${s.pending}` +
    ` rejected ${sum(s.rejected)}${detail(s.rejected)} ignored ${sum(s.ignored)}${detail(s.ignored)}` +
    (s.clamped ? ` clamped ${s.clamped}` : '') +
    ` rate ${s.rate.toFixed(1)}/s connections ${s.connections} reconnects ${s.reconnects}` +
    ` position ${JSON.stringify(s.position ?? null)}` +
    (s.lastError ? ` last error: ${s.lastError}` : '')
  );
}

export interface Supervised {
  run(): Promise<void>;
  stop(): Promise<void>;
  stats(): ConnectorStats;
}

/**
 * Runs a connector until `signal` aborts (Ctrl-C) or it fails, printing its counts every
 * `statsEveryMs` and at the end. Returns the exit code: 0 after a stop, 1 after a failure.
 */
export async function supervise(
  name: string,
  connector: Supervised,
  o: { statsEveryMs: number; write: (line: string) => void; signal: AbortSignal },
): Promise<number> {
  const timer =
    o.statsEveryMs > 0
      ? setInterval(() => o.write(formatStats(name, connector.stats())), o.statsEveryMs)
      : undefined;
  const stop = () => {
    o.write(`${name}: stopping (waiting for pending events to be acknowledged)`);
    void connector.stop();
  };
  if (o.signal.aborted) stop();
  else o.signal.addEventListener('abort', stop, { once: true });
  try {
    await connector.run();
    return 0;
  } catch (err) {
    o.write(`${name}: ${err instanceof ConnectorFatalError ? '' : 'failed: '}${message(err)}`);
    return 1;
  } finally {
    clearInterval(timer);
    o.signal.removeEventListener('abort', stop);
    o.write(formatStats(name, connector.stats()));
  }
}

/** Aborted on the first SIGINT or SIGTERM. */
export function shutdownSignal(): AbortSignal {
  const c = new AbortController();
  const on = () => c.abort();
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return c.signal;
}
