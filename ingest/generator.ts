import { Random } from '../engines/stats/index.js';
import { extractTags, hashFinish, tokenize, type BrandSpec } from '../engines/text/index.js';
import type { FeedbackEvent, SentimentLabel, SocialEventInput } from '../stream/model/events.js';

/** Events are generated per slot of this many milliseconds of event time. */
export const SLOT_MS = 100;
/** Out-of-order events carry a ts up to this much before their slot. */
export const MAX_OUT_OF_ORDER_MS = 3000;
/** Injected late posts are at most this much older than their send time. */
export const MAX_LATE_MS = 86_400_000;
/** Re-sent copies follow their original by at most this much (well inside the pipeline's dedup window). */
export const MAX_DUPLICATE_DELAY_MS = 60_000;
/**
 * No late posts during this long after `faultsFrom`: a post is late only against the traffic ahead
 * of it (the watermark), so a run that starts at the scenario's start has a minute of it first.
 */
export const LATE_WARMUP_MS = 60_000;

/** The topic of everyday posts (the generic templates), of comparisons and of posts without a brand. */
export const GENERAL_TOPIC = 'general';

/** Built-in topics whose complaints a spike is about by default, in turn by the spike's position. */
export type SpikeTopic = 'outage' | 'recall' | 'price-hike' | 'data-breach';
export const SPIKE_TOPICS: readonly SpikeTopic[] = ['outage', 'recall', 'price-hike', 'data-breach'];

export interface SpikeSpec {
  brand: string;
  /** ms epoch */
  start: number;
  durationMs: number;
  volumeMultiplier: number;
  /** 0..1 share of that brand's posts that are negative during the spike */
  negativeShare: number;
  /** A topic name (built-in or custom, not `general`). Default: SPIKE_TOPICS in turn by the spike's position in the list. */
  topic?: string;
}

/** Hidden true rates. conversionRate is per click (a conversion only follows a click), as in ad funnels. */
export interface ArmSpec {
  id: string;
  clickRate: number;
  conversionRate: number;
}

export interface CampaignSpec {
  id: string;
  brand: string;
  arms: ArmSpec[];
  impressionsPerSec: number;
  /** ms epoch the campaign starts at (feedback and post tags); default: always on. */
  from?: number;
  /** ms epoch the campaign ends at; default: never. */
  until?: number;
}

/**
 * A topic's own vocabulary, so a topic detector can find its posts: templates per true label
 * (`{1}` the brand, required; `{p}` a product; `{n}` a number) and hashtags without the `#`.
 */
export interface TopicSpec {
  name: string;
  positive: readonly string[];
  neutral: readonly string[];
  negative: readonly string[];
  hashtags?: readonly string[];
  /** Only posts about these brands take this topic (others share its weight out); default: all brands. */
  brands?: readonly string[];
}

/** From `from` (ms epoch) on, the topic of each brand post is drawn by these weights (any scale). */
export interface TopicPhase {
  from: number;
  weights: Record<string, number>;
}

export interface GeneratorConfig {
  seed: number;
  brands: BrandSpec[];
  /** mean social posts per second over a day */
  ratePerSec: number;
  /** default 0.35/0.45/0.20 */
  mix?: { positive: number; neutral: number; negative: number };
  /** 0..1, default 0.5: volume follows a daily curve, peak 18:00 UTC, trough 06:00 */
  dailyAmplitude?: number;
  spikes?: SpikeSpec[];
  campaigns?: CampaignSpec[];
  /** author pool size, default 5000; followers Pareto-distributed, a few verified */
  authors?: number;
  /** default 0.05: share of posts whose ts is up to 3 s before their slot, so they arrive out of order */
  outOfOrderShare?: number;
  /** default 0.1: posts that mention no tracked brand */
  brandlessShare?: number;
  /** Topics besides BUILTIN_TOPICS and `general`. */
  topics?: TopicSpec[];
  /**
   * The topic mix over time, phases in ascending `from`; before the first phase the first one
   * applies. Default: every brand post is `general` (the generic templates).
   */
  topicPhases?: TopicPhase[];
  /** ms epoch from which late, duplicate and malformed posts are injected (a scenario's start); default: always. */
  faultsFrom?: number;
  /** A `share` of brand posts gets a ts `minDelayMs..maxDelayMs` before it is sent, past the pipeline's allowed lateness. */
  late?: { share: number; minDelayMs: number; maxDelayMs: number };
  /** A `share` of valid posts is sent again (same source and id) up to `maxDelayMs` later. */
  duplicates?: { share: number; maxDelayMs: number };
  /** A `share` of posts is sent as a line that is not JSON or fails the schema, instead of the post. */
  malformed?: { share: number };
}

/** What a social event really is, for scoring a pipeline against. */
export interface SocialTruth {
  label: SentimentLabel;
  brands: string[];
  spike: boolean;
  topic: string;
  /** Injected late: `ts` is this many ms before the post was sent. */
  lateMs?: number;
  /** A re-sent copy (same source and id): when it is sent, and when the original was. */
  copy?: { sentAt: number; originalSentAt: number };
}

/** Why ingest must refuse an injected malformed line. */
export type MalformedReason = 'invalid_json' | 'schema';

export type GeneratedEvent =
  | { kind: 'social'; event: SocialEventInput; truth: SocialTruth }
  | { kind: 'feedback'; event: FeedbackEvent }
  | {
      kind: 'malformed';
      /** One NDJSON line, as it is sent. */
      line: string;
      /** `of`: the id of the post it replaced; `at`: when it is sent. */
      truth: { reason: MalformedReason; of: string; at: number };
    };

const DEFAULT_MIX = { positive: 0.35, neutral: 0.45, negative: 0.2 };
const MIN_TS = 946_684_800_000 + MAX_LATE_MS;
const MAX_TS = 4_102_444_800_000;
/** The own brand gets a larger share of voice than each competitor. */
const OWN_BRAND_WEIGHT = 1.5;
const COMPARISON_SHARE = 0.12;
const CAMPAIGN_TAG_SHARE = 0.15;
const SPIKE_TOPIC_SHARE = 0.85;
const STREAM_SOCIAL = 0x50c1a1;
const STREAM_AUTHORS = 0xa07405;
const STREAM_FAULTS = 0xfa017;
const TOPIC_HASHTAG_SHARE = 0.6;

