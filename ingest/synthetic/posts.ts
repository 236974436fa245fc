import type { Random } from '../../engines/stats/index.js';
import { extractTags, tokenize } from '../../engines/text/index.js';
import type { BrandSpec, SentimentLabel, SocialEventInput } from '../../stream/model/index.js';
import { AuthorPool, engagement, postAuthor } from './authors.js';
import type { CampaignTraffic } from './campaigns.js';
import type { NormalizedConfig } from './config.js';
import type { SocialTruth } from './events.js';
import { drawLabel } from './rates.js';
import { SPIKE_TOPIC_SHARE, spikeLabel, type ActiveSpike } from './spikes.js';
import { composeText } from './text/compose.js';
import { BRAND_TEMPLATES, BRANDLESS_TEMPLATES, COMPARISON_TEMPLATES } from './text/vocabulary.js';
import { drawTopic, GENERAL_TOPIC, materialOf, type TopicDraw } from './topics.js';

/** The share of general posts about a brand that compare it with another brand. */
const COMPARISON_SHARE = 0.12;

/** A post without its id and ts, which depend on where it lands in its slot. */
export interface Post {
  event: Omit<SocialEventInput, 'id' | 'ts'>;
  truth: SocialTruth;
}

/** What a post says and who says it: its true label, topic, brands, text, author and engagement. */
export class PostWriter {
  private readonly authors: AuthorPool;

  constructor(
    private readonly cfg: NormalizedConfig,
    private readonly campaigns: CampaignTraffic,
  ) {
    this.authors = new AuthorPool(cfg.seed, cfg.authors);
  }

  /**
   * One post at `t`: about brand `brandIndex` (none: a post that mentions no tracked brand), under
   * the spike over that brand if any, its topic drawn by the phase's draws.
   */
  write(
    rng: Random,
    t: number,
    phase: TopicDraw[] | undefined,
    brandIndex: number | undefined,
    spike: ActiveSpike | undefined,
  ): Post {
    const { cfg } = this;
    const label = spike ? spikeLabel(rng, cfg.mix, spike.negativeShare) : drawLabel(rng, cfg.mix);
    const author = this.authors.draw(rng);
    const primary = brandIndex === undefined ? undefined : cfg.brands[brandIndex];
    const draw = brandIndex === undefined ? undefined : phase?.[brandIndex];
    const { template, topic, brands } = this.content(rng, label, primary, draw, spike);

    const hashtags = topic === GENERAL_TOPIC ? undefined : materialOf(cfg.topics, topic).hashtags;
    const text = composeText(rng, template, label, brands, hashtags);
    const event: Post['event'] = {
      source: 'synthetic',
      author: postAuthor(author),
      text,
      lang: 'en',
      tags: extractTags(tokenize(text)),
      engagement: engagement(rng, author.followers, label),
    };
    const campaign = primary && this.campaigns.tag(rng, primary.name, t);
    if (campaign) event.campaign = campaign;
    return {
      event,
      truth: { label, brands: brands.map((b) => b.name), spike: spike !== undefined, topic, template },
    };
  }

  /** The template, its topic and the brands it names: the spike's topic, the phase's, or the general one. */
  private content(
    rng: Random,
    label: SentimentLabel,
    primary: BrandSpec | undefined,
    draw: TopicDraw | undefined,
    spike: ActiveSpike | undefined,
  ): { template: string; topic: string; brands: BrandSpec[] } {
    const { brands: all, topics } = this.cfg;
    if (!primary) return { template: rng.pick(BRANDLESS_TEMPLATES[label]), topic: GENERAL_TOPIC, brands: [] };
    if (spike && label === 'negative' && rng.chance(SPIKE_TOPIC_SHARE))
      return {
        template: rng.pick(materialOf(topics, spike.topic).negative),
        topic: spike.topic,
        brands: [primary],
      };
    const topic = draw ? drawTopic(rng, draw) : GENERAL_TOPIC;
    if (topic !== GENERAL_TOPIC)
      return { template: rng.pick(materialOf(topics, topic)[label]), topic, brands: [primary] };
    if (all.length > 1 && rng.chance(COMPARISON_SHARE)) {
      const other = rng.pick(all.filter((b) => b !== primary));
      return { template: rng.pick(COMPARISON_TEMPLATES[label]), topic, brands: [primary, other] };
    }
    return { template: rng.pick(BRAND_TEMPLATES[label]), topic, brands: [primary] };
  }
}
