import { addResult, emptyResult, type SinkResult } from '../../ingest/sink.js';
import {
  GroundTruth,
  SyntheticSource,
  TruthFile,
  type GeneratedEvent,
} from '../../ingest/synthetic/index.js';
import { shutdownSignal } from '../../ingest/connectors/cli.js';
import { httpSinkFrom, SINK_HELP, SINK_OPTIONS } from './sink-args.js';
import {
  isUsageError,
  numberFlag,
  parseFlags,
  UsageError,
  type FlagOptions,
  type FlagValues,
} from '../flags.js';
import { describeRange, formatCounts, iso, SCENARIO_HELP, SCENARIO_OPTIONS, scenarioRange } from './truth.js';

export const summary = 'send a scenario of synthetic traffic (with its ground truth) to a running Pulsewatch';

/** On Ctrl-C, how long a batch still in retries may take before it is given up. */
const DRAIN_MS = 10_000;

const OPTIONS = {
  ...SINK_OPTIONS,
  ...SCENARIO_OPTIONS,
  speed: { type: 'string', default: 'live' },
  truth: { type: 'string' },
  'stats-every-s': { type: 'string', default: '5' },
} satisfies FlagOptions;

const HELP = `usage: pulsewatch ingest synthetic --scenario FILE [--from ISO] [--to ISO | --minutes N]
                                  [--speed live|max|N] [--truth OUT.ndjson|OUT.json] [options]

Generates a scenario's traffic and posts it to a running Pulsewatch: social posts (with the
scenario's late, re-sent and malformed lines, sent as they are) to POST /v1/events, campaign
feedback to POST /v1/feedback. With --truth it also writes the ground truth of what it sent.

${SCENARIO_HELP}
  --speed S        live: event time follows the clock (what lies before now is sent at once);
                   max: as fast as Pulsewatch takes it (needs an end); N: N times the clock,
                   from --from (default live)
  --truth FILE     write the ground truth of what was sent (see "pulsewatch ingest truth --help")
  --stats-every-s S  print progress on stderr every S seconds; 0 = only at the end (default 5)
${SINK_HELP}

example:
  pulsewatch ingest synthetic --scenario scenarios/campaign-launch-crisis.json --speed max \\
    --truth crisis-truth.ndjson --url http://localhost:8080`;

/** What the server answered, summed over the run. */
interface Sent {
  social: SinkResult;
  feedback: SinkResult;
  reasons: Record<string, number>;
}

/**
 * `pulsewatch ingest synthetic`: runs a scenario against the clock (or as fast as possible) into
 * Pulsewatch's HTTP ingest until its end or Ctrl-C. Exit 0 when everything was delivered, 1 when
 * Pulsewatch refused the batches (bad key, bad request), 2 for bad flags or a bad scenario.
 */
export async function run(args: string[], signal: AbortSignal = shutdownSignal()): Promise<number> {
  let values: FlagValues<typeof OPTIONS>;
  let range: Awaited<ReturnType<typeof scenarioRange>>;
  let speed: number | 'live' | 'max';
  let statsEveryMs: number;
  try {
    values = parseFlags(args, OPTIONS).values;
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    range = await scenarioRange(values, Date.now());
    speed = parseSpeed(values.speed);
    if (speed === 'max' && range.to === undefined)
      throw new UsageError('--speed max needs an end: the scenario has no duration, give --to or --minutes');
    statsEveryMs = numberFlag('stats-every-s', values['stats-every-s'], { min: 0 }) * 1000;
  } catch (err) {
    if (!isUsageError(err)) throw err;
    console.error(`${err.message}\n\n${HELP}`);
    return 2;
  }

  const { generator, from, to } = range;
  const wallStart = Date.now();
  const now =
    speed === 'live'
      ? Date.now
      : speed === 'max'
        ? () => to!
        : () => from + (Date.now() - wallStart) * (speed as number);
  // The sink keeps retrying while Pulsewatch is down; Ctrl-C ends that too.
  const stopSink = new AbortController();
  const sink = httpSinkFrom(values, { signal: stopSink.signal });
  const truth = values.truth ? new GroundTruth(range.scenario, generator, from, to ?? Infinity) : undefined;
  const truthFile = values.truth ? new TruthFile(values.truth) : undefined;
  const sent: Sent = { social: emptyResult(), feedback: emptyResult(), reasons: {} };
  let failure: Error | undefined;

  const source: SyntheticSource = new SyntheticSource({
    generator,
    from,
    ...(to !== undefined && { until: to }),
    now,
    chunkMs: 1000,
    maxBatch: 5000,
    sink: async (batch) => {
      const { lines, feedback } = split(batch);
      const [social, fb] = await Promise.all([sink.submitRaw(lines), sink.submit(feedback, 'feedback')]);
      for (const e of [...social.errors, ...fb.errors])
        sent.reasons[e.reason] = (sent.reasons[e.reason] ?? 0) + 1;
      // counts only: a long run keeps no per-line errors
      addResult(sent.social, { ...social, errors: [] });
      addResult(sent.feedback, { ...fb, errors: [] });
      // only what was delivered goes into the truth: a failed range is generated and sent again
      if (truth && truthFile) await truthFile.write(truth.add(batch));
    },
    onError: (err) => {
      // HttpSink retries what can succeed; what reaches here cannot (refused, or stopped)
      failure ??= err instanceof Error ? err : new Error(String(err));
      void source.stop();
    },
  });

  console.error(describeRange(range) + `, speed ${speed}`);
  if (truthFile) await truthFile.write(truth!.head());
  const onAbort = () => {
    void source.stop();
    // a batch in flight is finished; one that Pulsewatch keeps refusing with 503s is given up
    setTimeout(() => stopSink.abort(), DRAIN_MS).unref();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const progress = () => console.error(`synthetic: ${formatProgress(source.position, sent)}`);
  const timer = statsEveryMs > 0 ? setInterval(progress, statsEveryMs) : undefined;
  try {
    await source.start();
    await source.done;
  } finally {
    if (timer) clearInterval(timer);
    signal.removeEventListener('abort', onAbort);
    stopSink.abort();
  }
  progress();

  if (failure && !signal.aborted) {
    await truthFile?.discard();
    console.error(`synthetic: stopped: ${failure.message}`);
    return 1;
  }
  if (truth && truthFile) {
    await truthFile.write(truth.tail(source.position ?? from));
    await truthFile.close();
    console.error(`synthetic: truth: ${formatCounts(truth.counts)} -> ${truthFile.path}`);
  }
  return 0;
}

function parseSpeed(v: string): number | 'live' | 'max' {
  if (v === 'live' || v === 'max') return v;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`--speed: expected live, max or a number > 0, got "${v}"`);
  return n;
}

/** Social lines as they are sent (posts, copies, malformed lines), and feedback events. */
function split(batch: readonly GeneratedEvent[]): { lines: string[]; feedback: unknown[] } {
  const lines: string[] = [];
  const feedback: unknown[] = [];
  for (const g of batch) {
    if (g.kind === 'social') lines.push(JSON.stringify(g.event));
    else if (g.kind === 'malformed') lines.push(g.line);
    else feedback.push(g.event);
  }
  return { lines, feedback };
}

function formatProgress(position: number | undefined, s: Sent): string {
  const reasons = Object.entries(s.reasons)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `event time ${position === undefined ? '-' : iso(position)}; ` +
    `posts accepted ${s.social.accepted} (duplicates within a request ${s.social.duplicates}), ` +
    `rejected ${s.social.rejected + s.feedback.rejected}${reasons ? ` (${reasons})` : ''}; ` +
    `feedback accepted ${s.feedback.accepted}`
  );
}
