import { HourOfWeekProfile, type HourCell } from '../../engines/stats/index.js';
import type { EnrichedEvent } from '../model/events.js';
import type { TableSpec } from '../store/table.js';
import type { Operator, OperatorContext, OperatorDefinition, OperatorOutput } from './operator.js';

/** One partition's activity of one brand in one hour of the week, summed over all time. */
export interface ActivityRow extends HourCell {
  brand: string;
  hour: number;
  partition: number;
  version: number;
}

export const ACTIVITY_TABLE: TableSpec<ActivityRow> = {
  name: 'brand_activity',
  columns: {
    brand: 'String',
    hour: 'UInt8',
    partition: 'UInt32',
    version: 'UInt64',
    posts: 'UInt64',
    negative: 'UInt64',
    engagement: 'UInt64',
  },
  key: ['brand', 'hour', 'partition'],
};

interface BrandProfile {
  profile: HourOfWeekProfile;
  /** Hours changed since the last emit. */
  dirty: Set<number>;
}

/**
 * Posts, negative posts and engagement per brand and hour of the week (UTC), by event time: when
 * a brand's audience is active. Rows are per partition; readers add the partitions up.
 */
export class BrandActivity implements Operator {
  readonly name = 'activity';
  private readonly brands = new Map<string, BrandProfile>();

  constructor(private readonly context: OperatorContext) {}

  fold(event: EnrichedEvent): void {
    const engagement = event.engagement.likes + event.engagement.shares + event.engagement.replies;
    const negative = event.sentiment.label === 'negative';
    for (const brand of event.brands) {
      let b = this.brands.get(brand);
      if (!b) {
        b = { profile: new HourOfWeekProfile(), dirty: new Set() };
        this.brands.set(brand, b);
      }
      const hour = b.profile.update(event.ts, negative, engagement);
      if (hour >= 0) b.dirty.add(hour);
    }
  }

  emit(_watermark: number, version: number): OperatorOutput {
    const rows: ActivityRow[] = [];
    for (const [brand, b] of this.brands) {
      for (const hour of b.dirty)
        rows.push({ brand, hour, partition: this.context.partition, version, ...b.profile.cell(hour) });
      b.dirty.clear();
    }
    return { writes: rows.length > 0 ? [{ table: ACTIVITY_TABLE, rows }] : [], live: [] };
  }

  get size(): number {
    return this.brands.size;
  }

  snapshot(): unknown {
    return [...this.brands].map(([brand, b]) => ({
      brand,
      cells: b.profile.snapshot(),
      dirty: [...b.dirty],
    }));
  }

  restore(state: unknown): void {
    this.brands.clear();
    for (const s of (state ?? []) as { brand: string; cells: number[]; dirty: number[] }[]) {
      const profile = new HourOfWeekProfile();
      profile.restore(s.cells);
      this.brands.set(s.brand, { profile, dirty: new Set(s.dirty) });
    }
  }
}

export const brandActivity: OperatorDefinition = {
  name: 'activity',
  description: 'posts, negative posts and engagement per brand and hour of the week (UTC)',
  tables: [ACTIVITY_TABLE],
  create: (context) => new BrandActivity(context),
};
