import { segmentLabels, vectorOfRaw } from '../../engines/clusters/author-features.js';
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
import { SEGMENT_WINDOWS_TABLE, SEGMENTS_TABLE, type SegmentRow, type SegmentWindowRow } from './tables.js';

/**
 * Audience segments over the partitions. Each partition segments its own authors, and its model
 * numbers segments canonically, so an id means alike segments in every partition: sizes add up by
 * id, and the centroid is the authors-weighted mean of the partitions' centroids. The labels are
 * made again from those centroids (engines/clusters segmentLabels), so that segments that read alike
 * over the partitions are told apart: each partition's labels tell apart only its own segments.
 */

export interface SegmentWindowPoint {
  start: number;
  end: number;
  posts: number;
  positive: number;
  negative: number;
  sentiment_mean: number | null;
  engagement: number;
}

export interface SegmentView {
  id: number;
  label: string;
  /** Authors in the segment now, over the partitions. */
  authors: number;
  /** Feature → value in raw units (engines/clusters author-features). */
  centroid: Record<string, number>;
  /** Posts of the segment's authors in the range. */
  posts: number;
  positive: number;
  negative: number;
  sentiment_mean: number | null;
  engagement: number;
  /** Per window, oldest first. */
  windows: SegmentWindowPoint[];
}

export interface SegmentsView {
  window_ms: number | null;
  /** By id. */
  segments: SegmentView[];
}

/** The counted columns of a segment window. */
const SEGMENT_COUNTS = ['posts', 'positive', 'negative', 'engagement'] as const;

function centroidOf(text: string): Record<string, number> {
  const parsed = parseJson(text, {});
  const out: Record<string, number> = {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return out;
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>))
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/**
 * The segments each partition has now: the rows of its latest write. The operator writes all of a
 * partition's segments at once, one version; a segment id it no longer has (a restart with fewer
 * `--segments`, a re-segmentation that found fewer groups) keeps its old row under its own key,
 * which must not count.
 */
export function currentSegmentRows(rows: readonly SegmentRow[]): SegmentRow[] {
  const latest = new Map<number, number>();
  for (const r of rows) latest.set(r.partition, Math.max(latest.get(r.partition) ?? -Infinity, r.version));
  return rows.filter((r) => r.version === latest.get(r.partition));
}

/** Merges the partitions' segments (their latest write) and settled segment windows. Pure. */
export function mergeSegments(
  segmentRows: readonly SegmentRow[],
  windowRows: readonly SegmentWindowRow[],
): SegmentView[] {
  const segments = new Map<number, { rows: SegmentRow[]; windows: SegmentWindowRow[] }>();
  const entry = (id: number) => {
    let s = segments.get(id);
    if (!s) segments.set(id, (s = { rows: [], windows: [] }));
    return s;
  };
  const current = currentSegmentRows(segmentRows);
  for (const r of current) entry(r.segment).rows.push(r);
  for (const r of windowRows) entry(r.segment).windows.push(r);
  // A segment no partition has now, with posts in the range: the label and centroid it last had, no authors.
  const held = new Set(current.map((r) => r.segment));
  for (const r of segmentRows)
    if (!held.has(r.segment)) segments.get(r.segment)?.rows.push({ ...r, authors: 0 });

  const views = [...segments]
    .sort((a, b) => a[0] - b[0])
    .map(([id, s]) => {
      let authors = 0;
      let label = '';
      let most = -1;
      const weighted = new Map<string, [sum: number, weight: number]>();
      for (const r of [...s.rows].sort((a, b) => a.partition - b.partition)) {
        const n = Math.max(0, num(r.authors));
        authors += n;
        if (n > most) {
          most = n;
          label = r.label;
        }
        // authors-weighted; a partition with no authors in the segment still counts a little, so
        // that a segment nobody holds yet keeps a centroid
        const weight = n > 0 ? n : 1e-9;
        for (const [f, v] of Object.entries(centroidOf(r.centroid))) {
          const w = weighted.get(f) ?? [0, 0];
          w[0] += weight * v;
          w[1] += weight;
          weighted.set(f, w);
        }
      }
      const centroid: Record<string, number> = {};
      for (const [f, [sum, weight]] of weighted) centroid[f] = round(sum / weight, 6);

      const { total, windows } = sumWindows(s.windows, SEGMENT_COUNTS, 'posts');
      return { id, label, authors, centroid, ...total, windows };
    });
  // Segments with a centroid get labels made from the merged centroids; the others (windows only) keep theirs.
  const withCentroid = views.filter((v) => Object.keys(v.centroid).length > 0);
  const labels = segmentLabels(
    withCentroid.map((v) => vectorOfRaw(v.centroid)),
    withCentroid.map((v) => v.id),
  );
  withCentroid.forEach((v, i) => (v.label = labels[i]!));
  return views;
}

/** The audience segments with their posts in a range: two store reads. */
export async function readSegments(store: Store, range: TimeRange): Promise<SegmentsView> {
  const [segmentRows, windowRows] = await Promise.all([
    store.read(SEGMENTS_TABLE, {}),
    store.read(SEGMENT_WINDOWS_TABLE, { start: startFilter(range) }),
  ]);
  const settled = settledRows(windowRows);
  return { window_ms: settled.sizeMs, segments: mergeSegments(segmentRows, settled.rows) };
}
