import {
  AuthorSegments,
  CampaignService,
  FeedbackPublisher,
  MemoryCampaignStore,
  PipelineError,
  RedisCampaignStore,
  type CampaignStore,
} from '../../stream/index.js';
import { syntheticConfig } from '../inputs.js';
import type { RoleContext } from './context.js';

/**
 * The campaign service of a process, when it runs the `campaigns` operator's roles: the API (decide,
 * reward, default rewards, with its decisions and rewards published to the FEEDBACK stream) and
 * stage 2 (stream feedback applied to the arm statistics). One store for all: in memory in the
 * embedded default, Redis in services mode (shared by every replica and the stream).
 */
export function campaignService(ctx: RoleContext): CampaignService | undefined {
  const { config, logger, bus } = ctx;
  const api = ctx.runs('api');
  if (!config.operators.includes('campaigns') || !(api || ctx.runs('aggregate'))) return undefined;
  const retentionMs = config.campaignRetentionHours * 3_600_000;
  const store: CampaignStore =
    config.mode === 'embedded'
      ? new MemoryCampaignStore({ retentionMs })
      : new RedisCampaignStore({ url: config.redisUrl, prefix: config.redisPrefix, retentionMs });
  const log = logger.child({ component: 'campaigns' });
  // A decision for a user takes the user's audience segment as context (segments operator on).
  const segments =
    api && config.operators.includes('segments')
      ? new AuthorSegments({
          store: ctx.store,
          onError: (err) => log.warn({ err }, 'audience segment not read; deciding without it'),
        })
      : undefined;
  return new CampaignService({
    ...(segments && { segmentOf: (user: string) => segments.lookup(user) }),
    store,
    refreshMs: config.campaignRefreshMs,
    defaultsEveryMs: api ? config.campaignDefaultsEveryMs : 0,
    ...(api && {
      feedback: new FeedbackPublisher({
        bus,
        partitions: config.partitions,
        onError: (err) => log.warn({ err }, 'campaign feedback not published yet; retrying'),
      }),
    }),
    onError: (err, what) => log.warn({ err }, `${what} failed; retrying`),
    onExpiredFeedback: (count) => ctx.instrumentation.emit('campaign.feedback.expired', { count }),
  });
}

/**
 * With synthetic traffic on, its campaigns exist as campaigns (Thompson sampling, binary rewards on
 * clicks), so their stream feedback has arms to learn into and the live page shows them. An
 * existing campaign is left as it is.
 */
export async function syntheticCampaigns(ctx: RoleContext, service: CampaignService): Promise<void> {
  const { config, scenario, specs, brands } = ctx;
  if (!config.synthetic) return;
  const campaigns = syntheticConfig(config, scenario, specs, brands, Date.now()).campaigns ?? [];
  for (const c of campaigns) {
    try {
      await service.create({ id: c.id, arms: c.arms.map((a) => a.id), policy: 'thompson', reward: 'binary' });
      ctx.logger.info({ campaign: c.id }, 'campaign of the synthetic traffic created');
    } catch (err) {
      if (!(err instanceof PipelineError && err.code === 'CAMPAIGN_EXISTS')) throw err;
    }
  }
}
