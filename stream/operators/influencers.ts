import { InfluencerBoard, type Influencer } from '../../engines/trends/influencers.js';
import { INFLUENCER_WINDOWS_TABLE, type InfluencerWindowRow } from '../analytics/tables.js';
import { engagementOf, followersOf, windowedColumns } from '../analytics/windowed.js';
import type { EnrichedEvent } from '../model/events.js';
import type { Aggregator } from '../windows/index.js';
import {
  NO_OUTPUT,
  type Operator,
  type OperatorContext,
  type OperatorDefinition,
  type OperatorOutput,
} from './operator.js';
import { WindowedAnalysis } from './windowed-analysis.js';

/** Authors tracked per brand and window (Space-Saving), and how many of them are written. */
export const INFLUENCER_CAPACITY = 200;
export const INFLUENCERS_WRITTEN = 20;

const boards: Aggregator<EnrichedEvent, InfluencerBoard, Influencer[]> = {
  create: () => new InfluencerBoard(INFLUENCER_CAPACITY),
  add: (board, e) => board.add(e.author.id, followersOf(e), engagementOf(e)),
  result: (board) => board.leaders(INFLUENCERS_WRITTEN),
  snapshot: (board) => board.snapshot(),
  restore(state) {
    const board = new InfluencerBoard(INFLUENCER_CAPACITY);
    board.restore(state);
    return board;
  },
};

/**
 * Influencers: each brand's authors ranked by reach-weighted mentions per analytics window
 * (engines/trends InfluencerBoard, bounded per brand and window). Events are partitioned by author,
 * so an author's mentions are all in one partition and the brand's top authors are the top of the
 * partitions' lists put together.
 */
export class Influencers
  extends WindowedAnalysis<EnrichedEvent, InfluencerBoard, Influencer[]>
  implements Operator
{
  readonly name = 'influencers';

  constructor(context: OperatorContext) {
    super(context, boards);
  }

  fold(event: EnrichedEvent, watermark: number): readonly string[] | void {
    return this.addPerBrand(event, event, watermark);
  }

  emit(watermark: number, version: number): OperatorOutput {
    const emissions = this.windows.emit(watermark);
    if (emissions.length === 0) return NO_OUTPUT;
    const rows: InfluencerWindowRow[] = [];
    for (const e of emissions) {
      const columns = windowedColumns(e, this.windowMs, this.context.partition, version);
      for (const i of e.value)
        rows.push({
          brand: e.key,
          author: i.author,
          score: i.score,
          mentions: i.mentions,
          followers: i.followers,
          ...columns,
        });
    }
    return rows.length > 0 ? { writes: [{ table: INFLUENCER_WINDOWS_TABLE, rows }], live: [] } : NO_OUTPUT;
  }
}

export const influencers: OperatorDefinition = {
  name: 'influencers',
  description: "each brand's authors ranked by reach-weighted mentions per analytics window",
  tables: [INFLUENCER_WINDOWS_TABLE],
  create: (context) => new Influencers(context),
};
