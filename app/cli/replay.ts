import {
  FIELDS,
  parseMapFlags,
  replayFile,
  ReplayError,
  type Encoding,
  type ReplayProgress,
  type ReplaySummary,
} from '../../ingest/replay/index.js';
import { isUsageError, parseFlags, UsageError, type FlagOptions, type FlagValues } from '../flags.js';
import { httpSinkFrom, SINK_HELP, SINK_OPTIONS } from './sink-args.js';

export const summary = 'replay a JSONL or CSV file of posts in event-time order';

const USAGE = `usage: pulsewatch ingest replay <file.jsonl|file.csv> [options]

Sends the posts of a file to a running Pulsewatch in event-time order (the file may be unsorted),
paced by their times, and resumes where it stopped when run again.

  --speed N|max      N times faster than the file's own time; max: as fast as ingest acknowledges (default 1)
  --max-gap SECONDS  longest wait between two events after --speed (default 10)
  --map field=path   where a field is: ${FIELDS.join(', ')}; a dotted JSON path or a CSV
                     column; repeatable (defaults: see the README, "File replay")
  --source NAME      the events' source (default replay)
  --time-shift now|none  now: move all event times so the first event is now (default none)
  --batch N          events per request (default 500)
  --format jsonl|csv default: from the file extension
  --encoding utf8|latin1  (default utf8)
  --state FILE       resume state (default <file>.replay-state.json)
  --restart          ignore the saved state and start from the first event
  --json             print the summary as JSON on stdout
${SINK_HELP}`;

const HELP_HINT = '(pulsewatch ingest replay --help lists the options)';

const OPTIONS = {
  ...SINK_OPTIONS,
  speed: { type: 'string', default: '1' },
  'max-gap': { type: 'string', default: '10' },
  map: { type: 'string', multiple: true, default: [] as string[] },
  source: { type: 'string', default: 'replay' },
  'time-shift': { type: 'string', default: 'none' },
  batch: { type: 'string', default: '500' },
  format: { type: 'string' },
  encoding: { type: 'string', default: 'utf8' },
  state: { type: 'string' },
  restart: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

/** Where the CLI writes, and what stops it; tests give their own instead of the process's. */
export interface ReplayIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Aborted to stop after the batch in flight (SIGINT/SIGTERM); default: the process's signals. */
  interrupt?: AbortSignal;
  progressEveryMs?: number;
}

/** `pulsewatch ingest replay`: 0 when the file is replayed, 130/143 when interrupted, 2 on bad flags, 1 on errors. */
export async function run(
  args: string[],
  io: ReplayIo = { out: console.log, err: console.error },
): Promise<number> {
  let values: FlagValues<typeof OPTIONS>;
  let flags;
  try {
    const parsed = parseFlags(args, OPTIONS, { positionals: true });
    values = parsed.values;
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const { positionals } = parsed;
    if (positionals.length !== 1)
      throw new UsageError(
        `give one file to replay${positionals.length > 1 ? `, not ${positionals.length}` : ''}`,
      );
    flags = {
      file: positionals[0]!,
      speed: values.speed === 'max' ? Number.POSITIVE_INFINITY : positive('--speed', values.speed),
      maxGapMs: nonNegative('--max-gap', values['max-gap']) * 1000,
      batchSize: batch(values.batch),
      mapping: parseMapFlags(values.map),
      source: source(values.source),
      timeShift: oneOf('--time-shift', values['time-shift'], ['now', 'none'] as const),
      format:
        values.format === undefined ? undefined : oneOf('--format', values.format, ['jsonl', 'csv'] as const),
      encoding: encoding(values.encoding),
    };
  } catch (err) {
    // parseMapFlags reports a bad --map as a ReplayError
    if (!isUsageError(err) && !(err instanceof ReplayError)) throw err;
    io.err(`replay: ${err.message}\n${HELP_HINT}`);
    return 2;
  }

  const stop = new AbortController();
  const abandon = new AbortController();
  let signalName: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    signalName ??= name;
    if (!stop.signal.aborted) {
      io.err(`${name}: stopping after the batch in flight (again to abandon it)`);
      stop.abort();
    } else abandon.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  if (io.interrupt) io.interrupt.addEventListener('abort', onInt, { once: true });
  else {
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  }

  const sink = httpSinkFrom(values, {
    signal: abandon.signal,
    onRetry: (reason, attempt, delayMs) =>
      io.err(`ingest unavailable (${reason}); retry ${attempt} in ${delayMs} ms`),
  });
  let result: ReplaySummary;
  try {
    result = await replayFile({
      ...flags,
      ...(values.state !== undefined && { statePath: values.state }),
      restart: values.restart,
      sink,
      signal: stop.signal,
      ...(io.progressEveryMs !== undefined && { progressEveryMs: io.progressEveryMs }),
      onProgress: (p) => io.err(progressLine(p)),
      log: (line) => io.err(`replay: ${line}`),
    });
  } catch (err) {
    io.err(`replay: ${(err as Error).message}`);
    return signalName === undefined ? 1 : exitCodeOf(signalName);
  } finally {
    io.interrupt?.removeEventListener('abort', onInt);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  const text = summaryText(result);
  if (values.json) {
    io.err(text);
    io.out(JSON.stringify(result));
  } else io.out(text);
  if (result.status === 'complete') return 0;
  return exitCodeOf(signalName ?? 'SIGINT');
}

/** 128 + the signal's number, as shells report a process a signal stopped. */
function exitCodeOf(signal: 'SIGINT' | 'SIGTERM'): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n))
    throw new UsageError(`${flag} must be a number above 0 or max, got "${value}"`);
  return n;
}

