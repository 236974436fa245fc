import { PipelineError, type CampaignService, type CampaignSummary } from '../stream/index.js';

/** What a campaign channel carries: one campaign (`campaign:<id>`; null until it exists) or all of them (`campaigns`). */
export type CampaignPush = { campaign: CampaignSummary | null } | { campaigns: CampaignSummary[] };
export type CampaignListener = (channel: string, push: CampaignPush) => void;

const CHANNEL = /^campaign:([A-Za-z0-9][A-Za-z0-9._:-]{0,99})$/;

/**
 * Live campaign statistics for the WebSocket channels `campaigns` and `campaign:<id>`. Statistics
 * change with every decision and reward, on any replica and in the stream, so the hub reads the
 * watched campaigns from the store every `intervalMs` (one read per watched channel, whatever the
 * number of clients) and pushes what changed.
 */
export class CampaignHub {
  private readonly watchers = new Map<string, Set<CampaignListener>>();
  private readonly last = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly service: CampaignService,
    private readonly intervalMs = 500,
    private readonly onError?: (err: unknown) => void,
  ) {}

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

  /** Pushes the channel's changes to `listener` until the returned function is called. */
  watch(channel: string, listener: CampaignListener): () => void {
    let set = this.watchers.get(channel);
    if (!set) this.watchers.set(channel, (set = new Set()));
    set.add(listener);
    this.timer ??= setInterval(() => void this.poll(), this.intervalMs);
    return () => {
      const s = this.watchers.get(channel);
      s?.delete(listener);
      if (s && s.size === 0) {
        this.watchers.delete(channel);
        this.last.delete(channel);
      }
      if (this.watchers.size === 0) this.stop();
    };
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [channel, listeners] of this.watchers) {
        const push = await this.snapshot(channel);
        const text = JSON.stringify(push);
        if (this.last.get(channel) === text) continue;
        this.last.set(channel, text);
        for (const l of listeners) l(channel, push);
      }
    } catch (err) {
      this.onError?.(err);
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
