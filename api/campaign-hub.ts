import { PipelineError, type CampaignService, type CampaignSummary } from '../stream/index.js';
import { PollingHub, type PushListener } from './polling-hub.js';

/** What a campaign channel carries: one campaign (`campaign:<id>`; null until it exists) or all of them (`campaigns`). */
export type CampaignPush = { campaign: CampaignSummary | null } | { campaigns: CampaignSummary[] };
export type CampaignListener = PushListener<CampaignPush>;

const CHANNEL = /^campaign:([A-Za-z0-9][A-Za-z0-9._:-]{0,99})$/;

/**
 * Live campaign statistics for the WebSocket channels `campaigns` and `campaign:<id>`. Statistics
 * change with every decision and reward, on any replica and in the stream, so the hub polls the
 * store (PollingHub: one read per watched channel every `intervalMs` ms, default 500, a push only
 * when it changed).
 */
export class CampaignHub extends PollingHub<CampaignPush> {
  constructor(
    private readonly service: CampaignService,
    intervalMs = 500,
    onError?: (err: unknown) => void,
  ) {
    super({ intervalMs, ...(onError && { onError }) });
  }

  static isChannel(channel: string): boolean {
    return channel === 'campaigns' || CHANNEL.test(channel);
  }

  /** The channel's current value, read now. */
  async snapshot(channel: string): Promise<CampaignPush> {
    if (channel === 'campaigns') {
      const all = await this.service.list();
      return { campaigns: await Promise.all(all.map((c) => this.service.summary(c.id))) };
    }
    const id = CHANNEL.exec(channel)?.[1];
    if (id === undefined) throw new RangeError(`not a campaign channel: ${channel}`);
    try {
      return { campaign: await this.service.summary(id) };
    } catch (err) {
      if (err instanceof PipelineError && err.code === 'UNKNOWN_CAMPAIGN') return { campaign: null };
      throw err;
    }
  }
}
