import type { FeedbackCounts } from '../../engines/bandits/index.js';
import type { TableSpec } from '../store/table.js';

/**
 * Campaign feedback per campaign, arm and window (event time), written by stage 2's `campaigns`
 * operator from the FEEDBACK stream. Counts only: costs and ROI are computed when read, from the
 * campaign's current cost settings (GET /v1/campaigns/:id/roi).
 */
export interface CampaignWindowRow extends FeedbackCounts {
  campaign: string;
  arm: string;
  /** Window start, ms epoch. */
  start: number;
  /** Window length, ms. */
  size_ms: number;
  partition: number;
  /** 1 once the watermark has passed the window's end plus the allowed lateness. */
  final: number;
  version: number;
}

export const CAMPAIGN_WINDOWS_TABLE: TableSpec<CampaignWindowRow> = {
  name: 'campaign_windows',
  columns: {
    campaign: 'String',
    arm: 'String',
    start: 'Int64',
    size_ms: 'UInt32',
    partition: 'UInt32',
    impressions: 'UInt64',
    clicks: 'UInt64',
    conversions: 'UInt64',
    rewards: 'UInt64',
    reward_sum: 'Float64',
    revenue: 'Float64',
    final: 'UInt8',
    version: 'UInt64',
  },
  key: ['campaign', 'arm', 'start', 'size_ms', 'partition'],
};
