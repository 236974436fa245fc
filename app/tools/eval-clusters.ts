/**
 * Evaluates the topic clusterers.
 *
 *   npm run eval:clusters -- [--data FILE --label-field F --text-field F [--time-field F]] [--algo dmm|kmeans] [--json]
 *
 * Clusters the texts of a labelled JSON Lines file in file order, one pass, and scores the clusters
 * against the labels: NMI (I / sqrt(H(C) H(K))), ARI, purity, the number of clusters, and the
 * events per second of the clusterer's `add` (terms extracted beforehand; their own rate is
 * printed beside). Without --data the stream is the synthetic generator's posts under the topic
 * scenario (app/tools/cluster-data.ts), labelled with the topic each post was written from.
 *
 * A document's cluster is the one it ends in: the DMM's batch passes and re-clustering may move a
 * recent document after `add` answered, and k-means assigns its warm-up documents when the warm-up
 * ends; both report such moves (drainReassignments). The answers of `add` themselves are scored
 * too ("as add answered"). A text without usable terms counts as a cluster of its own.
 *
 * Without --algo both run, the DMM and the k-means baseline (k: --k, default the number of distinct
 * labels). With --json the last line is one JSON object: the DMM's (or --algo's) figures at the top
 * level, the baseline's under `baseline`.
 */
import { resolve } from 'node:path';
import {
  clusteringScores,
  DEFAULT_DMM_OPTIONS,
  MiniBatchKMeans,
  StreamingDmm,
  topicTerms,
  type DmmOptions,
  type ReassigningClusterer,
} from '../../engines/clusters/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { GENERAL_TOPIC } from '../../ingest/synthetic/index.js';
import { isMain, numberFlag, parseFlags, runTool, UsageError, type FlagOptions } from '../flags.js';
import { readBrands } from './alert-inputs.js';
import {
  byLabel,
  manyTopicPosts,
  readLabelled,
  syntheticTopicPosts,
  TOPIC_SCENARIO_BRANDS,
  type LabelledText,
} from './cluster-data.js';

const USAGE = `usage: npm run eval:clusters -- [--data FILE --label-field F --text-field F [--time-field F | --interval-ms N] [--brands FILE]]
         [--scenario topics|many] [--algo dmm|kmeans] [--k N] [--limit N] [--seed N] [--order file|label] [--json]
         [--alpha A] [--beta B] [--max-clusters N] [--max-vocabulary N] [--reservoir N] [--batch-size N]
         [--batch-passes N] [--sample true|false] [--forget-ms N] [--half-life-ms N] [--drift-threshold Z]
         [--merge-share S] [--key-term-share S] [--key-term-top N] [--hashtag-share S] [--split-passes N]
  Without --data: a synthetic stream (its seed: --seed): --scenario topics (the default), the
  generator's topic scenario (8 topics and general posts); --scenario many, 150 small topics of
  made-up words shaped like the tweet and news benchmarks (shuffled; --order label: one after another).
  --brands FILE (with --data): the brands the pipeline would track (a JSON list of names or of
  { name, aliases, handles }, as for --brands of start); their mentions are left out of the terms.`;

const OPTIONS = {
  data: { type: 'string' },
  brands: { type: 'string' },
  'label-field': { type: 'string', default: 'label' },
  'text-field': { type: 'string', default: 'text' },
  'time-field': { type: 'string' },
  'interval-ms': { type: 'string' },
  order: { type: 'string', default: 'file' },
  scenario: { type: 'string', default: 'topics' },
  algo: { type: 'string' },
  k: { type: 'string' },
  limit: { type: 'string' },
  seed: { type: 'string' },
  alpha: { type: 'string' },
  beta: { type: 'string' },
  'max-clusters': { type: 'string' },
  'max-vocabulary': { type: 'string' },
  reservoir: { type: 'string' },
  'batch-size': { type: 'string' },
  'batch-passes': { type: 'string' },
  sample: { type: 'string' },
  'forget-ms': { type: 'string' },
  'half-life-ms': { type: 'string' },
  'drift-threshold': { type: 'string' },
  'merge-share': { type: 'string' },
  'key-term-share': { type: 'string' },
  'key-term-top': { type: 'string' },
  'hashtag-share': { type: 'string' },
  'split-passes': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies FlagOptions;

type Flags = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];
type Log = (line: string) => void;

const DEFAULT_SEED = 42;
const PROGRESS_MS = 5_000;
/** Reassignments are collected this often (documents): well within the clusterers' pending caps. */
const DRAIN_EVERY = 1_000;
/** The cluster id the `general` posts get in the general_as_one scores: no clusterer's (ids are ≥ 0, texts without terms < 0 by row). */
const GENERAL_CLUSTER = Number.MIN_SAFE_INTEGER;

