/**
 * Stage 2's own work in one process, without the bus or the store: decode each event line, enrich
 * it (rules sentiment, brands, tokens; as the fused stage 2 does), fold it into a partition's
 * operators, emit after every batch and snapshot a partition's state (JSON) about every 1.25 s
 * of work, as a checkpoint would. Four partitions by author, as the pipeline benchmark has. Prints
 * µs of CPU per event (this thread and the GC's) and events/s by wall clock for each operator set,
 * and the mean snapshot time and size: what bench:pipeline's "stage 2 alone" is made of, without
 * the noise of the other processes.
 *
 *   npm run bench:stage2 -- [--events 200000] [--rounds 2] [--sets "windows,activity,spikes,campaigns;all"]
 *
 * Event times advance 40,000 events per second (a backlog read faster than real time, as in
 * bench:pipeline's drain). The first round of each set warms the JIT; the last is printed. A
 * benchmark, not a test: it never fails on timing.
 */
import { performance } from 'node:perf_hooks';
import { RulesSentiment } from '../engines/sentiment/index.js';
import { BrandMatcher } from '../engines/text/index.js';
import { DEFAULT_BRANDS } from '../ingest/brands-default.js';
import { SyntheticGenerator } from '../ingest/synthetic/index.js';
import { isMain, numberFlag, parseFlags, runTool, type FlagOptions } from '../app/flags.js';
import { partitionOf } from '../stream/bus/partition.js';
import { decodeSocialLine } from '../stream/model/events.js';
import * as enrich from '../stream/stages/enrich.js';
import { OPERATORS, selectOperators } from '../stream/operators/registry.js';
import { PartitionOperators } from '../stream/stages/partition-operators.js';
import { parseWindow } from '../stream/windows/index.js';

const USAGE =
  'usage: npm run bench:stage2 -- [--events 200000] [--rounds 2] [--sets "windows,activity,spikes,campaigns;all"]';
const OPTIONS = {
  events: { type: 'string', default: '200000' },
  rounds: { type: 'string', default: '2' },
  sets: { type: 'string', default: 'windows,activity,spikes,campaigns;all' },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

const PARTITIONS = 4;
const BATCH = 1000;
/** Events per second of event time. */
const EVENT_RATE = 40_000;
/** Work between two snapshots of one partition (ms): a checkpoint every 5 s per partition, spread over 4. */
const SNAPSHOT_EVERY_MS = 1250;

export async function main(argv: readonly string[], log: (line: string) => void = console.log) {
  const { values: f } = parseFlags(argv, OPTIONS);
  if (f.help) {
    log(USAGE);
    return 0;
  }
  const count = numberFlag('events', f.events, { min: 1000, integer: true });
  const rounds = numberFlag('rounds', f.rounds, { min: 1, integer: true });
  const encoder = new TextEncoder();
  const lines: Uint8Array[][] = Array.from({ length: PARTITIONS }, () => []);
  const base = Date.now() - 3_600_000;
  let n = 0;
  const gen = new SyntheticGenerator({ seed: 5, brands: DEFAULT_BRANDS, ratePerSec: 2000 });
  for (const g of gen.generate(base - 40 * 60_000, base)) {
    if (g.kind !== 'social') continue;
    const e = { ...g.event, ts: base + Math.floor((n * 1000) / EVENT_RATE) };
    lines[partitionOf(e.author.id, PARTITIONS)]!.push(encoder.encode(JSON.stringify(e)));
    if (++n >= count) break;
  }
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  const scorer = new RulesSentiment();
  // The fused stage 2 fills the decoded event in place where it can (enrichInPlace), else copies.
  const enrichers = enrich as {
    enrichInPlace?: typeof enrich.enrichEvent;
    enrichEvent: typeof enrich.enrichEvent;
  };
  const enrichOne = enrichers.enrichInPlace ?? enrichers.enrichEvent;
  const fill = (e: ReturnType<typeof decodeSocialLine>) => enrichOne(e, matcher, scorer);
  const windows = ['1m', '15m', '1h', '1d'].map(parseWindow);
  log(
    `node ${process.version}; ${n.toLocaleString('en-US')} events, ${PARTITIONS} partitions, batches of ${BATCH}`,
  );
  log(
    `${'operators'.padEnd(56)}${'µs/event'.padStart(10)}${'events/s'.padStart(10)}${'snapshot ms'.padStart(13)}${'state MB'.padStart(10)}`,
  );
  for (const set of f.sets.split(';')) {
    const operators = set === 'all' ? OPERATORS : selectOperators(set.split(','));
    for (let round = 1; round <= rounds; round++) {
      const parts = Array.from(
        { length: PARTITIONS },
        (_, partition) =>
          new PartitionOperators({
            partition,
            windows,
            allowedLatenessMs: 5000,
            outOfOrdernessMs: 2000,
            brands: DEFAULT_BRANDS,
            operators,
          }),
      );
      let snapshotMs = 0;
      let snapshots = 0;
      let bytes = 0;
      const next = parts.map(() => 0);
      const cpu = process.cpuUsage();
      const start = performance.now();
      let lastSnapshot = start;
      let version = 0;
      while (next.some((at, p) => at < lines[p]!.length))
        for (let p = 0; p < PARTITIONS; p++) {
          const end = Math.min(next[p]! + BATCH, lines[p]!.length);
          for (let i = next[p]!; i < end; i++)
            parts[p]!.fold(fill(decodeSocialLine(lines[p]![i]!, String(base))));
          next[p] = end;
          parts[p]!.emit(++version);
          if (performance.now() - lastSnapshot >= SNAPSHOT_EVERY_MS) {
            const at = performance.now();
            bytes += JSON.stringify(parts[p]!.snapshot()).length;
            snapshots++;
            snapshotMs += performance.now() - at;
            lastSnapshot = performance.now();
          }
        }
      const wallMs = performance.now() - start;
      const used = process.cpuUsage(cpu);
      if (round < rounds) continue;
      const usPerEvent = (used.user + used.system) / n;
      log(
        `${set.padEnd(56)}${usPerEvent.toFixed(1).padStart(10)}${Math.round((n / wallMs) * 1000)
          .toLocaleString('en-US')
          .padStart(
            10,
          )}${(snapshots > 0 ? snapshotMs / snapshots : 0).toFixed(1).padStart(13)}${(snapshots > 0 ? bytes / snapshots / 1e6 : 0).toFixed(2).padStart(10)}`,
      );
    }
  }
  return 0;
}

if (isMain(import.meta.url)) runTool('bench-stage2-operators', USAGE, () => main(process.argv.slice(2)));
