import { DEFAULT_SEGMENT_OPTIONS } from '../../engines/clusters/segments.js';
import { DEFAULT_TREND_OPTIONS } from '../../engines/trends/trending.js';
import type { BrandSpec } from '../model/brands.js';
import type { EnrichedEvent, FeedbackEvent } from '../model/events.js';
import type { TableSpec } from '../store/table.js';
import type { WindowSpec } from '../windows/index.js';

/**
 * One analysis in stage 2. The host (stages/stage2.ts) reads the partition's input, drops repeats,
 * tracks the watermark and, for every enriched event, calls each enabled operator in registry
 * order; after each batch it takes the operators' rows and live updates, writes the rows, publishes
 * the updates, and saves every operator's snapshot with the input position in one fenced
 * checkpoint. So an operator's results are exactly once with no code of its own for it: it only
 * has to be deterministic in its input (no clocks, no unseeded randomness).
 *
 * The logic lives in an engine (engines/, pure); the operator adapts it to this interface.
 */
export interface Operator {
  /** The registry name; also the key of its state in the checkpoint. */
  readonly name: string;
  /**
   * Folds one event (not a repeat; any brands, possibly none) at the current watermark, before the
   * watermark takes the event's time into account. Returns the names of windows the event came
   * too late for, if any: the host counts and dead-letters it once.
   */
  fold(event: EnrichedEvent, watermark: number): readonly string[] | void;
  /**
   * After a batch: what changed since the last call, and what the watermark (never lower than
   * before) has closed. Rows must carry `version` (the input sequence of the batch's last message).
   */
  emit(watermark: number, version: number): OperatorOutput;
  /**
   * Optional second input: campaign feedback (the partition's FEEDBACK stream). An operator that
   * has it makes the host read feedback too (a second partition loop). `key` is the line's
   * idempotency key (feedbackKey: `campaign:decision_id:kind`; without a decision id
   * `%id:campaign:id` when it has an `id`; else its position `fb:partition:seq:line`), the same on
   * every replay. Returns the windows the feedback came too late for, like `fold`. The two inputs
   * interleave in no set order, so an operator's state must depend only on each input's own order:
   * feedback has no social watermark, an operator that needs one keeps its own from the feedback's
   * times.
   */
  foldFeedback?(event: FeedbackEvent, key: string): readonly string[] | void;
  /**
   * After a feedback batch: what changed since the last call, like `emit`. `version` is the
   * feedback input's sequence of the batch's last message; rows of tables written from feedback
   * carry it (a table is written from one input only, so its versions grow with that input).
   */
  emitFeedback?(version: number): OperatorOutput;
  /** JSON-safe state; restore(snapshot()) gives an operator that behaves the same from there on. */
  snapshot(): unknown;
  restore(state: unknown): void;
  /** For metrics and tests: the number of keys or windows held. */
  readonly size: number;
  /**
   * Open windows the last `restore` dropped because the state held windows of another size than
   * the operator's (a restart with another window setting); the host counts and logs them.
   * Absent or 0: none.
   */
  readonly droppedAtRestore?: number;
}

export interface TableWrite {
  table: TableSpec<never>;
  rows: readonly { version: number }[];
}

export interface LiveUpdate {
  /** A live subject (see Subjects): at most once, to whoever listens now. */
  subject: string;
  data: unknown;
}

/** A message for a durable stream: published before the checkpoint, de-duplicated by `msgId`. */
export interface DurableMessage {
  subject: string;
  /** Deterministic in the input, so that a replay's repeat is dropped by the bus (and by readers). */
  msgId: string;
  data: unknown;
}

/** One piece of campaign feedback with its idempotency key (see Operator.foldFeedback). */
export interface KeyedFeedback {
  key: string;
  event: FeedbackEvent;
}

export interface OperatorOutput {
  writes: TableWrite[];
  live: LiveUpdate[];
  /** Messages for later stages (durable); most operators have none. */
  publish?: DurableMessage[];
  /**
   * Feedback for the campaigns' arm statistics (bandits): the host hands it to its `onFeedback`
   * hook after writing the rows and before the checkpoint. A replay after a crash hands the same
   * items again, so whoever applies them must do so at most once per `key`.
   */
  feedback?: KeyedFeedback[];
}

