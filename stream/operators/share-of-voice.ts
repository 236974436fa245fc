import { VOICE_WINDOWS_TABLE, type VoiceWindowRow } from '../analytics/tables.js';
import { postCountWindows, windowedColumns } from '../analytics/windowed.js';
import type { EnrichedEvent } from '../model/events.js';
import {
  analyticsSettings,
  NO_OUTPUT,
  type Operator,
  type OperatorContext,
  type OperatorDefinition,
  type OperatorOutput,
} from './operator.js';

/**
 * Each brand's voice per analytics window: posts, positive and negative posts, the sum of the
 * sentiment scores, reach (followers of the posting authors) and engagement. A brand's share of
 * voice against its competitors is its part of the sum over the group, taken when read (the
 * partitions must be added up first); see analytics/read.ts.
 */
export class ShareOfVoice implements Operator {
  readonly name = 'voice';
  private readonly windowMs: number;
  private readonly windows;

  constructor(private readonly context: OperatorContext) {
    this.windowMs = analyticsSettings(context).windowMs;
    this.windows = postCountWindows(this.windowMs, context.allowedLatenessMs);
  }

  fold(event: EnrichedEvent, watermark: number): void {
    for (const brand of event.brands) this.windows.add(brand, event.ts, event, watermark);
  }

  emit(watermark: number, version: number): OperatorOutput {
    const emissions = this.windows.emit(watermark);
    if (emissions.length === 0) return NO_OUTPUT;
    const rows: VoiceWindowRow[] = emissions.map((e) => ({
      brand: e.key,
      ...windowedColumns(e, this.windowMs, this.context.partition, version),
      posts: e.value.posts,
      positive: e.value.positive,
      negative: e.value.negative,
      sentiment_sum: e.value.sentiment_sum,
      reach: e.value.reach,
      engagement: e.value.engagement,
    }));
    return { writes: [{ table: VOICE_WINDOWS_TABLE, rows }], live: [] };
  }

  get size(): number {
    return this.windows.openWindows;
  }

  snapshot(): unknown {
    return this.windows.snapshot();
  }

  restore(state: unknown): void {
    this.windows.restore(state ?? []);
  }
}

export const shareOfVoice: OperatorDefinition = {
  name: 'voice',
  description:
    'share of voice: posts, sentiment, reach and engagement per brand and analytics window, for the brand against its competitors',
  tables: [VOICE_WINDOWS_TABLE],
  create: (context) => new ShareOfVoice(context),
};
