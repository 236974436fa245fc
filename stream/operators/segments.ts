import { AudienceSegments } from '../../engines/clusters/segments.js';
import {
  AUTHOR_SEGMENTS_TABLE,
  SEGMENT_WINDOWS_TABLE,
  SEGMENTS_TABLE,
  type SegmentRow,
  type SegmentWindowRow,
} from '../analytics/tables.js';
import {
  analyticsLate,
  engagementOf,
  followersOf,
  postCountWindows,
  windowedColumns,
} from '../analytics/windowed.js';
import type { EnrichedEvent } from '../model/events.js';
import {
  analyticsSettings,
  type Operator,
  type OperatorContext,
  type OperatorDefinition,
  type OperatorOutput,
  type TableWrite,
} from './operator.js';

/** Authors seen before a partition's first segmentation: enough for k-means to find the groups, few enough to show segments soon after start. */
export const SEGMENT_WARMUP = 100;

/**
 * Audience segments: k-means over author features (activity, mean sentiment, engagement, follower
 * bucket, brands mentioned; engines/clusters AudienceSegments), updated with every post and
 * re-segmented when the audience drifts. Events are partitioned by author, so a partition holds all
 * of its authors' posts; its model orders segments canonically so that segment ids mean alike
 * segments in every partition, and readers add the partitions' sizes up by id. Per analytics window
 * and segment: posts, sentiment and engagement (`segment_windows`); per segment as it stands: its
 * label, size and centroid (`segments`); per author, their segment, written when it changes, by a
 * post or by a re-segmentation (`author_segments`: campaign decisions take it as context).
 */
export class Segments implements Operator {
  readonly name = 'segments';
  private readonly windowMs: number;
  private readonly k: number;
  private readonly maxAuthors: number;
  private model: AudienceSegments;
  private readonly windows;
  private changed = false;
  /** Authors whose segment changed since the last emit, with the new one. */
  private moved = new Map<string, number>();
  /** What `fold` returns for a post too late for its segment's analytics window. */
  private readonly lateFor: readonly string[];
  /** Open windows of another size the last restore dropped. */
  droppedAtRestore = 0;

  constructor(private readonly context: OperatorContext) {
    const settings = analyticsSettings(context);
    this.windowMs = settings.windowMs;
    this.k = settings.segments;
    this.maxAuthors = settings.segmentAuthors;
    this.model = this.freshModel();
    this.windows = postCountWindows(this.windowMs, context.allowedLatenessMs);
    this.lateFor = analyticsLate(this.windowMs);
  }

  private freshModel(): AudienceSegments {
    return new AudienceSegments({
      k: this.k,
      seed: 1 + this.context.partition,
      warmup: SEGMENT_WARMUP,
      maxAuthors: this.maxAuthors,
    });
  }

  fold(event: EnrichedEvent, watermark: number): readonly string[] | void {
    const score = event.sentiment.label === 'unsupported' ? 0 : event.sentiment.score;
    const segment = this.model.observe({
      author: event.author.id,
      followers: followersOf(event),
      ts: event.ts,
      sentiment: Number.isFinite(score) ? score : 0,
      engagement: engagementOf(event),
      brands: event.brands,
    });
    this.changed = true;
    // A segmentation moves authors who did not post: their campaign context changes too.
    for (const [author, moved] of this.model.drainMoves()) this.moved.set(author, moved);
    if (segment === null) return;
    if (segment !== this.model.previousSegment) this.moved.set(event.author.id, segment);
    if (!this.windows.add(String(segment), event.ts, event, watermark)) return this.lateFor;
  }

  /** The author's segment in this partition's model (undefined: not seen, or before the first segmentation). */
  segmentOf(author: string): number | undefined {
    return this.model.segmentOf(author);
  }

  emit(watermark: number, version: number): OperatorOutput {
    const { partition } = this.context;
    const writes: TableWrite[] = [];
    const windowRows: SegmentWindowRow[] = this.windows.emit(watermark).map((e) => ({
      segment: Number(e.key),
      posts: e.value.posts,
      positive: e.value.positive,
      negative: e.value.negative,
      sentiment_sum: e.value.sentiment_sum,
      scored: e.value.scored,
      engagement: e.value.engagement,
      ...windowedColumns(e, this.windowMs, partition, version),
    }));
    if (windowRows.length > 0) writes.push({ table: SEGMENT_WINDOWS_TABLE, rows: windowRows });
    if (this.changed) {
      this.changed = false;
      const rows: SegmentRow[] = this.model.segments().map((s) => ({
        partition,
        segment: s.id,
        label: s.label,
        authors: s.authors,
        centroid: JSON.stringify(s.centroid),
        version,
      }));
      if (rows.length > 0) writes.push({ table: SEGMENTS_TABLE, rows });
    }
    if (this.moved.size > 0) {
      const rows = [...this.moved].map(([author, segment]) => ({ author, partition, segment, version }));
      writes.push({ table: AUTHOR_SEGMENTS_TABLE, rows });
      this.moved.clear();
    }
    return { writes, live: [] };
  }

  /** Authors the model holds (at most its cap). */
  get segmentAuthors(): number {
    return this.model.authorCount;
  }

  get size(): number {
    return this.model.authorCount + this.windows.openWindows;
  }

  snapshot(): unknown {
    return {
      model: this.model.snapshot(),
      windowMs: this.windowMs,
      windows: this.windows.snapshot(),
      changed: this.changed,
      moved: [...this.moved],
    };
  }

  restore(state: unknown): void {
    const s = state as
      | {
          model: unknown;
          /** The windows' size; missing in checkpoints before it (see WindowOperator.restoreSized). */
          windowMs?: number;
          windows: unknown;
          changed: boolean;
          moved: [string, number][];
        }
      | undefined
      | null;
    this.model = this.freshModel();
    // Windows of another size (a restart with another --analytics-window) are dropped; the model
    // does not depend on the window and is kept.
    this.droppedAtRestore = this.windows.restoreSized(s?.windows ?? [], s?.windowMs);
    this.changed = s?.changed ?? false;
    this.moved = new Map(s?.moved ?? []);
    if (s) this.model.restore(s.model);
    // A restart with another --segments segments the authors again as it restores: their new
    // segments are written with the next emit, and so are the segments.
    const moves = this.model.drainMoves();
    for (const [author, segment] of moves) this.moved.set(author, segment);
    if (moves.length > 0) this.changed = true;
  }
}

export const segments: OperatorDefinition = {
  name: 'segments',
  description:
    'audience segments: k-means over author features, re-segmented on drift; posts and sentiment per segment and analytics window',
  tables: [SEGMENTS_TABLE, SEGMENT_WINDOWS_TABLE, AUTHOR_SEGMENTS_TABLE],
  create: (context) => new Segments(context),
};