function nonNegative(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0) || !Number.isFinite(n))
    throw new UsageError(`${flag} must be a number of seconds ≥ 0, got "${value}"`);
  return n;
}

function batch(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new UsageError(`--batch must be a whole number from 1 to 10000, got "${value}"`);
  return n;
}

function source(value: string): string {
  if (value.length < 1 || value.length > 64) throw new UsageError('--source must be 1 to 64 characters');
  return value;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag} must be ${allowed.join(' or ')}, got "${value}"`);
  return value as T;
}

function encoding(value: string): Encoding {
  const v = value.toLowerCase().replace('-', '');
  if (v === 'utf8') return 'utf8';
  if (v === 'latin1' || v === 'iso88591') return 'latin1';
  throw new UsageError(`--encoding must be utf8 or latin1, got "${value}"`);
}

const n = (x: number) => x.toLocaleString('en-US');

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/** One progress line for stderr. */
export function progressLine(p: ReplayProgress): string {
  if (p.phase === 'index') {
    const pct = p.bytes > 0 ? Math.floor((p.bytesRead / p.bytes) * 100) : 100;
    return `indexing: ${n(p.read)} rows read, ${(p.bytesRead / 1e6).toFixed(1)} of ${(p.bytes / 1e6).toFixed(1)} MB (${pct}%)`;
  }
  const pct = p.events > 0 ? ((p.position / p.events) * 100).toFixed(1) : '100';
  const at =
    p.line === undefined || p.position >= p.events
      ? ''
      : `, next: line ${n(p.line)} at ${new Date(p.eventTs!).toISOString()}`;
  return (
    `sent ${n(p.position)} of ${n(p.events)} events (${pct}%), ${n(p.accepted)} accepted, ` +
    `${n(p.rejected)} rejected, ${n(Math.round(p.ratePerSec))}/s, ETA ${p.etaMs === undefined ? '?' : duration(p.etaMs)}${at}`
  );
}

/** The summary for people. */
export function summaryText(s: ReplaySummary): string {
  const reasons = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([r, c]) => `${r} ${n(c)}`)
      .join(', ') || 'none';
  const lines = [
    `replay ${s.status}: ${s.file}${s.resumed_at > 0 ? ` (resumed at event ${n(s.resumed_at + 1)})` : ''}`,
    `  read      ${n(s.read)} rows, ${n(s.events)} events`,
    `  sent      ${n(s.sent)} events, ${n(s.accepted)} accepted (${n(s.duplicates)} duplicates)`,
    `  rejected  ${n(s.rejected)}: here ${reasons(s.rejected_local)}; by the server ${reasons(s.rejected_server)}`,
    ...s.examples.map((e) => `    ${e.reason} (${e.by}) first at line ${n(e.line)}: ${e.detail}`),
  ];
  if (s.first_ts !== undefined)
    lines.push(
      `  times     ${new Date(s.first_ts).toISOString()} to ${new Date(s.last_ts!).toISOString()}` +
        (s.time_shift_ms !== 0 ? ` (shifted by ${duration(s.time_shift_ms)})` : ''),
    );
  lines.push(`  took      ${duration(s.elapsed_ms)}; state in ${s.state_file}`);
  if (s.status === 'interrupted')
    lines.push(`  ${n(s.position)} of ${n(s.events)} events done: run the same command again to resume`);
  return lines.join('\n');
}