export interface AlgoFigures {
  algo: string;
  nmi: number;
  ari: number;
  purity: number;
  clusters: number;
  events_per_s: number;
  n: number;
  /** The same scores for the answers of `add` (before any later move). */
  nmi_online: number;
  ari_online: number;
  /** Texts without usable terms (each scored as a cluster of its own). */
  unassigned: number;
  /** Clusters live at the end, and the clusterer's state size then. */
  live_clusters: number;
  state_size: number;
  /** Events the clusterer emitted, by type. */
  events: Record<string, number>;
  /** Scores over the posts of labels other than `general` (when the data has both). */
  without_general?: { nmi: number; ari: number; purity: number; n: number };
  /** Scores with the `general` posts put in one cluster of their own, the rest as clustered: what the topics alone allow. */
  general_as_one?: { nmi: number; ari: number };
  /**
   * Scores against the finer labels (LabelledText.subject): each `general` post labelled with the
   * template it was written from, the topics' posts with their topic.
   */
  general_by_template?: { nmi: number; ari: number; labels: number };
  k?: number;
}

export async function main(argv: readonly string[], log: Log = console.log, progress: Log = console.error) {
  const { values: f } = parseFlags(argv, OPTIONS);
  if (f.help) {
    log(USAGE);
    return 0;
  }
  const algos = f.algo === undefined ? ['dmm', 'kmeans'] : [f.algo];
  if (f.algo !== undefined && f.algo !== 'dmm' && f.algo !== 'kmeans')
    throw new UsageError(`--algo must be dmm or kmeans, got "${f.algo}"`);
  if (f.scenario !== 'topics' && f.scenario !== 'many')
    throw new UsageError(`--scenario must be topics or many, got "${f.scenario}"`);
  if (f.order !== 'file' && f.order !== 'label')
    throw new UsageError(`--order must be file or label, got "${f.order}"`);
  const seed = numberFlag('seed', f.seed, { min: 0, integer: true }) ?? DEFAULT_SEED;
  const limit = numberFlag('limit', f.limit, { min: 1, integer: true });
  const intervalMs = numberFlag('interval-ms', f['interval-ms'], { min: 0 }) ?? 1000;
  const dmmOverrides = dmmFlags(f, seed);

  let rows: LabelledText[];
  let source: string;
  /** The brands the stream tracks: their mentions are left out of the terms, as in the pipeline. */
  let brands: BrandMatcher | undefined;
  if (f.brands !== undefined && f.data === undefined)
    throw new UsageError('--brands goes with --data (the synthetic streams know their own brands)');
  if (f.data !== undefined) {
    const file = resolve(f.data);
    if (f.brands !== undefined) brands = new BrandMatcher(await readBrands(resolve(f.brands)));
    const report = await readLabelled(file, {
      labelField: f['label-field'],
      textField: f['text-field'],
      ...(f['time-field'] !== undefined && { timeField: f['time-field'] }),
      intervalMs,
      ...(limit !== undefined && { limit }),
    });
    rows = report.rows;
    source = `${f.data}: ${rows.length.toLocaleString('en-US')} texts (label "${f['label-field']}", text "${f['text-field']}"${f['time-field'] ? `, time "${f['time-field']}"` : `, ${intervalMs} ms apart`})`;
    if (brands) source += `, the mentions of the brands of ${f.brands} left out of the terms`;
    const skipped = [
      report.unreadable > 0 ? `${report.unreadable} lines that are not JSON objects` : '',
      report.incomplete > 0
        ? `${report.incomplete} rows without a usable label or text (the first at line ${report.firstIncomplete})`
        : '',
      report.badTime > 0 ? `${report.badTime} rows without a readable time (given the previous row's)` : '',
    ].filter(Boolean);
    if (skipped.length > 0) log(`skipped: ${skipped.join('; ')}`);
    if (rows.length === 0) throw new UsageError(`--data: no row with a label and a text in ${f.data}`);
  } else if (f.scenario === 'many') {
    rows = manyTopicPosts(seed, limit);
    source = `synthetic many-topics stream, seed ${seed}: ${rows.length.toLocaleString('en-US')} posts over ${new Set(rows.map((r) => r.label)).size} topics, shuffled`;
  } else {
    rows = syntheticTopicPosts(seed, limit);
    brands = new BrandMatcher([...TOPIC_SCENARIO_BRANDS]);
    source = `synthetic topic scenario, seed ${seed}: ${rows.length.toLocaleString('en-US')} posts over ${new Set(rows.map((r) => r.label)).size} topics (general included), 1 h of event time, the four brands' mentions left out of the terms`;
  }
  if (f.order === 'label') {
    rows = byLabel(rows, intervalMs);
    source += ', in label order (one topic after another)';
  }

  const t0 = performance.now();
  const terms = rows.map((r) => topicTerms(r.text, brands));
  const termsPerS = rows.length / ((performance.now() - t0) / 1000);
  const truth = rows.map((r) => r.label);
  const labels = new Set(truth).size;
  const k = numberFlag('k', f.k, { min: 1, integer: true }) ?? labels;

  const results: AlgoFigures[] = [];
  for (const algo of algos) {
    const engine: ReassigningClusterer =
      algo === 'dmm' ? new StreamingDmm(dmmOverrides) : new MiniBatchKMeans({ seed, k });
    results.push(run(algo, engine, terms, rows, truth, progress));
    if (algo === 'kmeans') results[results.length - 1]!.k = k;
  }

  log(source);
  log(`${labels} distinct labels; topic terms extracted at ${fmt(termsPerS)} texts/s`);
  if (algos.includes('kmeans'))
    log(
      `kmeans baseline: k = ${k}${f.k === undefined ? ', the number of distinct labels (--k to change)' : ''}`,
    );
  const header = results.map((r) => r.algo);
  const width = 12;
  const row = (name: string, cells: string[]) =>
    `${name.padEnd(26)}${cells.map((c) => c.padStart(width)).join('')}`;
  log(row('', header));
  log(
    row(
      'NMI',
      results.map((r) => r.nmi.toFixed(3)),
    ),
  );
  log(
    row(
      'ARI',
      results.map((r) => r.ari.toFixed(3)),
    ),
  );
  log(
    row(
      'purity',
      results.map((r) => r.purity.toFixed(3)),
    ),
  );
  log(
    row(
      'clusters (documents in)',
      results.map((r) => String(r.clusters)),
    ),
  );
  log(
    row(
      'events/s (add)',
      results.map((r) => fmt(r.events_per_s)),
    ),
  );
  log(
    row(
      'NMI as add answered',
      results.map((r) => r.nmi_online.toFixed(3)),
    ),
  );
  log(
    row(
      'ARI as add answered',
      results.map((r) => r.ari_online.toFixed(3)),
    ),
  );
  log(
    row(
      'live clusters at the end',
      results.map((r) => String(r.live_clusters)),
    ),
  );
  log(
    row(
      'state size at the end',
      results.map((r) => fmt(r.state_size)),
    ),
  );
  log(
    row(
      'texts without terms',
      results.map((r) => String(r.unassigned)),
    ),
  );
  if (results.every((r) => r.without_general)) {
    log(
      row(
        'NMI without general',
        results.map((r) => r.without_general!.nmi.toFixed(3)),
      ),
    );
    log(
      row(
        'ARI without general',
        results.map((r) => r.without_general!.ari.toFixed(3)),
      ),
    );
    log(
      row(
        'ARI, general as 1 cluster',
        results.map((r) => r.general_as_one!.ari.toFixed(3)),
      ),
    );
  }
  if (results.every((r) => r.general_by_template))
    for (const [name, pick] of [
      ['NMI, general by template', (r: AlgoFigures) => r.general_by_template!.nmi],
      ['ARI, general by template', (r: AlgoFigures) => r.general_by_template!.ari],
    ] as const)
      log(
        row(
          name,
          results.map((r) => pick(r).toFixed(3)),
        ),
      );
  for (const r of results)
    log(
      `${r.algo} events: ${
        Object.entries(r.events)
          .map(([type, n]) => `${n} ${type}`)
          .join(', ') || 'none'
      }`,
    );
  if (algos.includes('dmm')) log(`dmm options: ${describeOptions(dmmOverrides)}`);
  log(`n = ${rows.length}`);
  if (f.json) {
    const [first, ...rest] = results;
    log(JSON.stringify({ ...first, ...(rest[0] && { baseline: rest[0] }) }));
  }
  return 0;
}

