import {
  feedbackCounts,
  FeedbackWindows,
  type FeedbackWindow,
  type FeedbackWindowsSnapshot,
} from '../../engines/bandits/feedback-windows.js';
import { CAMPAIGN_WINDOWS_TABLE, type CampaignWindowRow } from '../campaigns/windows-table.js';
import type { FeedbackEvent } from '../model/events.js';
import { windowLabel } from '../windows/index.js';
import {
  NO_OUTPUT,
  type KeyedFeedback,
  type Operator,
  type OperatorContext,
  type OperatorDefinition,
  type OperatorOutput,
} from './operator.js';

/** The campaign window when `--campaign-window` is not given: 1 hour. */
export const DEFAULT_CAMPAIGN_WINDOW_MS = 3_600_000;

interface CampaignWindowsState {
  windows: FeedbackWindowsSnapshot;
  /** Feedback folded since the last emitFeedback (empty at every checkpoint). */
  feedback: KeyedFeedback[];
}

/**
 * Campaign feedback per campaign, arm and window (event time, `campaignWindowMs`): impressions,
 * clicks, conversions, rewards (their number and the sum of their values) and revenue (the sum of
 * the conversions' values; a conversion without a value adds no revenue, a reward without a value
 * adds 0 to the reward sum). Reads only the feedback input; social events are ignored.
 *
 * It keeps its own watermark from the feedback's times (highest time minus the out-of-orderness),
 * since the social watermark moves in no set order relative to feedback. At each feedback batch it
 * writes the changed windows (`final` 0), and once the watermark passes a window's end plus the
 * allowed lateness, the window's final row (`final` 1), and forgets it. Rows are per partition
 * (a campaign's feedback is in one partition); readers add partitions up.
 *
 * Every valid feedback event also goes out as `feedback` (KeyedFeedback) for the arm statistics,
 * late or not: lateness is about the windows, an arm's statistics have none.
 */
export class CampaignWindows implements Operator {
  readonly name = 'campaigns';
  readonly windowMs: number;
  private readonly windows: FeedbackWindows;
  private readonly lateFor: readonly string[];
  private pending: KeyedFeedback[] = [];

  constructor(private readonly context: OperatorContext) {
    this.windowMs = context.campaignWindowMs ?? DEFAULT_CAMPAIGN_WINDOW_MS;
    if (!(Number.isInteger(this.windowMs) && this.windowMs >= 1_000))
      throw new RangeError('the campaign window must be a whole number of ms, at least 1 s');
    this.windows = new FeedbackWindows({
      windowMs: this.windowMs,
      outOfOrdernessMs: context.outOfOrdernessMs ?? 0,
      allowedLatenessMs: context.allowedLatenessMs,
    });
    this.lateFor = [`campaign ${windowLabel(this.windowMs)}`];
  }

  /** Social events: nothing to do. */
  fold(): void {}

  emit(): OperatorOutput {
    return NO_OUTPUT;
  }

  /** The watermark of the feedback input (-Infinity before any). */
  get watermark(): number {
    return this.windows.watermark;
  }

  foldFeedback(event: FeedbackEvent, key: string): readonly string[] | void {
    this.pending.push({ key, event });
    if (!this.windows.add(event)) return this.lateFor;
  }

  emitFeedback(version: number): OperatorOutput {
    const { partition } = this.context;
    const rows = this.windows.emit().map((w) => this.toRow(w, partition, version));
    const feedback = this.pending;
    this.pending = [];
    if (rows.length === 0 && feedback.length === 0) return NO_OUTPUT;
    return {
      writes: rows.length > 0 ? [{ table: CAMPAIGN_WINDOWS_TABLE, rows }] : [],
      live: [],
      feedback,
    };
  }

  private toRow(w: FeedbackWindow, partition: number, version: number): CampaignWindowRow {
    return {
      campaign: w.campaign,
      arm: w.arm,
      start: w.start,
      size_ms: this.windowMs,
      partition,
      ...feedbackCounts(w),
      final: w.final ? 1 : 0,
      version,
    };
  }

  /** Open windows. */
  get size(): number {
    return this.windows.size;
  }

  snapshot(): CampaignWindowsState {
    return { windows: this.windows.snapshot(), feedback: this.pending.map((f) => ({ ...f })) };
  }

  /** Open windows of another size the last restore dropped (a restart with another `--campaign-window`). */
  droppedAtRestore = 0;

  /**
   * Windows of another size than `campaignWindowMs` are dropped (FeedbackWindows.restore): the
   * windows of the new size count from the checkpoint on. Feedback pending for the arm statistics
   * is kept whatever the size.
   */
  restore(state: unknown): void {
    const s = state as CampaignWindowsState | undefined | null;
    this.droppedAtRestore = this.windows.restore(s?.windows);
    this.pending = s?.feedback ? s.feedback.map((f) => ({ ...f })) : [];
  }
}

export const campaignWindows: OperatorDefinition = {
  name: 'campaigns',
  description:
    'campaign feedback (impressions, clicks, conversions, rewards, revenue) per campaign, arm and window, from the FEEDBACK stream; feeds the arm statistics',
  tables: [CAMPAIGN_WINDOWS_TABLE],
  create: (context) => new CampaignWindows(context),
};
