/**
 * Embedded pipeline benchmark: seeded events through ingest → in-process bus → enrich → aggregate
 * → in-memory store, against a baseline measured in the same run: the same enrich and window code
 * in a plain loop with no bus. Prints throughput, latency percentiles (ingest to aggregate) and memory.
 *
 *   npm run bench:embedded -- [--events 200000] [--partitions 4]
 */
import { RulesSentiment } from '../engines/sentiment/index.js';
import { BrandMatcher } from '../engines/text/index.js';
import { DEFAULT_BRANDS } from '../ingest/brands-default.js';
import { SyntheticGenerator } from '../ingest/synthetic/index.js';
import { loadConfig } from '../app/config.js';
import { startApp } from '../app/compose.js';
import {
  enrichEvent,
  OPERATORS,
  PartitionOperators,
  validateSocialEvent,
  type SocialEvent,
} from '../stream/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const N = arg('events', 200_000);
const partitions = arg('partitions', 4);
const MIN = 60_000;

// Input: seeded synthetic posts over the last hours, validated once up front.
const gen = new SyntheticGenerator({ seed: 1, brands: DEFAULT_BRANDS, ratePerSec: 200 });
const end = Math.floor(Date.now() / MIN) * MIN - MIN;
const events: SocialEvent[] = [];
for (const g of gen.generate(end - Math.ceil(N / 200 / 60) * MIN * 1.2, end)) {
  if (g.kind !== 'social') continue;
  const v = validateSocialEvent(g.event);
  if (v.ok) events.push(v.value);
  if (events.length === N) break;
}
console.log(`input: ${events.length} events, ${partitions} partitions, node ${process.version}`);

// Baseline: the same work without a bus, one loop.
const matcher = new BrandMatcher(DEFAULT_BRANDS);
const scorer = new RulesSentiment();
const settings = loadConfig([], {});
const windows = Array.from(
  { length: partitions },
  (_, partition) =>
    new PartitionOperators({
      partition,
      windows: settings.windows,
      outOfOrdernessMs: 5000,
      allowedLatenessMs: 3_600_000,
      brands: DEFAULT_BRANDS,
      operators: OPERATORS,
    }),
);
let t0 = performance.now();
for (const e of events) {
  const p = windows[Number(e.author.id.slice(1)) % partitions]!;
  p.fold(enrichEvent(e, matcher, scorer));
}
for (const w of windows) w.emit(1);
const baselineS = (performance.now() - t0) / 1000;
const baselineRate = events.length / baselineS;

// The pipeline.
const config = loadConfig(
  [
    '--port',
    '0',
    '--no-synthetic',
    '--log-level',
    'silent',
    '--partitions',
    String(partitions),
    '--allowed-lateness-ms',
    '3600000',
    // The baseline above scores with the rules tier; the pipeline must do the same work.
    '--sentiment-model',
    'rules',
  ],
  {},
);
const running = await startApp(config);
const lags: number[] = [];
running.instrumentation.on('batch.processed', (b) => {
  if (b.stage === 'aggregate') lags.push(...b.lagMs);
});
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
t0 = performance.now();
const CHUNK = 1000;
for (let i = 0; i < events.length; i += CHUNK) {
  const now = Date.now();
  // As HTTP ingest publishes a request: a few bus messages, one per partition.
  await running.ingestor!.publishSocialBatch(
    events.slice(i, i + CHUNK).map((e) => ({ ...e, received_ts: now })),
  );
}
const ingestS = (performance.now() - t0) / 1000;
while (lags.length < events.length) await new Promise((r) => setTimeout(r, 5));
const totalS = (performance.now() - t0) / 1000;
clearInterval(sampler);
await running.stop();

const rate = events.length / totalS;
lags.sort((a, b) => a - b);
const rows = [
  [
    'baseline: enrich + windows in one loop, no bus',
    `${Math.round(baselineRate).toLocaleString('en')} events/s`,
    '1.00',
  ],
  [
    'embedded pipeline end to end (ingest → bus → enrich → aggregate → store)',
    `${Math.round(rate).toLocaleString('en')} events/s`,
    (rate / baselineRate).toFixed(2),
  ],
  ['  ingest publish alone', `${Math.round(events.length / ingestS).toLocaleString('en')} events/s`, ''],
];
for (const [what, value, ratio] of rows)
  console.log(`${what!.padEnd(76)} ${value!.padStart(18)}  ${ratio ? `ratio ${ratio}` : ''}`);
console.log(
  `latency ingest → aggregate: p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${lags[lags.length - 1]} ms (under full load: includes queueing)`,
);
console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