// ---------------------------------------------------------------------------------------------
// Text material. Placeholders: {1} first brand, {2} second brand, {p} product, {n} a number.
// Digits survive toUpperCase, so shouting a template never breaks its placeholders.

const PRODUCTS = [
  'latte',
  'flat white',
  'cold brew',
  'cappuccino',
  'oat milk cortado',
  'mocha',
  'espresso',
  'chai latte',
  'croissant',
  'blueberry muffin',
  'iced americano',
  'breakfast sandwich',
];

const BRAND_TEMPLATES: Record<SentimentLabel, readonly string[]> = {
  positive: [
    '{1} nailed my {p} again this morning',
    'honestly the best {p} in town is at {1}',
    'shoutout to the barista at {1} who remembered my order',
    'the new seasonal menu at {1} is so good',
    'love the vibe at {1}, perfect spot to work',
    'got my {p} from {1} in under {n} minutes, great service',
    'the {p} at {1} is worth every penny',
    'the staff at {1} are always so friendly',
    'thanks {1} for fixing my order without any fuss',
    'weekend plans: {p} at {1} and a good book',
    'the {1} app made ordering ahead super easy today',
    '{1} rewards just gave me a free {p}, great start to the day',
    'nothing beats {1} on a rainy day',
    'obsessed with the {p} at {1}',
    '{1} delivery showed up early and still hot, impressed',
  ],
  neutral: [
    'grabbing a {p} at {1} before the meeting',
    'does {1} have oat milk at every location?',
    '{1} opens a new store downtown next week',
    'anyone know what time {1} closes on sundays?',
    'at {1} again, the usual {p}',
    '{1} changed their cup design',
    'trying the {p} at {1} for the first time',
    'meeting a friend at {1} in {n} minutes',
    'is the {1} on main street open today?',
    '{1} posted their holiday hours',
    'reading about the {1} expansion plans',
    '{1} is testing a new loyalty program',
    'line at {1} is about {n} people right now',
    'which {1} drink has the least sugar?',
  ],
  negative: [
    'the {1} app is down again and I cannot order anything',
    'still waiting on my refund from {1}, it has been {n} days',
    'the staff at {1} were so rude to me today',
    'the machine at {1} was broken so no {p} for me',
    '{1} delivery is {n} minutes late and my {p} is cold',
    '{1} got my order wrong for the third time this week',
    '{1} charged me twice for one {p}, I want my money back',
    'waited {n} minutes at {1} for a single {p}, never again',
    'the {p} at {1} tasted burnt, so disappointed',
    '{1} customer service has not answered my email in {n} days',
    '{1} cancelled my order and kept the money',
    'worst {p} I have had in years, thanks {1}',
    'dirty tables and sticky floors at {1} today, not great',
    '{1} raised prices again and the cups got smaller',
    '{1} support keeps closing my ticket without a refund',
  ],
};

const COMPARISON_TEMPLATES: Record<SentimentLabel, readonly string[]> = {
  positive: [
    'switched from {2} to {1} and never looking back',
    '{1} beats {2} on {p} every single time',
    'tried {2} but {1} still makes the best {p}',
    '{1} over {2} any day, the {p} is just better',
  ],
  neutral: [
    '{1} or {2} for a {p} today?',
    'comparing the {p} at {1} and {2} this week',
    '{1} and {2} both opened stores on my street',
    'is {1} cheaper than {2} for a {p}?',
  ],
  negative: [
    '{1} is so much worse than {2} lately',
    'went to {1} instead of {2}, big mistake',
    '{1} is pricier than {2} and the {p} is worse',
    'used to love {1} but it is slow and rude now, back to {2}',
  ],
};

const BRANDLESS_TEMPLATES: Record<SentimentLabel, readonly string[]> = {
  positive: [
    'nothing beats a good {p} on a cold morning',
    'found a tiny cafe with an amazing {p}',
    'coffee with friends is the best part of the weekend',
    'finally made a decent {p} at home, so happy',
  ],
  neutral: [
    'need a {p} before this meeting',
    'working from a cafe today',
    'how many coffees a day is too many?',
    'trying to cut back to one {p} a day',
  ],
  negative: [
    'spilled my {p} all over my laptop, great start',
    'my favourite cafe closed down, so sad',
    'why is every {p} so expensive now',
    'the coffee machine at work is broken again',
  ],
};

type TopicMaterial = Omit<TopicSpec, 'name' | 'brands'> & { hashtags: readonly string[] };

/**
 * Topics a scenario can use without defining them. Every template names the topic's key terms
 * (outage, recall, price hike, data breach, seasonal menu, points, compostable, grand opening…),
 * which no other topic's templates use, so the posts of one topic cluster together and a topic
 * detector can find them. The first four are what spikes are about by default (their negative
 * templates are the complaints of a spike).
 */
