import { StreamingDmm } from '../../engines/clusters/dmm.js';
import type { DmmOptions } from '../../engines/clusters/dmm-options.js';
import { topicTermsOf } from '../../engines/clusters/terms.js';
import type { TopicSummary } from '../../engines/clusters/types.js';
import {
  TOPIC_WINDOWS_TABLE,
  TOPICS_TABLE,
  type TopicRow,
  type TopicWindowRow,
} from '../analytics/tables.js';
import { mentionsOf, tokensOf } from '../model/event-tokens.js';
import { analyticsLate, postCountWindows, windowedColumns, type PostCounts } from '../analytics/windowed.js';
import type { EnrichedEvent } from '../model/events.js';
import type { WindowEmission, WindowOperator } from '../windows/index.js';
import {
  analyticsSettings,
  type Operator,
  type OperatorContext,
  type OperatorDefinition,
  type OperatorOutput,
  type TableWrite,
} from './operator.js';

/** The scope of the global topic model (`--topic-scope global`). */
export const GLOBAL_SCOPE = '*';
/** Label terms written per topic. */
export const TOPIC_TERMS = 8;
/**
 * A topic is emerging in a window when it was created in that window or the one before, has at
 * least EMERGING_MIN_DOCS posts in the window, and at least EMERGING_GROWTH times its posts of the
 * window before; and its model had been running for EMERGING_AFTER_WINDOWS windows when it was
 * created (at the start every topic is new: none of them is news).
 */
export const EMERGING_MIN_DOCS = 10;
export const EMERGING_AFTER_WINDOWS = 2;
/**
 * Caps of a brand's topic model (`--topic-scope brand`): a partition holds one per brand, and each
 * is in every checkpoint, so they are smaller than the engine's defaults (which the global model
 * keeps): a reservoir of 500 recent posts for re-clustering, 300 topics, 20,000 terms.
 */
export const BRAND_MODEL: Partial<DmmOptions> = {
  reservoirSize: 500,
  maxClusters: 300,
  maxVocabulary: 20_000,
};
export const EMERGING_GROWTH = 2;

interface Scope {
  model: StreamingDmm;
  /** Event time of the first post the model took (topics created before it is warm are not emerging). */
  since: number;
  /** Topic -> event time it was created at, while a window still to close may read it (see prune). */
  created: Map<number, number>;
  /** Topic -> its posts in its last final window (for growth). */
  lastFinal: Map<number, [start: number, docs: number]>;
  /** Topics changed since the last emit (rows of the `topics` table to write). */
  dirty: Set<number>;
  /** Topics the model dropped since the last emit. */
  dropped: Set<number>;
  /** The second of event time posts were last clustered in, and how many were. */
  second: number;
  inSecond: number;
  /** Posts added to the model since its events were last drained. */
  undrained: number;
}

const SEP = '\u0000';
const GLOBAL_SCOPES = [GLOBAL_SCOPE];
/**
 * Posts a model takes between drains of its events at most. A post makes at most one topic and
 * one re-clustering, and a drain forgets at most the topics made since plus the model's cap, so
 * the queue stays far below the engine's bound of undrained events (10,000; beyond it the oldest go).
 */
const DRAIN_EVERY = 1_000;

/**
 * Topic clusters per brand (or over all posts, `--topic-scope global`): each post's terms (its words
 * and hashtags, less its mentions of the tracked brands) go to a streaming Dirichlet-process mixture
 * (engines/clusters StreamingDmm), which puts it in a topic or opens a new one; topics fade when
 * nobody posts about them. Per analytics window and topic: posts and sentiment (`topic_windows`,
 * with the topic's label terms and an `emerging` flag); per topic as it stands: its terms and size
 * (`topics`, `live` 0 once forgotten).
 *
 * Under load each model clusters at most `topicMaxRate` posts per second of event time (the first
 * ones of each second; `--topic-max-rate`): topic volumes then count the clustered posts, and their
 * shares stay unbiased.
 *
 * Topic ids are the partition's own (a partition's model sees its authors' posts); readers put
 * alike topics of the partitions together by their terms (analytics/read.ts). Assignment depends
 * only on the order of the posts, so a replay assigns the same topics; the label terms written with
 * a window are the topic's as the window closed, which may differ by batch.
 */
