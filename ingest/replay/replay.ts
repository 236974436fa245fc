import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { sleep, type SocialEventInput } from '../../stream/index.js';
import type { EventSink } from '../sink.js';
import { StateFile } from '../state-file.js';
import { ReplayError } from './errors.js';
import { LATEST_TS, parseMapFlags, type Mapping } from './mapping.js';
import { Pacer, pacedDuration } from './pacer.js';
import { RowReader } from './reader.js';
import type { FileFormat } from './records.js';
import { RejectTally, type RejectExample } from './rejects.js';
import { RowDecoder, type Encoding } from './rows.js';
import { scanFile } from './scan.js';
import { defaultStatePath, loadState, type Fingerprint, type ReplayState } from './state.js';

/** The clock the replay paces and reports by; tests give a fake one. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep };

export interface ReplayOptions {
  file: string;
  /** Default: from the extension (`.jsonl`, `.ndjson`, `.json` → jsonl; `.csv` → csv). */
  format?: FileFormat;
  encoding?: Encoding;
  mapping?: Mapping;
  /** The events' `source`. Default `replay`. */
  source?: string;
  /** `now`: every event time moves by the same amount, so the first event is at the start of the run. */
  timeShift?: 'now' | 'none';
  /** How many times faster than the file's own time to send; Infinity: as fast as acknowledged. Default 1. */
  speed?: number;
  /** Longest wait between two events, ms (after the speed). Default 10 s. */
  maxGapMs?: number;
  /** Events per request. Default 500. */
  batchSize?: number;
  /** Default: `<file>.replay-state.json`. */
  statePath?: string;
  /** Ignore a saved state and start over. */
  restart?: boolean;
  sink: EventSink;
  /**
   * Stops the replay: it waits for the batch in flight (to abandon that one too, abort the sink's
   * own signal), saves its position, and resolves with status `interrupted`.
   */
  signal?: AbortSignal;
  clock?: Clock;
  /** How often `onProgress` is called at most. Default 3 s. */
  progressEveryMs?: number;
  onProgress?: (p: ReplayProgress) => void;
  /** Told what the replay is doing (start, resume, interruption), one line at a time. */
  log?: (line: string) => void;
}

export interface ReplayProgress {
  phase: 'index' | 'send';
  /** Rows read so far (whole file once indexing is done). */
  read: number;
  bytesRead: number;
  bytes: number;
  /** Rows that are events; known once indexing is done. */
  events: number;
  /** Events acknowledged, in time order: where a resume would start. */
  position: number;
  sent: number;
  accepted: number;
  rejected: number;
  /** Events sent per second in this run. */
  ratePerSec: number;
  etaMs: number | undefined;
  /** Line and (shifted) time of the event at `position`. */
  line: number | undefined;
  eventTs: number | undefined;
}

/** The outcome of a replay, counted over the whole file, also when it took several runs. */
export interface ReplaySummary {
  status: 'complete' | 'interrupted';
  file: string;
  state_file: string;
  /** Rows read (a CSV header and blank lines not counted). */
  read: number;
  /** Rows that mapped to an event; `read - events` were rejected locally. */
  events: number;
  sent: number;
  /** Accepted by the server, duplicates included. */
  accepted: number;
  /** Accepted events the server had already seen (a batch sent again); counted once downstream. */
  duplicates: number;
  /** Rejected locally plus by the server. */
  rejected: number;
  rejected_local: Record<string, number>;
  rejected_server: Record<string, number>;
  /** The first reject of each reason, with its line in the file. */
  examples: (RejectExample & { by: 'replay' | 'server' })[];
  /** Events acknowledged, in time order. */
  position: number;
  /** Where this run started (non-zero when it resumed). */
  resumed_at: number;
  time_shift_ms: number;
  first_ts: number | undefined;
  last_ts: number | undefined;
  elapsed_ms: number;
}

const FORMATS: Record<string, FileFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
  '.csv': 'csv',
};

/** The format a file name implies, or undefined. */
export function formatOf(file: string): FileFormat | undefined {
  return FORMATS[extname(file).toLowerCase()];
}

/**
 * Replays a JSONL or CSV file of posts into a sink in event-time order.
 *
 * Pass 1 reads the whole file once: each row is decoded and mapped, and the time, byte offset and
 * line of every good row go into typed arrays, sorted by time. Bad rows are counted by reason.
 * Pass 2 reads the rows again in that order, paces them by their times, and submits them in batches.
 * After each acknowledged batch the position and the counts are saved to the state file, so an
 * interrupted replay resumes after the last acknowledged batch with the same totals.
 */