export const BUILTIN_TOPICS: Readonly<Record<string, TopicMaterial>> = {
  outage: {
    negative: [
      '{1} app outage, cannot order or pay for anything',
      'is the {1} app down for everyone? outage since this morning',
      '{1} payment system down, outage at every store near me',
      'another {1} outage, the app just shows an error',
      '{1} outage means no mobile orders today, unbelievable',
      'the {1} app crashed again, this outage is ridiculous',
    ],
    positive: [
      '{1} fixed the outage fast, mobile orders work again',
      'the {1} app is back after the outage, thanks for the quick fix',
      '{1} gave everyone a free {p} after the outage, nice touch',
    ],
    neutral: [
      'is the {1} outage over yet?',
      '{1} says the app outage is fixed',
      'the {1} status page still lists an outage',
    ],
    hashtags: ['outage', 'down'],
  },
  recall: {
    negative: [
      '{1} recall on their {p}, glad I did not drink it',
      'just saw the {1} recall notice, contaminated batch',
      '{1} recall: check your bags of beans, contaminated',
      'the {1} recall is all over the news, how did this happen',
      'returned my {1} beans after the recall, not buying again',
    ],
    positive: [
      '{1} handled the recall well, full refund and an apology',
      'credit to {1} for a quick recall of the contaminated batch',
    ],
    neutral: [
      '{1} recall: which batches are affected?',
      '{1} posted the recall details on their site',
      'does the {1} recall include the decaf beans?',
    ],
    hashtags: ['recall', 'foodsafety'],
  },
  'price-hike': {
    negative: [
      '{1} price hike again, {n} percent more for the same {p}',
      '{1} raised prices overnight, this price hike is outrageous',
      'another {1} price hike, a {p} costs a fortune now',
      'the {1} price hike is the last straw, cancelling my membership',
      'paying {n} percent more at {1} after the price hike, no thanks',
    ],
    positive: [
      'even after the price hike the {p} at {1} is worth it',
      '{1} kept the small {p} out of the price hike, thank you',
    ],
    neutral: [
      'how much is a {p} at {1} after the price hike?',
      'the {1} price hike starts next week',
      '{1} explains the price hike with bean costs',
    ],
    hashtags: ['pricehike', 'inflation'],
  },
  'data-breach': {
    negative: [
      '{1} data breach leaked my card details',
      'got an email from {1} about a data breach, changing passwords now',
      '{1} data breach exposed rewards accounts, nobody told us for weeks',
      'after the {1} data breach I deleted the app',
      'the {1} data breach is a disaster, where is the apology',
    ],
    positive: [
      '{1} was upfront about the data breach, respect',
      '{1} paid for credit monitoring after the data breach, good move',
    ],
    neutral: [
      '{1} data breach: did anyone else get the email?',
      '{1} says the data breach is contained',
      'what data was in the {1} data breach?',
    ],
    hashtags: ['databreach', 'privacy'],
  },
  'seasonal-menu': {
    positive: [
      'the pumpkin spice {p} at {1} is back and it is perfect',
      'the {1} seasonal menu has a winter blend I love',
      'limited edition gingerbread {p} at {1}, so good',
    ],
    neutral: [
      'when does the {1} seasonal menu start?',
      'is the pumpkin spice {p} at {1} a limited edition?',
      'the {1} seasonal menu drops next week',
    ],
    negative: [
      'the {1} seasonal menu is just the usual {p} with syrup',
      'the pumpkin spice {p} at {1} tastes like a candle',
      '{1} sold out of the limited edition winter blend already',
    ],
    hashtags: ['seasonalmenu', 'pumpkinspice'],
  },
  loyalty: {
    positive: [
      '{1} points just paid for my {p}',
      'made gold tier with {1} points this year',
      'double stars day at {1}, the points add up fast',
    ],
    neutral: [
      'how many {1} points for a free {p}?',
      '{1} is changing the points tiers',
      'do {1} stars and points expire?',
    ],
    negative: [
      '{1} devalued the points again',
      'my {1} stars and points vanished from my account',
      'the new {1} points tiers are a downgrade',
    ],
    hashtags: ['loyalty', 'points'],
  },
  sustainability: {
    positive: [
      'love that {1} gives a discount for a reusable cup',
      '{1} switched to compostable cups, finally',
      'the {1} recycling scheme for coffee grounds is great',
    ],
    neutral: [
      'are the {1} cups compostable or just recyclable?',
      '{1} published its sustainability report',
      'does {1} still use plastic lids?',
    ],
    negative: [
      '{1} still puts plastic lids on every cup',
      'the {1} compostable cups go straight into landfill',
      '{1} is greenwashing with that sustainability pledge',
    ],
    hashtags: ['sustainability', 'reusablecup'],
  },
  'store-opening': {
    positive: [
      'the grand opening of the new {1} store was so fun',
      'free {p} at the {1} grand opening today',
      'the new {1} store on elm street looks beautiful',
    ],
    neutral: [
      'new {1} store opening on elm street',
      'the {1} grand opening is on saturday',
      'which {1} store opens next, the mall or the station?',
    ],
    negative: [
      'the queue at the {1} grand opening was chaos',
      'parking at the new {1} store is impossible',
      'the new {1} store opening closed our local bakery',
    ],
    hashtags: ['grandopening', 'newstore'],
  },
};

const GENERIC_HASHTAGS = [
  'coffee',
  'latte',
  'espresso',
  'service',
  'breakfast',
  'morning',
  'cafe',
  'barista',
  'coldbrew',
  'customerservice',
];

const EMOJI: Record<SentimentLabel, readonly string[]> = {
  positive: ['☕', '😍', '🙌', '👍', '❤️', '✨', '😊'],
  neutral: ['☕', '🤔', '📍', '👀'],
  negative: ['😡', '👎', '😤', '🤬', '💔', '😞'],
};

const EMOJI_SHARE: Record<SentimentLabel, number> = { positive: 0.5, neutral: 0.15, negative: 0.45 };
const SHOUT_SHARE: Record<SentimentLabel, number> = { positive: 0.04, neutral: 0.01, negative: 0.08 };
const ELONGATE_WORDS = /\b(so|love|good|slow|long|cold|great|bad|worst|never|best|rude|late)\b/i;
const EMPHASIS_WORDS = /\b(never|worst|best|rude|broken|down|refund|late|love|amazing|again)\b/i;

// ---------------------------------------------------------------------------------------------

interface Author {
  id: string;
  followers: number;
  verified: boolean;
}

interface ActiveSpike {
  multiplier: number;
  negativeShare: number;
  topic: string;
}

/** A phase's topic draw for one brand: topic names and their cumulative weights. */
interface TopicDraw {
  names: string[];
  cumulative: number[];
}

interface Normalized {
  seed: number;
  brands: BrandSpec[];
  ratePerSec: number;
  mix: { positive: number; neutral: number; negative: number };
  dailyAmplitude: number;
  spikes: (SpikeSpec & { topic: string; brandIndex: number })[];
  campaigns: (CampaignSpec & { stream: number })[];
  authors: number;
  outOfOrderShare: number;
  brandlessShare: number;
  topics: Map<string, TopicMaterial>;
  /** Ascending by `from`; `byBrand[b]` is the draw for brand index b. */
  phases: { from: number; byBrand: TopicDraw[] }[];
  faultsFrom: number;
  late: { share: number; minDelayMs: number; maxDelayMs: number } | undefined;
  duplicates: { share: number; maxDelayMs: number } | undefined;
  malformed: { share: number } | undefined;
}

/** A generated event with the time it was generated for; out-of-order posts have an earlier ts. */
interface Slotted {
  at: number;
  item: GeneratedEvent;
}

type Social = Extract<GeneratedEvent, { kind: 'social' }>;

