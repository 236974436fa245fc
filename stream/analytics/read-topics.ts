import type { Store } from '../store/store.js';
import {
  num,
  parseJson,
  round,
  settledRows,
  startFilter,
  sumWindows,
  type TimeRange,
} from './read-common.js';
import { TOPIC_WINDOWS_TABLE, TOPICS_TABLE, type TopicRow, type TopicWindowRow } from './tables.js';

/**
 * Topics of a scope put together over the partitions. Each partition clusters its own authors'
 * posts, so one subject of conversation is a topic in several partitions under different ids. The
 * partitions' topics are merged greedily, largest first: a topic joins the merged topic whose
 * largest member's terms are most alike to its own (cosine of the term weights, at least
 * `threshold`), never two topics of one partition, which that partition's model kept apart.
 */

export interface TopicTerm {
  term: string;
  weight: number;
}

export interface TopicWindowPoint {
  start: number;
  end: number;
  docs: number;
  positive: number;
  negative: number;
  /** sentiment_sum / docs; null without posts. */
  sentiment_mean: number | null;
  emerging: boolean;
}

export interface TopicView {
  /** `<partition>-<topic>` of the largest member. */
  id: string;
  /** The first terms, comma-separated. */
  label: string;
  terms: TopicTerm[];
  /** Posts in the range. */
  docs: number;
  positive: number;
  negative: number;
  sentiment_mean: number | null;
  /** A member was emerging in some window of the range. */
  emerging: boolean;
  /** A member is a cluster its partition holds now (`topics` table, live). */
  live: boolean;
  /** The partitions' topics merged into this one, `<partition>-<topic>`, largest first. */
  members: string[];
  /** Per window, oldest first. */
  windows: TopicWindowPoint[];
}

export interface TopicsView {
  /** The window size of the rows (null without rows). */
  window_ms: number | null;
  topics: TopicView[];
}

export interface TopicMergeOptions {
  /** Least cosine similarity of two partitions' term weights to be one topic. Default 0.5. */
  threshold?: number;
  /** Topics returned at most, largest first. Default 20. */
  limit?: number;
  /** Terms per topic. Default 8. */
  terms?: number;
  /** Terms in the label. Default 3. */
  labelTerms?: number;
  /**
   * The largest partition topics merged at most (by posts in the range); smaller ones are left out.
   * Bounds the work of a read, which compares each topic with the merged ones. Default 2,000.
   */
  maxMembers?: number;
}

export const DEFAULT_TOPIC_MERGE = {
  threshold: 0.5,
  limit: 20,
  terms: 8,
  labelTerms: 3,
  maxMembers: 2_000,
} as const;

/** The `terms` column (`[[term, weight], ...]`) as a map; bad entries are left out. */
export function parseTerms(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const parsed = parseJson(text, []);
  if (!Array.isArray(parsed)) return out;
  for (const item of parsed) {
    if (!Array.isArray(item)) continue;
    const [term, weight] = item as unknown[];
    if (typeof term !== 'string' || term === '') continue;
    const w = num(weight);
    if (w > 0) out.set(term, (out.get(term) ?? 0) + w);
  }
  return out;
}

/** Cosine similarity of two term weightings (0 when either is empty). */
export function termSimilarity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [t, w] of a) {
    na += w * w;
    const v = b.get(t);
    if (v !== undefined) dot += w * v;
  }
  for (const w of b.values()) nb += w * w;
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** The counted columns of a topic window. */
const TOPIC_COUNTS = ['docs', 'positive', 'negative'] as const;

interface Member {
  key: string;
  partition: number;
  docs: number;
  terms: Map<string, number>;
  live: boolean;
  rows: TopicWindowRow[];
}

/**
 * Merges the partitions' topics (window rows of one scope, already settled, and the scope's
 * `topics` rows for the current terms). Pure; deterministic for the same rows in any order.
 */
