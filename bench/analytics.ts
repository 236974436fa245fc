/**
 * Analytics engines benchmark: events per second on one core (this thread), latency per event
 * (p50, p99) and the state held after the run, for each case of a list. A case names an engine,
 * its settings and its input; other analyses add their engines as further cases. Today: topic
 * assignment (`add` of a post's terms) by the streaming DMM with its default caps and by the
 * k-means baseline, on the synthetic topic stream (the eval scenario, hour after hour with a new
 * seed each hour; its brands left out of the terms, as the pipeline does), on the Stack Overflow titles when ../shared/data has them (passes over the
 * 20,000 titles), and on an adversarial stream whose every post brings new terms (the vocabulary
 * cap at work). The baseline measured in the same run is topicTerms (text -> terms) on the same
 * posts: each rate is printed as a multiple of it.
 *
 *   npm run bench:analytics -- [--events 1000000] [--segment-events 300000] [--segment-authors 100000] [--json]
 *
 * Then the audience segments' checkpoint: the `segments` operator of one partition folds
 * --segment-events synthetic posts (enriched as stage 2 does) from an author pool of the
 * generator's default 5,000 and from one of a million (a firehose: the table at its cap), and the
 * bytes of its snapshot as the checkpoint stores it (JSON) are printed with the authors held
 * (at most --segment-authors, the pipeline's setting of that name).
 *
 * Heap is measured after a full garbage collection before the engine is made and after its last
 * event, so the difference is what the engine holds (within the noise of other allocations);
 * stateSize is the engine's own measure (numbers and term characters held), printed beside the
 * caps that bound it. A benchmark, not a test: it never fails on timing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  DEFAULT_DMM_OPTIONS,
  DEFAULT_KMEANS_OPTIONS,
  MiniBatchKMeans,
  StreamingDmm,
  topicTerms,
  type TopicClusterer,
} from '../engines/clusters/index.js';
import { Random } from '../engines/stats/index.js';
import { isMain, numberFlag, parseFlags, runTool, type FlagOptions } from '../app/flags.js';
import { readLabelled, syntheticTopicPosts, TOPIC_SCENARIO_BRANDS } from '../app/tools/cluster-data.js';
import { BrandMatcher } from '../engines/text/index.js';
import { SHARED_DATA } from '../app/tools/sentiment-data.js';
import { RulesSentiment } from '../engines/sentiment/index.js';
import { DEFAULT_BRANDS } from '../ingest/brands-default.js';
import { SyntheticGenerator } from '../ingest/synthetic/index.js';
import { enrichEvent } from '../stream/stages/enrich.js';
import { normalizeSocialEvent } from '../stream/model/events.js';
import { Segments } from '../stream/operators/segments.js';
import { DEFAULT_ANALYTICS } from '../stream/operators/operator.js';

const USAGE =
  'usage: npm run bench:analytics -- [--events 1000000] [--segment-events 300000] [--segment-authors 100000] [--json]';
const OPTIONS = {
  events: { type: 'string', default: '1000000' },
  'segment-events': { type: 'string', default: '300000' },
  'segment-authors': { type: 'string', default: String(DEFAULT_ANALYTICS.segmentAuthors) },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

const HOUR = 3_600_000;
const STACKOVERFLOW = join(SHARED_DATA, 'stackoverflow-titles.jsonl');

type Log = (line: string) => void;

/** A chunk of the input: texts and their event times, and the brands the pipeline would track in them. */
interface Chunk {
  texts: string[];
  ts: number[];
  brands?: BrandMatcher;
}

/** One row of the benchmark: an engine with its settings, and the input it runs on. */
export interface BenchCase {
  name: string;
  /** The settings that bound its state, as printed. */
  caps: string;
  make: () => TopicClusterer;
  input: string;
  /** Events, as a share of --events. */
  share: number;
}

export interface CaseResult {
  name: string;
  input: string;
  events: number;
  events_per_s: number;
  /** Texts to terms per second on the same input (the baseline). */
  terms_per_s: number;
  vs_terms: number;
  p50_us: number;
  p99_us: number;
  heap_mb: number;
  state_size: number;
  clusters: number;
  caps: string;
}

const dmmCaps = `maxClusters ${DEFAULT_DMM_OPTIONS.maxClusters}, maxVocabulary ${DEFAULT_DMM_OPTIONS.maxVocabulary}, reservoirSize ${DEFAULT_DMM_OPTIONS.reservoirSize}`;
const kmeansCaps = `k ${DEFAULT_KMEANS_OPTIONS.k}, dimensions ${DEFAULT_KMEANS_OPTIONS.dimensions}, warmup ${DEFAULT_KMEANS_OPTIONS.warmup}`;