export class Topics implements Operator {
  readonly name = 'topics';
  private readonly windowMs: number;
  private readonly global: boolean;
  private readonly maxRate: number;
  /** The models' caps: a brand's model is one of several per partition, so smaller than the engine's defaults. */
  private readonly modelOptions: Partial<DmmOptions>;
  private readonly scopes = new Map<string, Scope>();
  private readonly windows: WindowOperator<EnrichedEvent, PostCounts, PostCounts>;
  /** What `fold` returns for a post too late for its topic's analytics window. */
  private readonly lateFor: readonly string[];
  /** Open windows of another size the last restore dropped. */
  droppedAtRestore = 0;

  constructor(private readonly context: OperatorContext) {
    const settings = analyticsSettings(context);
    this.windowMs = settings.windowMs;
    this.global = settings.topicScope === 'global';
    this.maxRate = settings.topicMaxRate;
    this.modelOptions = this.global ? {} : BRAND_MODEL;
    this.windows = postCountWindows(this.windowMs, context.allowedLatenessMs);
    this.lateFor = analyticsLate(this.windowMs);
  }

  private scope(name: string): Scope {
    let s = this.scopes.get(name);
    if (!s) {
      s = {
        model: new StreamingDmm(this.modelOptions),
        since: Number.NaN,
        created: new Map(),
        lastFinal: new Map(),
        dirty: new Set(),
        dropped: new Set(),
        second: Number.NaN,
        inSecond: 0,
        undrained: 0,
      };
      this.scopes.set(name, s);
    }
    return s;
  }

  fold(event: EnrichedEvent, watermark: number): readonly string[] | void {
    if (!this.global && event.brands.length === 0) return;
    const second = Math.floor(event.ts / 1000);
    // Terms only once a scope takes the post: under load most posts are over every scope's rate.
    let terms: string[] | undefined;
    let late = false;
    for (const name of this.global ? GLOBAL_SCOPES : event.brands) {
      const known = this.scopes.get(name);
      // Under load, the first `maxRate` posts (with terms) of each second of event time: the
      // model's cost is bounded, and which posts are clustered depends only on the input's order.
      // A post out of order counts toward the latest second the scope has seen, so posts that
      // alternate between two seconds cannot reset the count.
      const bucket = known && known.second > second ? known.second : second;
      if (this.maxRate > 0 && known && known.second === bucket && known.inSecond >= this.maxRate) continue;
      if (!terms) {
        terms = topicTermsOf(tokensOf(event), mentionsOf(event, this.context.brands));
      }
      if (terms.length === 0) return;
      const s = known ?? this.scope(name);
      if (this.maxRate > 0) {
        if (bucket !== s.second) {
          s.second = bucket;
          s.inSecond = 0;
        }
        s.inSecond++;
      }
      if (Number.isNaN(s.since)) s.since = event.ts;
      const a = s.model.add(terms, event.ts);
      if (a) {
        s.dirty.add(a.id);
        if (!this.windows.add(`${name}${SEP}${a.id}`, event.ts, event, watermark)) late = true;
      }
      // The model's events are drained at emit (and snapshot), and every DRAIN_EVERY posts so that
      // they stay well under its queue's bound. When does not matter: ids are never reused, and
      // fold reads nothing a drain writes.
      if (++s.undrained >= DRAIN_EVERY) this.drain(s);
    }
    if (late) return this.lateFor;
  }