/** One slot's social output: what is sent in it, and re-sent copies, which may fall in later slots. */
interface SocialSlot {
  sent: Slotted[];
  copies: Slotted[];
}

/** A spike as generated, for ground truth. */
export interface SpikeTruth {
  brand: string;
  start: number;
  end: number;
  topic: string;
  size: number;
  negativeShare: number;
}

/**
 * Seeded synthetic traffic: social posts about a set of brands and campaign feedback. Every 100 ms
 * slot is generated from its own random stream derived from (seed, slot), so any range of event time
 * can be generated on its own, in any order, on any instance, with identical results; event ids
 * (`syn-<seed>-<slot>-<k>`) are stable too, so a restarted source that regenerates a range produces
 * duplicates that the bus dedups instead of new events.
 *
 * Injected faults (late, duplicate and malformed posts) draw from a random stream of their own, so
 * turning them on changes nothing else; with them off the output is what it was before they existed.
 */
export class SyntheticGenerator {
  private readonly cfg: Normalized;
  private readonly authorPool: Author[];
  private readonly brandShare: number[];
  private readonly campaignsByBrand: Map<string, CampaignSpec[]>;
  private readonly timedCampaigns: boolean;
  /** Slots a re-sent copy can trail its original by. */
  private readonly copySlots: number;
  /** Recent slots' social output, so a slot can collect the copies that earlier slots scheduled into it. */
  private readonly recent = new Map<number, SocialSlot>();