function run(
  algo: string,
  engine: ReassigningClusterer,
  terms: string[][],
  rows: readonly LabelledText[],
  truth: readonly (string | number)[],
  progress: Log,
): AlgoFigures {
  const n = rows.length;
  const online = new Array<number>(n);
  const final = new Array<number>(n);
  /** Row of each accepted document, by the clusterer's sequence number. */
  const rowOf: number[] = [];
  const events: Record<string, number> = {};
  let unassigned = 0;
  const drain = () => {
    for (const m of engine.drainReassignments()) {
      const i = rowOf[m.seq];
      if (i !== undefined) final[i] = m.id;
    }
    for (const e of engine.drainEvents()) events[e.type] = (events[e.type] ?? 0) + 1;
  };
  let shown = Date.now();
  let busy = 0;
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const a = engine.add(terms[i]!, rows[i]!.ts);
    busy += performance.now() - start;
    if (a === null) {
      unassigned++;
      online[i] = final[i] = -1 - i;
    } else {
      rowOf.push(i);
      online[i] = final[i] = a.id;
    }
    if (i % DRAIN_EVERY === DRAIN_EVERY - 1) {
      drain();
      if (Date.now() - shown >= PROGRESS_MS) {
        shown = Date.now();
        progress(`${algo}: ${(i + 1).toLocaleString('en-US')} of ${n.toLocaleString('en-US')} texts`);
      }
    }
  }
  if (engine instanceof MiniBatchKMeans) engine.flush();
  drain();
  const scores = clusteringScores(truth, final);
  const asAnswered = clusteringScores(truth, online);
  // The general topic is a mix of everyday templates: the topics' own posts, scored apart, show
  // how much of the score it takes.
  const topical = truth.flatMap((label, i) => (label === GENERAL_TOPIC ? [] : [i]));
  const withoutGeneral =
    topical.length > 0 && topical.length < n
      ? clusteringScores(
          topical.map((i) => truth[i]!),
          topical.map((i) => final[i]!),
        )
      : undefined;
  const generalAsOne = withoutGeneral
    ? clusteringScores(
        truth,
        truth.map((label, i) => (label === GENERAL_TOPIC ? GENERAL_CLUSTER : final[i]!)),
      )
    : undefined;
  // The general posts are ~70 unrelated everyday templates under one label: scored by template too.
  const subjects = rows.every((r) => r.subject !== undefined) ? rows.map((r) => r.subject!) : undefined;
  const byTemplate = subjects && withoutGeneral ? clusteringScores(subjects, final) : undefined;
  return {
    ...(generalAsOne && { general_as_one: { nmi: round(generalAsOne.nmi), ari: round(generalAsOne.ari) } }),
    ...(byTemplate && {
      general_by_template: {
        nmi: round(byTemplate.nmi),
        ari: round(byTemplate.ari),
        labels: new Set(subjects).size,
      },
    }),
    ...(withoutGeneral && {
      without_general: {
        nmi: round(withoutGeneral.nmi),
        ari: round(withoutGeneral.ari),
        purity: round(withoutGeneral.purity),
        n: withoutGeneral.n,
      },
    }),
    algo,
    nmi: round(scores.nmi),
    ari: round(scores.ari),
    purity: round(scores.purity),
    clusters: scores.clusters,
    events_per_s: Math.round(n / Math.max(busy / 1000, 1e-9)),
    n,
    nmi_online: round(asAnswered.nmi),
    ari_online: round(asAnswered.ari),
    unassigned,
    live_clusters: engine.clusterCount,
    state_size: engine.stateSize,
    events,
  };
}