  /**
   * Takes in the model's events since the last drain, in order: topics it created (by a post, or by
   * a split of its batch passes) and topics it dropped (forgotten, merged away, or removed by a
   * re-clustering). The topics a drift re-clustering makes are not noted as created: they regroup
   * posts the model already holds, and flagging them would call an old conversation emerging.
   */
  private drain(s: Scope): void {
    s.undrained = 0;
    for (const e of s.model.drainEvents()) {
      if (e.type === 'created') {
        if (!s.created.has(e.id)) s.created.set(e.id, e.at);
        s.dirty.add(e.id);
      } else this.forget(s, e.type === 'forgotten' ? [e.id] : e.removed);
    }
  }

  /**
   * A topic the model dropped: written as not live. What `emerging` reads of it (`created`,
   * `lastFinal`) stays until it is too old to matter (see `prune`): forgetting it here would make a
   * window's flag depend on whether the window closed before or after the drop was drained.
   */
  private forget(s: Scope, ids: readonly number[]): void {
    for (const id of ids) {
      s.dirty.delete(id);
      s.dropped.add(id);
    }
  }

  /** Emerging: young, big enough, and growing fast against its window before. */
  private emerging(s: Scope, topic: number, start: number, docs: number): boolean {
    const created = s.created.get(topic);
    if (created === undefined || created < start - this.windowMs || docs < EMERGING_MIN_DOCS) return false;
    if (!(created >= s.since + EMERGING_AFTER_WINDOWS * this.windowMs)) return false;
    const last = s.lastFinal.get(topic);
    const before = last && last[0] === start - this.windowMs ? last[1] : 0;
    return docs >= EMERGING_GROWTH * before;
  }

  emit(watermark: number, version: number): OperatorOutput {
    const { partition } = this.context;
    for (const s of this.scopes.values()) this.drain(s);
    const labels = new Map<string, Map<number, TopicSummary>>();
    const summaryOf = (name: string, s: Scope, topic: number): TopicSummary | undefined => {
      let m = labels.get(name);
      if (!m) labels.set(name, (m = new Map(s.model.summaries(TOPIC_TERMS).map((t) => [t.id, t]))));
      return m.get(topic);
    };
    const termsOf = (t: TopicSummary | undefined) =>
      JSON.stringify((t?.terms ?? []).map((x) => [x.term, round(x.weight)]));

    const windowRows: TopicWindowRow[] = [];
    for (const e of this.windows.emit(watermark) as WindowEmission<PostCounts>[]) {
      const cut = e.key.lastIndexOf(SEP);
      const name = e.key.slice(0, cut);
      const topic = Number(e.key.slice(cut + 1));
      // Absent: a window of a scope left behind at a restart with another --topic-scope, closing.
      const s = this.scopes.get(name);
      const emerging = s !== undefined && this.emerging(s, topic, e.start, e.value.posts);
      windowRows.push({
        scope: name,
        topic,
        docs: e.value.posts,
        positive: e.value.positive,
        negative: e.value.negative,
        sentiment_sum: e.value.sentiment_sum,
        scored: e.value.scored,
        terms: termsOf(s && summaryOf(name, s, topic)),
        emerging: emerging ? 1 : 0,
        ...windowedColumns(e, this.windowMs, partition, version),
      });
      if (s && e.final && s.created.has(topic)) s.lastFinal.set(topic, [e.start, e.value.posts]);
    }
    this.prune(watermark);

    const topicRows: TopicRow[] = [];
    for (const [name, s] of this.scopes) {
      for (const topic of s.dirty) {
        const t = summaryOf(name, s, topic);
        if (!t) continue;
        topicRows.push({
          scope: name,
          partition,
          topic,
          docs: round(t.docs),
          terms: termsOf(t),
          created_at: t.createdAt,
          last_seen_at: t.lastSeenAt,
          live: 1,
          version,
        });
      }
      for (const topic of s.dropped)
        topicRows.push({
          scope: name,
          partition,
          topic,
          docs: 0,
          terms: '[]',
          created_at: 0,
          last_seen_at: 0,
          live: 0,
          version,
        });
      s.dirty.clear();
      s.dropped.clear();
    }
    const writes: TableWrite[] = [];
    if (windowRows.length > 0) writes.push({ table: TOPIC_WINDOWS_TABLE, rows: windowRows });
    if (topicRows.length > 0) writes.push({ table: TOPICS_TABLE, rows: topicRows });
    return { writes, live: [] };
  }