export function mergeTopics(
  windowRows: readonly TopicWindowRow[],
  topicRows: readonly TopicRow[],
  options: TopicMergeOptions = {},
): TopicView[] {
  const o = { ...DEFAULT_TOPIC_MERGE, ...options };
  const current = new Map<string, TopicRow>();
  for (const r of topicRows) current.set(`${r.partition}-${r.topic}`, r);

  const members = new Map<string, Member>();
  for (const r of windowRows) {
    const key = `${r.partition}-${r.topic}`;
    let m = members.get(key);
    if (!m)
      members.set(
        key,
        (m = { key, partition: r.partition, docs: 0, terms: new Map(), live: false, rows: [] }),
      );
    m.docs += num(r.docs);
    m.rows.push(r);
  }
  for (const m of members.values()) {
    m.rows.sort((a, b) => a.start - b.start); // sums in one order, whatever the store's
    const now = current.get(m.key);
    m.live = now?.live === 1;
    // the cluster's terms as they stand; else those written with its latest window
    const latest = [...m.rows].sort((a, b) => b.start - a.start || b.version - a.version);
    const texts = [...(m.live && now ? [now.terms] : []), ...latest.map((r) => r.terms)];
    for (const text of texts) {
      const terms = parseTerms(text);
      if (terms.size > 0) {
        m.terms = terms;
        break;
      }
    }
  }

  const order = [...members.values()]
    .sort(
      (a, b) => b.docs - a.docs || a.partition - b.partition || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    )
    .slice(0, Math.max(0, o.maxMembers));
  const groups: Member[][] = [];
  for (const m of order) {
    let best: Member[] | undefined;
    let bestSimilarity = o.threshold;
    for (const g of groups) {
      if (g.some((x) => x.partition === m.partition)) continue;
      const s = termSimilarity(g[0]!.terms, m.terms);
      if (s >= bestSimilarity && (best === undefined || s > bestSimilarity)) {
        best = g;
        bestSimilarity = s;
      }
    }
    if (best) best.push(m);
    else groups.push([m]);
  }

  return groups
    .map((g) => topicOf(g, o.terms, o.labelTerms))
    .sort((a, b) => b.docs - a.docs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, Math.max(0, o.limit));
}

function topicOf(group: Member[], termCount: number, labelTerms: number): TopicView {
  // terms: each member's weights as shares of its own total, weighted by its posts
  const weights = new Map<string, number>();
  for (const m of group) {
    let total = 0;
    for (const w of m.terms.values()) total += w;
    if (!(total > 0)) continue;
    const docs = Math.max(m.docs, 1);
    for (const [t, w] of m.terms) weights.set(t, (weights.get(t) ?? 0) + (docs * w) / total);
  }
  let sum = 0;
  for (const w of weights.values()) sum += w;
  const terms = [...weights]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, termCount)
    .map(([term, w]) => ({ term, weight: round(sum > 0 ? w / sum : 0) }));

  const rows = group.flatMap((m) => m.rows);
  const { total, windows } = sumWindows(rows, TOPIC_COUNTS, 'docs');
  const emergingStarts = new Set(rows.filter((r) => r.emerging === 1).map((r) => r.start));
  const head = group[0]!;
  return {
    id: head.key,
    label:
      terms.length > 0
        ? terms
            .slice(0, labelTerms)
            .map((t) => t.term)
            .join(', ')
        : `topic ${head.key}`,
    terms,
    ...total,
    emerging: emergingStarts.size > 0,
    live: group.some((m) => m.live),
    members: group.map((m) => m.key),
    windows: windows.map((w) => ({ ...w, emerging: emergingStarts.has(w.start) })),
  };
}

/**
 * The topics of a scope (a brand's name, or `*` for the global model) in a range: two store reads
 * (the scope's window rows in the range, and its current clusters).
 */
export async function readTopics(
  store: Store,
  scope: string,
  range: TimeRange,
  options: TopicMergeOptions = {},
): Promise<TopicsView> {
  const [windowRows, topicRows] = await Promise.all([
    store.read(TOPIC_WINDOWS_TABLE, { scope, start: startFilter(range) }),
    store.read(TOPICS_TABLE, { scope }),
  ]);
  const settled = settledRows(windowRows);
  return { window_ms: settled.sizeMs, topics: mergeTopics(settled.rows, topicRows, options) };
}