export async function replayFile(o: ReplayOptions): Promise<ReplaySummary> {
  const clock = o.clock ?? systemClock;
  const startedAt = clock.now();
  const log = o.log ?? (() => undefined);
  const progressEveryMs = o.progressEveryMs ?? 3000;
  const speed = o.speed ?? 1;
  const maxGapMs = o.maxGapMs ?? 10_000;
  const batchSize = o.batchSize ?? 500;
  const format = o.format ?? formatOf(o.file);
  if (format === undefined)
    throw new ReplayError(
      `cannot tell the format of ${o.file} from its extension; give --format jsonl or csv`,
    );
  if (!(speed > 0)) throw new ReplayError(`the speed must be above 0, got ${speed}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ReplayError(`the batch size must be 1 or more`);

  const fingerprint = await fingerprintOf(o, format);
  const statePath = o.statePath ?? defaultStatePath(o.file);
  const stateFile = new StateFile<ReplayState>(statePath);
  const saved = o.restart ? undefined : await loadState(stateFile, fingerprint);

  // Pass 1: index.
  const decoder = new RowDecoder(format, fingerprint.encoding, fingerprint.mapping, {
    source: fingerprint.source,
    name: fingerprint.name,
  });
  let lastReport = clock.now();
  const scan = await scanFile(
    o.file,
    decoder,
    (p) => {
      if (clock.now() - lastReport < progressEveryMs) return;
      lastReport = clock.now();
      o.onProgress?.({
        phase: 'index',
        read: p.rows,
        bytesRead: p.bytesRead,
        bytes: p.bytes,
        events: 0,
        position: saved?.position ?? 0,
        sent: saved?.sent ?? 0,
        accepted: saved?.accepted ?? 0,
        rejected: 0,
        ratePerSec: 0,
        etaMs: undefined,
        line: undefined,
        eventTs: undefined,
      });
    },
    o.signal,
  );
  const after = await stat(o.file);
  if (after.size !== fingerprint.size || after.mtimeMs !== fingerprint.mtime_ms)
    throw new ReplayError(`${o.file} changed while it was read; replay a file that is not being written`);
  const { index } = scan;
  const order = index.order();
  const total = index.count;
  if (saved !== undefined && saved.total !== total)
    throw new ReplayError(
      `${statePath} counts ${saved.total} events in the file, but it has ${total} now; use --restart`,
    );

  const shift =
    saved?.shift_ms ?? (fingerprint.time_shift === 'now' && total > 0 ? startedAt - index.ts[order[0]!]! : 0);
  const firstTs = total > 0 ? index.ts[order[0]!]! + shift : undefined;
  const lastTs = total > 0 ? index.ts[order[total - 1]!]! + shift : undefined;
  if (lastTs !== undefined && lastTs > LATEST_TS)
    throw new ReplayError(
      `--time-shift now moves the last event to ${new Date(lastTs).toISOString()}, past 2100-01-01`,
    );

  const state: ReplayState = saved ?? {
    version: 1,
    fingerprint,
    position: 0,
    total,
    shift_ms: shift,
    sent: 0,
    accepted: 0,
    duplicates: 0,
    server_rejects: { counts: {}, examples: [] },
    updated_at: new Date(startedAt).toISOString(),
  };
  const serverRejects = RejectTally.from(state.server_rejects);
  const save = async () => {
    state.server_rejects = serverRejects.toJSON();
    state.updated_at = new Date(clock.now()).toISOString();
    try {
      await stateFile.save(state);
    } catch (err) {
      throw new ReplayError(
        `cannot write the replay state to ${statePath} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
          'choose a writable place with --state FILE',
        { cause: err },
      );
    }
  };
  await save();

  const resumedAt = state.position;
  const localRejected = scan.rejects.total;
  const describe = `${total} events from ${scan.rows} rows (${localRejected} rejected here)`;
  if (resumedAt >= total && total > 0)
    log(`nothing left to send: all ${describe} were sent before (${statePath}); --restart replays again`);
  else if (resumedAt > 0) log(`resuming at event ${resumedAt + 1} of ${describe}, state in ${statePath}`);
  else
    log(
      `replaying ${describe}` +
        (firstTs !== undefined
          ? `, event times ${new Date(firstTs).toISOString()} to ${new Date(lastTs!).toISOString()}`
          : ''),
    );

  // Pass 2: send in time order.
  const sendStart = clock.now();
  const sentBefore = state.sent;
  const scheduleEnd = sendStart + pacedDuration(index.ts, order, resumedAt, speed, maxGapMs);
  const pacer = new Pacer(speed, maxGapMs, () => clock.now());
  let interrupted = false;
  let batch: { event: SocialEventInput; line: number }[] = [];
  const progress = (): ReplayProgress => {
    const elapsed = (clock.now() - sendStart) / 1000;
    const rate = elapsed > 0 ? (state.sent - sentBefore) / elapsed : 0;
    const left = total - state.position;
    // Paced: the rest of the schedule (a sender behind it catches up at once). Max speed: the rate so far.
    const eta =
      speed !== Infinity
        ? Math.max(0, scheduleEnd - clock.now())
        : rate > 0
          ? (left / rate) * 1000
          : undefined;
    const next = order[Math.min(state.position, total - 1)];
    return {
      phase: 'send',
      read: scan.rows,
      bytesRead: scan.bytes,
      bytes: scan.bytes,
      events: total,
      position: state.position,
      sent: state.sent,
      accepted: state.accepted,
      rejected: localRejected + serverRejects.total,
      ratePerSec: rate,
      etaMs: left === 0 ? 0 : eta,
      line: next === undefined ? undefined : index.line[next],
      eventTs: next === undefined ? undefined : index.ts[next]! + shift,
    };
  };
  const report = () => {
    if (clock.now() - lastReport < progressEveryMs) return;
    lastReport = clock.now();
    o.onProgress?.(progress());
  };
  const flush = async () => {
    const events = batch.map((b) => b.event);
    let result;
    try {
      result = await o.sink.submit(events, 'social');
    } catch (err) {
      if (o.signal?.aborted) {
        log(`abandoned the batch in flight (${events.length} events); a resume sends it again`);
        interrupted = true;
        return;
      }
      throw new ReplayError(
        `${(err as Error).message}. ${state.position} of ${total} events are acknowledged and saved in ` +
          `${statePath}: run the same command again to resume`,
        { cause: err },
      );
    }
    state.sent += events.length;
    state.accepted += result.accepted;
    state.duplicates += result.duplicates;
    for (const e of result.errors) serverRejects.add(e.reason, batch[e.index]?.line ?? 0, e.detail);
    const unlisted = result.rejected - result.errors.length;
    if (unlisted > 0)
      serverRejects.add('unlisted', batch[0]!.line, 'rejects the server counted but did not list', unlisted);
    state.position += events.length;
    batch = [];
    await save();
    report();
  };

  const file = await open(o.file, 'r');
  try {
    const reader = new RowReader(file, index, order);
    for (let k = state.position; k < total && !interrupted; k++) {
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      const i = order[k]!;
      const due = pacer.dueAt(index.ts[i]!);
      if (due > clock.now() && batch.length > 0) await flush();
      while (!interrupted && !o.signal?.aborted && due > clock.now()) {
        await clock.sleep(Math.min(due - clock.now(), progressEveryMs), o.signal);
        report();
      }
      if (interrupted || o.signal?.aborted) {
        interrupted = true;
        break;
      }
      const line = index.line[i]!;
      const outcome = decoder.decode({
        bytes: await reader.read(k),
        line,
        terminated: true,
        openQuote: false,
      });
      if (!outcome.ok)
        throw new ReplayError(`line ${line} reads differently than when it was indexed: the file changed`);
      outcome.event.ts += shift;
      batch.push({ event: outcome.event, line });
      if (batch.length >= batchSize) await flush();
    }
    if (!interrupted && batch.length > 0) await flush();
  } finally {
    await file.close();
  }

  if (interrupted)
    log(
      `interrupted: ${state.position} of ${total} events are acknowledged and saved in ${statePath}; ` +
        'run the same command again to resume',
    );
  return {
    status: interrupted ? 'interrupted' : 'complete',
    file: o.file,
    state_file: statePath,
    read: scan.rows,
    events: total,
    sent: state.sent,
    accepted: state.accepted,
    duplicates: state.duplicates,
    rejected: localRejected + serverRejects.total,
    rejected_local: scan.rejects.counts,
    rejected_server: serverRejects.counts,
    examples: [
      ...scan.rejects.examples.map((e) => ({ ...e, by: 'replay' as const })),
      ...serverRejects.examples.map((e) => ({ ...e, by: 'server' as const })),
    ],
    position: state.position,
    resumed_at: resumedAt,
    time_shift_ms: shift,
    first_ts: firstTs,
    last_ts: lastTs,
    elapsed_ms: clock.now() - startedAt,
  };
}

async function fingerprintOf(o: ReplayOptions, format: FileFormat): Promise<Fingerprint> {
  let s;
  try {
    s = await stat(o.file);
  } catch (err) {
    throw new ReplayError(
      `cannot read ${o.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (!s.isFile()) throw new ReplayError(`${o.file} is not a file`);
  return {
    name: basename(o.file),
    size: s.size,
    mtime_ms: s.mtimeMs,
    format,
    encoding: o.encoding ?? 'utf8',
    source: o.source ?? 'replay',
    time_shift: o.timeShift ?? 'none',
    mapping: o.mapping ?? parseMapFlags([]),
  };
}