  /**
   * Drops what no window still to close can read: a window still open at `watermark` starts after
   * watermark − lateness − window, so its `emerging` needs a topic created after the horizon below
   * and reads the final window just before it, which starts after the horizon too. Which entries
   * go therefore never changes a row, whatever the watermarks of the emits.
   */
  private prune(watermark: number): void {
    const horizon = watermark - this.context.allowedLatenessMs - 2 * this.windowMs;
    for (const s of this.scopes.values()) {
      for (const [id, at] of s.created) if (at <= horizon) s.created.delete(id);
      for (const [id, [start]] of s.lastFinal) if (start <= horizon) s.lastFinal.delete(id);
    }
  }

  get size(): number {
    let n = this.windows.openWindows;
    for (const s of this.scopes.values()) n += s.model.clusterCount;
    return n;
  }

  /** The scopes' models (tests and the benchmark read them). */
  models(): ReadonlyMap<string, StreamingDmm> {
    return new Map([...this.scopes].map(([name, s]) => [name, s.model]));
  }

  snapshot(): unknown {
    for (const s of this.scopes.values()) this.drain(s);
    return {
      windowMs: this.windowMs,
      windows: this.windows.snapshot(),
      scopes: [...this.scopes].map(([name, s]) => ({
        name,
        model: s.model.snapshot(),
        since: Number.isFinite(s.since) ? s.since : null,
        created: [...s.created],
        lastFinal: [...s.lastFinal],
        dirty: [...s.dirty],
        dropped: [...s.dropped],
        second: Number.isFinite(s.second) ? s.second : null,
        inSecond: s.inSecond,
      })),
    };
  }

  restore(state: unknown): void {
    const st = (state ?? { windows: [], scopes: [] }) as {
      /** The windows' size; missing in checkpoints before it (see WindowOperator.restoreSized). */
      windowMs?: number;
      windows: unknown;
      scopes: {
        name: string;
        model: unknown;
        /** Missing in checkpoints before it: such a model is long warm. */
        since?: number | null;
        created: [number, number][];
        lastFinal: [number, [number, number]][];
        dirty: number[];
        dropped: number[];
        second: number | null;
        inSecond: number;
      }[];
    };
    // Windows of another size (a restart with another --analytics-window) are dropped; the models
    // do not depend on the window and are kept.
    this.droppedAtRestore = this.windows.restoreSized(st.windows, st.windowMs);
    this.scopes.clear();
    for (const x of st.scopes) {
      // A restart with another --topic-scope: the other scope's models are left behind (their caps
      // differ, a global model does not fit a brand's, and nothing would read or forget them).
      if ((x.name === GLOBAL_SCOPE) !== this.global) continue;
      const model = new StreamingDmm(this.modelOptions);
      model.restore(x.model);
      this.scopes.set(x.name, {
        model,
        since: x.since === undefined ? Number.MIN_SAFE_INTEGER : (x.since ?? Number.NaN),
        created: new Map(x.created),
        lastFinal: new Map(x.lastFinal),
        dirty: new Set(x.dirty),
        dropped: new Set(x.dropped),
        second: x.second ?? Number.NaN,
        inSecond: x.inSecond,
        undrained: 0,
      });
    }
  }
}

/** Weights and sizes with 4 decimals: enough to read, and stable in JSON. */
function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10_000) / 10_000 : 0;
}

export const topics: OperatorDefinition = {
  name: 'topics',
  description:
    'topic clusters per brand (or global): a streaming Dirichlet-process mixture over the posts’ terms; posts and sentiment per topic and analytics window, emerging topics',
  tables: [TOPIC_WINDOWS_TABLE, TOPICS_TABLE],
  create: (context) => new Topics(context),
};