export const CASES: BenchCase[] = [
  { name: 'topics: dmm', caps: dmmCaps, make: () => new StreamingDmm(), input: 'synthetic', share: 1 },
  {
    name: 'topics: kmeans',
    caps: kmeansCaps,
    make: () => new MiniBatchKMeans(),
    input: 'synthetic',
    share: 1,
  },
  { name: 'topics: dmm', caps: dmmCaps, make: () => new StreamingDmm(), input: 'stackoverflow', share: 0.2 },
  {
    name: 'topics: kmeans',
    caps: kmeansCaps,
    make: () => new MiniBatchKMeans(),
    input: 'stackoverflow',
    share: 0.2,
  },
  { name: 'topics: dmm', caps: dmmCaps, make: () => new StreamingDmm(), input: 'new terms', share: 0.2 },
];

/** The input of a case, in chunks, `events` posts in all. */
async function* inputOf(input: string, events: number): AsyncGenerator<Chunk> {
  let sent = 0;
  if (input === 'synthetic') {
    const brands = new BrandMatcher([...TOPIC_SCENARIO_BRANDS]);
    for (let hour = 0; sent < events; hour++) {
      const posts = syntheticTopicPosts(1000 + hour, events - sent);
      yield { texts: posts.map((p) => p.text), ts: posts.map((p) => p.ts + hour * HOUR), brands };
      sent += posts.length;
    }
  } else if (input === 'stackoverflow') {
    const { rows } = await readLabelled(STACKOVERFLOW, {
      labelField: 'label',
      textField: 'text',
      intervalMs: 1000,
    });
    const span = rows.length * 1000;
    for (let pass = 0; sent < events; pass++) {
      const part = rows.slice(0, events - sent);
      yield { texts: part.map((r) => r.text), ts: part.map((r) => r.ts + pass * span) };
      sent += part.length;
    }
  } else {
    // Every post: eight words never seen before (and a common one), a post a second.
    const rng = new Random(7);
    for (let chunk = 0; sent < events; chunk++) {
      const n = Math.min(20_000, events - sent);
      const texts: string[] = [];
      const ts: number[] = [];
      for (let i = 0; i < n; i++) {
        const words = ['update'];
        for (let w = 0; w < 8; w++) words.push(`w${Math.floor(rng.next() * 2 ** 52).toString(36)}`);
        texts.push(words.join(' '));
        ts.push((sent + i) * 1000);
      }
      yield { texts, ts };
      sent += n;
    }
  }
}

const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Author pools the segments' checkpoint is measured with: the generator's default, and a firehose's. */
export const SEGMENT_POOLS = [5_000, 1_000_000];

export interface SegmentsSnapshotResult {
  pool: number;
  events: number;
  /** Authors the model holds after the run. */
  authors: number;
  /** Bytes of JSON.stringify(snapshot()), as the checkpoint writes it. */
  bytes: number;
}

/**
 * The `segments` operator of one partition after `events` synthetic posts by a pool of `pool`
 * authors (an event a batch of 1,000 emitted, as stage 2 does): the size of its snapshot.
 */
export function segmentsSnapshotSize(
  pool: number,
  events: number,
  segmentAuthors = DEFAULT_ANALYTICS.segmentAuthors,
): SegmentsSnapshotResult {
  const gen = new SyntheticGenerator({ seed: 5, brands: DEFAULT_BRANDS, ratePerSec: 2000, authors: pool });
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  const scorer = new RulesSentiment();
  const op = new Segments({
    partition: 0,
    windows: [],
    allowedLatenessMs: 5000,
    analytics: { segmentAuthors },
  });
  const start = Date.UTC(2026, 0, 5);
  let n = 0;
  let watermark = -Infinity;
  for (const g of gen.generate(start, start + 30 * 86_400_000)) {
    if (g.kind !== 'social') continue;
    const e = enrichEvent(normalizeSocialEvent(g.event, g.event.ts), matcher, scorer);
    op.fold(e, watermark);
    watermark = Math.max(watermark, e.ts - 2000);
    if (++n % 1000 === 0) op.emit(watermark, n);
    if (n >= events) break;
  }
  op.emit(watermark, n);
  const bytes = Buffer.byteLength(JSON.stringify(op.snapshot()));
  return { pool, events: n, authors: op.segmentAuthors, bytes };
}