function dmmFlags(f: Flags, seed: number): Partial<DmmOptions> {
  const o: Partial<DmmOptions> = { seed, trackReassignments: true };
  const num = (flag: string, raw: string | undefined, key: keyof DmmOptions, integer = false) => {
    const v = numberFlag(flag, raw, { min: 0, integer });
    if (v !== undefined) (o as Record<string, number>)[key] = v;
  };
  num('alpha', f.alpha, 'alpha');
  num('beta', f.beta, 'beta');
  num('max-clusters', f['max-clusters'], 'maxClusters', true);
  num('max-vocabulary', f['max-vocabulary'], 'maxVocabulary', true);
  num('reservoir', f.reservoir, 'reservoirSize', true);
  num('batch-size', f['batch-size'], 'batchSize', true);
  num('batch-passes', f['batch-passes'], 'batchPasses', true);
  num('forget-ms', f['forget-ms'], 'forgetMs');
  num('half-life-ms', f['half-life-ms'], 'halfLifeMs');
  num('merge-share', f['merge-share'], 'mergeShare');
  num('key-term-share', f['key-term-share'], 'keyTermShare');
  num('key-term-top', f['key-term-top'], 'keyTermTop', true);
  num('hashtag-share', f['hashtag-share'], 'hashtagShare');
  num('split-passes', f['split-passes'], 'splitPasses', true);
  if (f['drift-threshold'] !== undefined)
    o.driftThreshold =
      f['drift-threshold'] === 'Infinity'
        ? Infinity
        : numberFlag('drift-threshold', f['drift-threshold'], { min: 0 });
  if (f.sample !== undefined) {
    if (f.sample !== 'true' && f.sample !== 'false')
      throw new UsageError(`--sample must be true or false, got "${f.sample}"`);
    o.sample = f.sample === 'true';
  }
  try {
    new StreamingDmm(o);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  return o;
}

function describeOptions(o: Partial<DmmOptions>): string {
  const all = { ...DEFAULT_DMM_OPTIONS, ...o };
  return Object.entries(all)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

if (isMain(import.meta.url)) runTool('eval-clusters', USAGE, () => main(process.argv.slice(2)));
