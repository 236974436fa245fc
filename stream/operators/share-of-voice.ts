import { VOICE_WINDOWS_TABLE, type VoiceWindowRow } from '../analytics/tables.js';
import { postCountsAggregator, windowedColumns, type PostCounts } from '../analytics/windowed.js';
import type { EnrichedEvent } from '../model/events.js';
import {
  NO_OUTPUT,
  type Operator,
  type OperatorContext,
  type OperatorDefinition,
  type OperatorOutput,
} from './operator.js';
import { WindowedAnalysis } from './windowed-analysis.js';

/**
 * Each brand's voice per analytics window: posts, positive and negative posts, the sum of the
 * sentiment scores, reach (followers of the posting authors) and engagement. A brand's share of
 * voice against its competitors is its part of the sum over the group, taken when read (the
 * partitions must be added up first); see analytics/read.ts.
 */
export class ShareOfVoice
  extends WindowedAnalysis<EnrichedEvent, PostCounts, PostCounts>
  implements Operator
{
  readonly name = 'voice';

  constructor(context: OperatorContext) {
    super(context, postCountsAggregator);
  }

  fold(event: EnrichedEvent, watermark: number): readonly string[] | void {
    return this.addPerBrand(event, event, watermark);
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
      scored: e.value.scored,
      reach: e.value.reach,
      engagement: e.value.engagement,
    }));
    return { writes: [{ table: VOICE_WINDOWS_TABLE, rows }], live: [] };
  }
}

export const shareOfVoice: OperatorDefinition = {
  name: 'voice',
  description:
    'share of voice: posts, sentiment, reach and engagement per brand and analytics window, for the brand against its competitors',
  tables: [VOICE_WINDOWS_TABLE],
  create: (context) => new ShareOfVoice(context),
};