async function runCase(c: BenchCase, events: number, progress: Log): Promise<CaseResult> {
  const heapBefore = heapUsed();
  const engine = c.make();
  const latency = new Float64Array(events);
  let n = 0;
  let busy = 0;
  let termsTime = 0;
  let shown = Date.now();
  for await (const chunk of inputOf(c.input, events)) {
    const t0 = performance.now();
    const terms = chunk.texts.map((t) => topicTerms(t, chunk.brands));
    termsTime += performance.now() - t0;
    for (let i = 0; i < terms.length; i++) {
      const start = performance.now();
      engine.add(terms[i]!, chunk.ts[i]!);
      const d = performance.now() - start;
      busy += d;
      latency[n++] = d;
      // An operator drains the events as it goes; so does the benchmark.
      if ((n & 1023) === 0) engine.drainEvents();
    }
    if (Date.now() - shown > 5000) {
      shown = Date.now();
      progress(`${c.name} on ${c.input}: ${n.toLocaleString('en-US')} of ${events.toLocaleString('en-US')}`);
    }
  }
  engine.drainEvents();
  const heap = heapUsed() - heapBefore;
  const sorted = latency.subarray(0, n).sort();
  const pct = (p: number) => sorted[Math.min(n - 1, Math.floor(p * n))]! * 1000;
  const rate = n / (busy / 1000);
  const termsRate = n / (termsTime / 1000);
  return {
    name: c.name,
    input: c.input,
    events: n,
    events_per_s: Math.round(rate),
    terms_per_s: Math.round(termsRate),
    vs_terms: Math.round((rate / termsRate) * 100) / 100,
    p50_us: Math.round(pct(0.5) * 10) / 10,
    p99_us: Math.round(pct(0.99) * 10) / 10,
    heap_mb: Math.round((heap / 2 ** 20) * 10) / 10,
    state_size: engine.stateSize,
    clusters: engine.clusterCount,
    caps: c.caps,
  };
}

export async function main(argv: readonly string[], log: Log = console.log, progress: Log = console.error) {
  const { values: f } = parseFlags(argv, OPTIONS);
  if (f.help) {
    log(USAGE);
    return 0;
  }
  const events = numberFlag('events', f.events, { min: 1, integer: true });
  const segmentEvents = numberFlag('segment-events', f['segment-events'], { min: 1, integer: true });
  const segmentAuthors = numberFlag('segment-authors', f['segment-authors'], { min: 1, integer: true });
  const cases = CASES.filter((c) => c.input !== 'stackoverflow' || existsSync(STACKOVERFLOW));
  if (cases.length < CASES.length) progress(`no ${STACKOVERFLOW}: the Stack Overflow rows are left out`);
  log(`node ${process.version}, one thread; ${events.toLocaleString('en-US')} events per full case`);
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await runCase(c, Math.max(1, Math.round(events * c.share)), progress));
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  log('');
  log(
    `${'case'.padEnd(16)}${'input'.padEnd(15)}${'events'.padStart(11)}${'events/s'.padStart(11)}${'vs terms'.padStart(10)}${'p50 µs'.padStart(9)}${'p99 µs'.padStart(9)}${'heap MB'.padStart(9)}${'stateSize'.padStart(11)}${'clusters'.padStart(10)}  caps`,
  );
  for (const r of results)
    log(
      `${r.name.padEnd(16)}${r.input.padEnd(15)}${fmt(r.events).padStart(11)}${fmt(r.events_per_s).padStart(11)}${`${r.vs_terms.toFixed(2)}×`.padStart(10)}${r.p50_us.toFixed(1).padStart(9)}${r.p99_us.toFixed(1).padStart(9)}${r.heap_mb.toFixed(1).padStart(9)}${fmt(r.state_size).padStart(11)}${String(r.clusters).padStart(10)}  ${r.caps}`,
    );
  log('');
  log('vs terms: events/s of the engine over texts/s of topicTerms on the same posts, in the same run.');
  log('Target: topic assignment ≥ 20,000 events/s on one core with default options.');
  const segments = SEGMENT_POOLS.map((pool) => segmentsSnapshotSize(pool, segmentEvents, segmentAuthors));
  log('');
  for (const r of segments)
    log(
      `segments snapshot bytes after ${fmt(r.events)} events (author pool ${fmt(r.pool)}, --segment-authors ${fmt(segmentAuthors)}): ${fmt(r.bytes)} bytes, ${fmt(r.authors)} authors held (${(r.bytes / Math.max(1, r.authors)).toFixed(1)} bytes per author)`,
    );
  if (f.json) log(JSON.stringify({ events, cases: results, segments }));
  return 0;
}

if (isMain(import.meta.url)) runTool('bench-analytics', USAGE, () => main(process.argv.slice(2)));