  constructor(config: GeneratorConfig) {
    this.cfg = normalizeConfig(config);
    this.authorPool = buildAuthors(this.cfg.seed, this.cfg.authors);
    const weights = this.cfg.brands.map((b) => (b.kind === 'own' ? OWN_BRAND_WEIGHT : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    this.brandShare = weights.map((w) => w / total);
    this.campaignsByBrand = new Map();
    for (const c of this.cfg.campaigns) {
      const list = this.campaignsByBrand.get(c.brand) ?? [];
      list.push(c);
      this.campaignsByBrand.set(c.brand, list);
    }
    this.timedCampaigns = this.cfg.campaigns.some((c) => c.from !== undefined || c.until !== undefined);
    this.copySlots = Math.ceil((this.cfg.duplicates?.maxDelayMs ?? 0) / SLOT_MS);
  }

  /** The spikes with their topics filled in, for ground truth. */
  spikes(): SpikeTruth[] {
    return this.cfg.spikes.map((s) => ({
      brand: s.brand,
      start: s.start,
      end: s.start + s.durationMs,
      topic: s.topic,
      size: s.volumeMultiplier,
      negativeShare: s.negativeShare,
    }));
  }

  /** The campaigns with their hidden arm rates, for ground truth. */
  campaigns(): CampaignSpec[] {
    return this.cfg.campaigns.map(({ stream: _stream, ...c }) => ({
      ...c,
      arms: c.arms.map((a) => ({ ...a })),
    }));
  }

  /**
   * All events whose generation time lies in [fromMs, toMs), in slot order (by generation time
   * within a slot). A post's ts equals its generation time except for the out-of-order share, whose
   * ts is 1–3000 ms earlier, and injected late posts. Because every slot has its own random stream,
   * [a,b) then [b,c) yields exactly the events of [a,c), and the result does not depend on earlier
   * calls.
   */
  *generate(fromMs: number, toMs: number): Generator<GeneratedEvent> {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) {
      throw new RangeError(`generate: need finite fromMs <= toMs (got ${fromMs}, ${toMs})`);
    }
    if (fromMs >= toMs) return;
    if (fromMs < MIN_TS || toMs > MAX_TS) {
      throw new RangeError(`generate: range must lie within ${MIN_TS}..${MAX_TS} ms epoch`);
    }
    const first = Math.floor(fromMs / SLOT_MS);
    const last = Math.ceil(toMs / SLOT_MS) - 1;
    for (let slot = first; slot <= last; slot++) {
      for (const { at, item } of this.slot(slot)) {
        if (at >= fromMs && at < toMs) yield item;
      }
    }
  }

  private slot(slot: number): Slotted[] {
    const out = [...this.socialOf(slot).sent];
    for (let s = slot - this.copySlots; this.cfg.duplicates && s <= slot; s++) {
      for (const c of this.socialOf(s).copies) if (Math.floor(c.at / SLOT_MS) === slot) out.push(c);
    }
    const start = slot * SLOT_MS;
    for (const c of this.cfg.campaigns) if (isActive(c, start)) out.push(...this.feedbackSlot(slot, c));
    // stable sort: ties keep social before feedback, each in generation order
    return out.sort((a, b) => a.at - b.at);
  }

  /** socialSlot, kept for the slots that may still hold copies due later when duplicates are on. */
  private socialOf(slot: number): SocialSlot {
    if (!this.cfg.duplicates) return this.socialSlot(slot);
    let s = this.recent.get(slot);
    if (!s) {
      s = this.socialSlot(slot);
      this.recent.set(slot, s);
      if (this.recent.size > 4 * (this.copySlots + 1)) {
        for (const k of this.recent.keys()) if (k < slot - this.copySlots || k > slot) this.recent.delete(k);
      }
    }
    return s;
  }

  private socialSlot(slot: number): SocialSlot {
    const { cfg } = this;
    const rng = new Random(slotSeed(cfg.seed, slot, STREAM_SOCIAL));
    const start = slot * SLOT_MS;
    const base = (cfg.ratePerSec / (1000 / SLOT_MS)) * dailyFactor(start, cfg.dailyAmplitude);
    const phase = this.phaseAt(start);

    const drafts: { offset: number; make: (k: number) => Slotted }[] = [];
    const add = (brandIndex: number | undefined, spike: ActiveSpike | undefined): void => {
      const offset = rng.int(SLOT_MS);
      const post = this.post(rng, start, phase, brandIndex, spike);
      const late = rng.chance(cfg.outOfOrderShare) ? 1 + rng.int(MAX_OUT_OF_ORDER_MS) : 0;
      drafts.push({
        offset,
        make: (k) => {
          const at = start + offset;
          const event: SocialEventInput = {
            id: `syn-${cfg.seed}-${slot}-${k}`,
            ts: at - late,
            ...post.event,
          };
          return { at, item: { kind: 'social', event, truth: post.truth } };
        },
      });
    };

    const brandless = rng.poisson(base * cfg.brandlessShare);
    for (let i = 0; i < brandless; i++) add(undefined, undefined);
    for (let b = 0; b < cfg.brands.length; b++) {
      const spike = this.activeSpike(b, start);
      const mean = base * (1 - cfg.brandlessShare) * (this.brandShare[b] ?? 0) * (spike?.multiplier ?? 1);
      const n = rng.poisson(mean);
      for (let i = 0; i < n; i++) add(b, spike);
    }
    drafts.sort((a, b) => a.offset - b.offset);
    const sent = drafts.map((d, k) => d.make(k));
    if (!cfg.late && !cfg.duplicates && !cfg.malformed) return { sent, copies: [] };
    return this.injectFaults(slot, sent);
  }

  /**
   * Turns some of a slot's posts into faults, each post in turn: a malformed line instead of the
   * post, or a late ts (brand posts only: a post without a tracked brand is in no window, so it
   * cannot be late), and a copy re-sent a little later.
   */
  private injectFaults(slot: number, posts: Slotted[]): SocialSlot {
    const { cfg } = this;
    const { late, duplicates, malformed } = cfg;
    const rng = new Random(slotSeed(cfg.seed, slot, STREAM_FAULTS));
    const sent: Slotted[] = [];
    const copies: Slotted[] = [];
    for (const p of posts) {
      const item = p.item as Social;
      if (p.at < cfg.faultsFrom) {
        sent.push(p);
        continue;
      }
      if (malformed && rng.chance(malformed.share)) {
        sent.push({ at: p.at, item: malformedLine(rng, item.event, p.at) });
        continue;
      }
      if (
        late &&
        item.truth.brands.length > 0 &&
        p.at >= cfg.faultsFrom + LATE_WARMUP_MS &&
        rng.chance(late.share)
      ) {
        const lateMs = late.minDelayMs + rng.int(late.maxDelayMs - late.minDelayMs + 1);
        item.event.ts = p.at - lateMs;
        item.truth = { ...item.truth, lateMs };
      }
      sent.push(p);
      if (duplicates && rng.chance(duplicates.share)) {
        const at = p.at + rng.int(duplicates.maxDelayMs + 1);
        const copy: Social = {
          kind: 'social',
          event: { ...item.event },
          truth: { ...item.truth, copy: { sentAt: at, originalSentAt: p.at } },
        };
        copies.push({ at, item: copy });
      }
    }
    return { sent, copies };
  }

  private phaseAt(t: number): TopicDraw[] | undefined {
    const { phases } = this.cfg;
    let current = phases[0];
    for (const p of phases) {
      if (p.from > t) break;
      current = p;
    }
    return current?.byBrand;
  }

  private activeSpike(brandIndex: number, t: number): ActiveSpike | undefined {
    let active: ActiveSpike | undefined;
    for (const s of this.cfg.spikes) {
      if (s.brandIndex !== brandIndex || t < s.start || t >= s.start + s.durationMs) continue;
      active = active
        ? {
            multiplier: active.multiplier * s.volumeMultiplier,
            negativeShare: Math.max(active.negativeShare, s.negativeShare),
            topic: active.topic,
          }
        : { multiplier: s.volumeMultiplier, negativeShare: s.negativeShare, topic: s.topic };
    }
    return active;
  }

  private post(
    rng: Random,
    t: number,
    phase: TopicDraw[] | undefined,
    brandIndex: number | undefined,
    spike: ActiveSpike | undefined,
  ): { event: Omit<SocialEventInput, 'id' | 'ts'>; truth: SocialTruth } {
    const { cfg } = this;
    const label = spike ? spikeLabel(rng, cfg.mix, spike.negativeShare) : drawLabel(rng, cfg.mix);
    const author = this.authorPool[Math.floor(cfg.authors * rng.next() ** 2)] ?? this.authorPool[0]!;
    const primary = brandIndex === undefined ? undefined : cfg.brands[brandIndex];
    const brands: BrandSpec[] = primary ? [primary] : [];

    let template: string;
    let topic = GENERAL_TOPIC;
    if (!primary) {
      template = rng.pick(BRANDLESS_TEMPLATES[label]);
    } else if (spike && label === 'negative' && rng.chance(SPIKE_TOPIC_SHARE)) {
      topic = spike.topic;
      template = rng.pick(this.material(topic).negative);
    } else {
      const draw = phase?.[brandIndex!];
      if (draw) topic = drawTopic(rng, draw);
      if (topic !== GENERAL_TOPIC) {
        template = rng.pick(this.material(topic)[label]);
      } else if (cfg.brands.length > 1 && rng.chance(COMPARISON_SHARE)) {
        const others = cfg.brands.filter((b) => b !== primary);
        brands.push(rng.pick(others));
        template = rng.pick(COMPARISON_TEMPLATES[label]);
      } else {
        template = rng.pick(BRAND_TEMPLATES[label]);
      }
    }

    const hashtags = topic === GENERAL_TOPIC ? undefined : this.material(topic).hashtags;
    const text = composeText(rng, template, label, brands, hashtags);
    const event: Omit<SocialEventInput, 'id' | 'ts'> = {
      source: 'synthetic',
      author: author.verified
        ? { id: author.id, followers: author.followers, verified: true }
        : { id: author.id, followers: author.followers },
      text,
      lang: 'en',
      tags: extractTags(tokenize(text)),
      engagement: engagement(rng, author.followers, label),
    };
    if (primary) {
      let campaigns = this.campaignsByBrand.get(primary.name);
      if (campaigns && this.timedCampaigns) campaigns = campaigns.filter((c) => isActive(c, t));
      if (campaigns && campaigns.length > 0 && rng.chance(CAMPAIGN_TAG_SHARE)) {
        const c = rng.pick(campaigns);
        event.campaign = { id: c.id, arm: rng.pick(c.arms).id };
      }
    }
    return {
      event,
      truth: { label, brands: brands.map((b) => b.name), spike: spike !== undefined, topic },
    };
  }

  private material(topic: string): TopicMaterial {
    const m = this.cfg.topics.get(topic);
    if (!m) throw new Error(`no material for topic "${topic}"`); // normalizeConfig checked every name
    return m;
  }

  private feedbackSlot(slot: number, c: CampaignSpec & { stream: number }): Slotted[] {
    const rng = new Random(slotSeed(this.cfg.seed, slot, c.stream));
    const start = slot * SLOT_MS;
    const n = rng.poisson(c.impressionsPerSec / (1000 / SLOT_MS));
    const out: Slotted[] = [];
    const emit = (arm: string, decision: string, kind: FeedbackEvent['kind'], at: number): void => {
      const event: FeedbackEvent = { campaign: c.id, arm, decision_id: decision, kind, value: 1, ts: at };
      out.push({ at, item: { kind: 'feedback', event } });
    };
    for (let k = 0; k < n; k++) {
      // rotating start so impressions split evenly over arms across slots
      const arm = c.arms[(slot + k) % c.arms.length]!;
      const decision = `d-${this.cfg.seed}-${c.id}-${slot}-${k}`;
      // the whole chain stays inside the slot, so a range never holds a click without its impression
      const shown = start + rng.int(SLOT_MS);
      emit(arm.id, decision, 'impression', shown);
      if (!rng.chance(arm.clickRate)) continue;
      const clicked = shown + rng.int(start + SLOT_MS - shown);
      emit(arm.id, decision, 'click', clicked);
      if (!rng.chance(arm.conversionRate)) continue;
      emit(arm.id, decision, 'conversion', clicked + rng.int(start + SLOT_MS - clicked));
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------

function isActive(c: CampaignSpec, t: number): boolean {
  return (c.from === undefined || t >= c.from) && (c.until === undefined || t < c.until);
}

function drawTopic(rng: Random, draw: TopicDraw): string {
  const total = draw.cumulative[draw.cumulative.length - 1]!;
  const u = rng.next() * total;
  const i = draw.cumulative.findIndex((c) => u < c);
  return draw.names[i < 0 ? draw.names.length - 1 : i]!;
}

/**
 * A line ingest must refuse, made from the post it replaces: cut short or not JSON at all
 * (`invalid_json`), or JSON with a wrong field type or a missing field (`schema`).
 */
function malformedLine(rng: Random, event: SocialEventInput, at: number): GeneratedEvent {
  const of = event.id;
  const json = JSON.stringify(event);
  const make = (reason: MalformedReason, line: string): GeneratedEvent => ({
    kind: 'malformed',
    line,
    truth: { reason, of, at },
  });
  switch (rng.int(4)) {
    case 0: {
      // any proper prefix of a JSON object is invalid JSON; never cut a surrogate pair in two
      let cut = 1 + rng.int(json.length - 1);
      if (/[\uD800-\uDBFF]/.test(json.charAt(cut - 1))) cut--;
      return make('invalid_json', json.slice(0, cut));
    }
    case 1:
      // a CSV row sent to the NDJSON endpoint
      return make(
        'invalid_json',
        `${of},${event.author.id},"${event.text.replace(/"/g, '""').replace(/[\r\n]/g, ' ')}"`,
      );
    case 2:
      return make('schema', JSON.stringify({ ...event, ts: new Date(event.ts).toISOString() }));
    default: {
      const { author: _author, ...rest } = event;
      return make('schema', JSON.stringify(rest));
    }
  }
}

/** 1 ± amplitude, peak at 18:00 UTC, trough at 06:00 UTC; averages 1 over a day. */
export function dailyFactor(ts: number, amplitude: number): number {
  const hour = (((ts % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000;
  return 1 + amplitude * Math.cos((2 * Math.PI * (hour - 18)) / 24);
}

function drawLabel(rng: Random, mix: Normalized['mix']): SentimentLabel {
  const u = rng.next();
  if (u < mix.negative) return 'negative';
  if (u < mix.negative + mix.neutral) return 'neutral';
  return 'positive';
}

/** During a spike the negative share is fixed; positive and neutral keep their ratio. */
function spikeLabel(rng: Random, mix: Normalized['mix'], negativeShare: number): SentimentLabel {
  if (rng.chance(negativeShare)) return 'negative';
  const rest = mix.positive + mix.neutral;
  if (rest <= 0) return 'neutral';
  return rng.chance(mix.positive / rest) ? 'positive' : 'neutral';
}

function composeText(
  rng: Random,
  template: string,
  label: SentimentLabel,
  brands: readonly BrandSpec[],
  topicHashtags: readonly string[] | undefined,
): string {
  let body = template;
  if (rng.chance(SHOUT_SHARE[label])) {
    body = body.toUpperCase();
  } else if (label !== 'neutral' && rng.chance(0.1)) {
    body = body.replace(EMPHASIS_WORDS, (w) => w.toUpperCase());
  }
  if (label !== 'neutral' && rng.chance(0.08)) body = body.replace(ELONGATE_WORDS, (w) => elongate(rng, w));

  body = body
    .replace(/\{p\}/gi, () => rng.pick(PRODUCTS))
    .replace(/\{n\}/gi, () => String(2 + rng.int(44)))
    .replace(/\{1\}/g, () => (brands[0] ? brandForm(rng, brands[0]) : ''))
    .replace(/\{2\}/g, () => (brands[1] ? brandForm(rng, brands[1]) : ''));
  if (rng.chance(0.5)) body = body.charAt(0).toUpperCase() + body.slice(1);
  if (label === 'negative' && rng.chance(0.3)) body += rng.chance(0.5) ? '!!' : '!';

  const parts = [body];
  if (rng.chance(EMOJI_SHARE[label])) {
    const e = rng.pick(EMOJI[label]);
    parts.push(rng.chance(0.3) ? e + e : e);
  }
  const hashtags: string[] = [];
  if (topicHashtags && topicHashtags.length > 0 && rng.chance(TOPIC_HASHTAG_SHARE))
    hashtags.push(`#${rng.pick(topicHashtags)}`);
  if (rng.chance(0.35)) hashtags.push(`#${rng.pick(GENERIC_HASHTAGS)}`);
  if (rng.chance(0.1)) hashtags.push(`#${rng.pick(GENERIC_HASHTAGS)}`);
  parts.push(...new Set(hashtags));
  if (rng.chance(0.08))
    parts.push(`https://pics.example.com/p/${(rng.int(0xffffff) + 0x100000).toString(16)}`);
  return parts.join(' ');
}

/** One of the ways people refer to a brand in a post. */
function brandForm(rng: Random, brand: BrandSpec): string {
  const aliases = brand.aliases ?? [];
  const handles = brand.handles ?? [];
  const u = rng.next();
  if (u < 0.3) return brand.name;
  if (u < 0.5 && handles.length > 0) return `@${rng.pick(handles)}`;
  if (u < 0.6 && hashtagOf(brand.name) !== '') return `#${hashtagOf(brand.name)}`;
  if (u < 0.8 && aliases.length > 0) {
    const alias = rng.pick(aliases);
    const plain = stripAccents(alias);
    // accented aliases are also written without the accent
    return plain !== alias && rng.chance(0.5) ? plain : alias;
  }
  return rng.pick([brand.name, ...aliases]).toLowerCase();
}

function stripAccents(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/** "Northwind Café" -> "NorthwindCafe" */
export function hashtagOf(name: string): string {
  return stripAccents(name)
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** "love" -> "loooove": repeats the first vowel. */
function elongate(rng: Random, word: string): string {
  const i = word.search(/[aeiou]/i);
  if (i < 0) return word;
  return word.slice(0, i + 1) + word.charAt(i).repeat(2 + rng.int(3)) + word.slice(i + 1);
}

function engagement(
  rng: Random,
  followers: number,
  label: SentimentLabel,
): { likes: number; shares: number; replies: number } {
  const reach = Math.pow(followers, 0.8) * 0.05 * (0.3 + 1.4 * rng.next());
  const likes = rng.poisson(reach);
  // complaints travel: more shares and replies per like
  const heat = label === 'negative' ? 2 : 1;
  return {
    likes,
    shares: rng.poisson(likes * 0.1 * heat),
    replies: rng.poisson(likes * 0.06 * heat + 0.2),
  };
}

function buildAuthors(seed: number, size: number): Author[] {
  const rng = new Random(slotSeed(seed, 0, STREAM_AUTHORS));
  const pool: Author[] = [];
  for (let i = 0; i < size; i++) {
    const followers = Math.min(5_000_000, Math.round(rng.pareto(20, 1.1)));
    const verified = followers > 100_000 ? rng.chance(0.6) : rng.chance(0.002);
    pool.push({ id: `u${i}`, followers, verified });
  }
  return pool;
}

function mix32(h: number, v: number): number {
  return hashFinish(Math.imul(h ^ v, 0x9e3779b1));
}

/** Seed of the random stream for one slot; slots exceed 32 bits, so both halves are mixed in. */
function slotSeed(seed: number, slot: number, stream: number): number {
  let h = mix32(seed >>> 0, 0x5eed);
  h = mix32(h, slot >>> 0);
  h = mix32(h, Math.floor(slot / 0x1_0000_0000) >>> 0);
  return mix32(h, stream);
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------

function fail(message: string): never {
  throw new RangeError(`generator config: ${message}`);
}

function share(name: string, v: unknown, fallback: number): number {
  const x = v === undefined ? fallback : v;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1)
    fail(`${name} must be in 0..1 (got ${String(x)})`);
  return x;
}

function validId(name: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    fail(`${name} must be a string of 1..${max} chars`);
  return v;
}

function normalizeConfig(c: GeneratorConfig): Normalized {
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffff_ffff) {
    fail(`seed must be an integer in 0..4294967295 (got ${c.seed})`);
  }
  if (!Array.isArray(c.brands) || c.brands.length === 0) fail('brands must list at least one brand');
  const names = new Map<string, number>();
  c.brands.forEach((b, i) => {
    const name = validId(`brands[${i}].name`, b.name, 200);
    if (names.has(name)) fail(`duplicate brand name "${name}"`);
    names.set(name, i);
  });
  if (
    typeof c.ratePerSec !== 'number' ||
    !Number.isFinite(c.ratePerSec) ||
    c.ratePerSec < 0 ||
    c.ratePerSec > 1e6
  ) {
    fail(`ratePerSec must be in 0..1e6 (got ${c.ratePerSec})`);
  }
  const m = c.mix ?? DEFAULT_MIX;
  const positive = share('mix.positive', m.positive, 0);
  const neutral = share('mix.neutral', m.neutral, 0);
  const negative = share('mix.negative', m.negative, 0);
  const sum = positive + neutral + negative;
  if (Math.abs(sum - 1) > 0.01) fail(`mix must sum to 1 (got ${sum})`);

  const topics = normalizeTopics(c.topics ?? [], names);
  const spikes = (c.spikes ?? []).map((s, i) => {
    const brandIndex = names.get(s.brand);
    if (brandIndex === undefined) fail(`spikes[${i}] names unknown brand "${s.brand}"`);
    if (!Number.isFinite(s.start)) fail(`spikes[${i}].start must be a finite ms epoch`);
    if (!Number.isFinite(s.durationMs) || s.durationMs <= 0) fail(`spikes[${i}].durationMs must be > 0`);
    if (!Number.isFinite(s.volumeMultiplier) || s.volumeMultiplier < 0 || s.volumeMultiplier > 1000) {
      fail(`spikes[${i}].volumeMultiplier must be in 0..1000 (got ${s.volumeMultiplier})`);
    }
    share(`spikes[${i}].negativeShare`, s.negativeShare, 0);
    const topic = s.topic ?? SPIKE_TOPICS[i % SPIKE_TOPICS.length]!;
    if (!topics.has(topic)) fail(`spikes[${i}].topic must be one of ${[...topics.keys()].join(', ')}`);
    return { ...s, topic, brandIndex };
  });

  const campaignIds = new Set<string>();
  const campaigns = (c.campaigns ?? []).map((camp, i) => {
    const id = validId(`campaigns[${i}].id`, camp.id, 100);
    if (campaignIds.has(id)) fail(`duplicate campaign id "${id}"`);
    campaignIds.add(id);
    if (!names.has(camp.brand)) fail(`campaigns[${i}] names unknown brand "${camp.brand}"`);
    if (!Array.isArray(camp.arms) || camp.arms.length === 0) fail(`campaigns[${i}] needs at least one arm`);
    const armIds = new Set<string>();
    camp.arms.forEach((a, j) => {
      const armId = validId(`campaigns[${i}].arms[${j}].id`, a.id, 256);
      if (armIds.has(armId)) fail(`campaigns[${i}] has duplicate arm id "${armId}"`);
      armIds.add(armId);
      share(`campaigns[${i}].arms[${j}].clickRate`, a.clickRate, 0);
      share(`campaigns[${i}].arms[${j}].conversionRate`, a.conversionRate, 0);
    });
    const ips = camp.impressionsPerSec;
    if (typeof ips !== 'number' || !Number.isFinite(ips) || ips < 0 || ips > 1e6) {
      fail(`campaigns[${i}].impressionsPerSec must be in 0..1e6 (got ${ips})`);
    }
    for (const k of ['from', 'until'] as const) {
      if (camp[k] !== undefined && !Number.isFinite(camp[k]))
        fail(`campaigns[${i}].${k} must be a finite ms epoch`);
    }
    return { ...camp, arms: camp.arms.map((a) => ({ ...a })), stream: hashString(id) };
  });

  const authors = c.authors ?? 5000;
  if (!Number.isInteger(authors) || authors < 1 || authors > 1_000_000) {
    fail(`authors must be an integer in 1..1000000 (got ${authors})`);
  }
  return {
    seed: c.seed,
    brands: c.brands.map((b) => ({ ...b })),
    ratePerSec: c.ratePerSec,
    mix: { positive: positive / sum, neutral: neutral / sum, negative: negative / sum },
    dailyAmplitude: share('dailyAmplitude', c.dailyAmplitude, 0.5),
    spikes,
    campaigns,
    authors,
    outOfOrderShare: share('outOfOrderShare', c.outOfOrderShare, 0.05),
    brandlessShare: share('brandlessShare', c.brandlessShare, 0.1),
    topics,
    phases: normalizePhases(c.topicPhases ?? [], topics, c.topics ?? [], c.brands),
    faultsFrom: c.faultsFrom ?? Number.NEGATIVE_INFINITY,
    ...normalizeFaults(c),
  };
}

function normalizeTopics(
  custom: readonly TopicSpec[],
  brands: Map<string, number>,
): Map<string, TopicMaterial> {
  const topics = new Map<string, TopicMaterial>(Object.entries(BUILTIN_TOPICS));
  custom.forEach((t, i) => {
    const name = validId(`topics[${i}].name`, t.name, 100);
    if (name === GENERAL_TOPIC || topics.has(name)) fail(`topics[${i}].name "${name}" is taken`);
    for (const label of ['positive', 'neutral', 'negative'] as const) {
      const list = t[label];
      if (!Array.isArray(list) || list.length === 0)
        fail(`topics[${i}].${label} needs at least one template`);
      list.forEach((tpl, j) => {
        if (typeof tpl !== 'string' || !tpl.includes('{1}'))
          fail(`topics[${i}].${label}[${j}] must be a string that names the brand as {1}`);
      });
    }
    (t.brands ?? []).forEach((b, j) => {
      if (!brands.has(b)) fail(`topics[${i}].brands[${j}] names unknown brand "${b}"`);
    });
    topics.set(name, {
      positive: [...t.positive],
      neutral: [...t.neutral],
      negative: [...t.negative],
      hashtags: [...(t.hashtags ?? [])],
    });
  });
  return topics;
}

/** Each phase's draw per brand: the topics it may take (restricted topics only for their brands). */
function normalizePhases(
  phases: readonly TopicPhase[],
  topics: Map<string, TopicMaterial>,
  custom: readonly TopicSpec[],
  brands: readonly BrandSpec[],
): Normalized['phases'] {
  const only = new Map(custom.filter((t) => t.brands).map((t) => [t.name, new Set(t.brands)]));
  let previous = Number.NEGATIVE_INFINITY;
  return phases.map((p, i) => {
    if (!Number.isFinite(p.from) || p.from <= previous)
      fail(`topicPhases[${i}].from must be a finite ms epoch after the previous phase's`);
    previous = p.from;
    for (const [name, w] of Object.entries(p.weights)) {
      if (name !== GENERAL_TOPIC && !topics.has(name))
        fail(`topicPhases[${i}] names unknown topic "${name}"`);
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
        fail(`topicPhases[${i}].weights.${name} must be a number >= 0`);
    }
    const byBrand = brands.map((b) => {
      const names: string[] = [];
      const cumulative: number[] = [];
      let total = 0;
      for (const [name, w] of Object.entries(p.weights)) {
        if (w <= 0 || (only.has(name) && !only.get(name)!.has(b.name))) continue;
        total += w;
        names.push(name);
        cumulative.push(total);
      }
      return total > 0 ? { names, cumulative } : { names: [GENERAL_TOPIC], cumulative: [1] };
    });
    return { from: p.from, byBrand };
  });
}

function normalizeFaults(c: GeneratorConfig): Pick<Normalized, 'late' | 'duplicates' | 'malformed'> {
  const delay = (name: string, v: number, min: number, max: number): number => {
    if (!Number.isInteger(v) || v < min || v > max)
      fail(`${name} must be an integer in ${min}..${max} ms (got ${v})`);
    return v;
  };
  if (c.faultsFrom !== undefined && !Number.isFinite(c.faultsFrom))
    fail('faultsFrom must be a finite ms epoch');
  const late = c.late && {
    share: share('late.share', c.late.share, 0),
    minDelayMs: delay('late.minDelayMs', c.late.minDelayMs, 1, MAX_LATE_MS),
    maxDelayMs: delay('late.maxDelayMs', c.late.maxDelayMs, 1, MAX_LATE_MS),
  };
  if (late && late.maxDelayMs < late.minDelayMs) fail('late.maxDelayMs must be >= late.minDelayMs');
  const duplicates = c.duplicates && {
    share: share('duplicates.share', c.duplicates.share, 0),
    maxDelayMs: delay('duplicates.maxDelayMs', c.duplicates.maxDelayMs, 0, MAX_DUPLICATE_DELAY_MS),
  };
  const malformed = c.malformed && { share: share('malformed.share', c.malformed.share, 0) };
  // a share of 0 is the same as no fault at all, and keeps the output of a config without them
  return {
    late: late && late.share > 0 ? late : undefined,
    duplicates: duplicates && duplicates.share > 0 ? duplicates : undefined,
    malformed: malformed && malformed.share > 0 ? malformed : undefined,
  };
}