export const NO_OUTPUT: OperatorOutput = Object.freeze({ writes: [], live: [] }) as OperatorOutput;

/** What every operator of a partition is made with. */
export interface OperatorContext {
  partition: number;
  windows: readonly WindowSpec[];
  allowedLatenessMs: number;
  /** The spike alerts' window (`--alert-window`); default 1 minute. */
  spikeWindowMs?: number;
  /**
   * The configured brands, with their aliases and handles: the topics, the trends and the spike
   * terms leave a post's mentions of them out (a topic is what is said, not who it is said about),
   * the spike terms the words of their names too.
   */
  brands?: readonly BrandSpec[];
  /**
   * The social watermark's allowed out-of-orderness (ms); operators with a watermark of their own
   * (feedback) use the same. The host always sets it; default 0 when an operator is made alone.
   */
  outOfOrdernessMs?: number;
  /** The `campaigns` operator's window (`--campaign-window`, ms); default 1 hour. */
  campaignWindowMs?: number;
  /** Settings of the analyses beside the windows (topics, trends, voice, influencers, segments, best times). */
  analytics?: Partial<AnalyticsSettings>;
}

/** What the analytics operators are made with (`--analytics-window`, `--topic-scope`, `--segments`). */
export interface AnalyticsSettings {
  /** The window topics, trends, share of voice, influencers and segments are counted in (ms). */
  windowMs: number;
  /** `brand`: one topic model per brand (posts that name no brand are left out); `global`: one for all posts. */
  topicScope: 'brand' | 'global';
  /** The number of audience segments. */
  segments: number;
  /**
   * Authors each partition's segments hold at most (the least recently seen is forgotten first):
   * bounds the segments' memory and their part of every checkpoint.
   */
  segmentAuthors: number;
  /** Posts per second of event time each topic model of a partition clusters at most (0: no limit). */
  topicMaxRate: number;
  /** Windows a brand's trend baselines learn from before any of its terms can trend. */
  trendWarmupWindows: number;
}

export const DEFAULT_ANALYTICS: AnalyticsSettings = {
  windowMs: 300_000,
  topicScope: 'brand',
  segments: 5,
  segmentAuthors: DEFAULT_SEGMENT_OPTIONS.maxAuthors,
  topicMaxRate: 200,
  trendWarmupWindows: DEFAULT_TREND_OPTIONS.warmupWindows,
};

/** Most authors `--segment-authors` accepts per partition. */
export const MAX_SEGMENT_AUTHORS = 10_000_000;

/** The analytics settings of a context, defaults filled in and checked. */
export function analyticsSettings(context: OperatorContext): AnalyticsSettings {
  const s = { ...DEFAULT_ANALYTICS, ...context.analytics };
  if (!(Number.isInteger(s.windowMs) && s.windowMs >= 1_000))
    throw new RangeError('the analytics window must be a whole number of ms, at least 1 s');
  if (s.topicScope !== 'brand' && s.topicScope !== 'global')
    throw new RangeError('the topic scope must be "brand" or "global"');
  if (!(Number.isInteger(s.segments) && s.segments >= 1 && s.segments <= 50))
    throw new RangeError('the number of segments must be a whole number from 1 to 50');
  if (!(
    Number.isInteger(s.segmentAuthors) &&
    s.segmentAuthors >= 1 &&
    s.segmentAuthors <= MAX_SEGMENT_AUTHORS
  ))
    throw new RangeError(
      `the authors held per partition for segments must be a whole number from 1 to ${MAX_SEGMENT_AUTHORS}`,
    );
  if (!(Number.isInteger(s.topicMaxRate) && s.topicMaxRate >= 0))
    throw new RangeError('the topic rate limit must be a whole number of posts per second, 0 for none');
  if (!(Number.isInteger(s.trendWarmupWindows) && s.trendWarmupWindows >= 0))
    throw new RangeError('the trend warm-up must be a whole number of windows, 0 for none');
  return s;
}

/** A registry entry: how to make the operator, and the tables it writes (each created by a migration). */
export interface OperatorDefinition {
  readonly name: string;
  /** One line for `--operators` help and the README. */
  readonly description: string;
  readonly tables: readonly TableSpec<never>[];
  create(context: OperatorContext): Operator;
}
