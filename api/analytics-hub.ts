import {
  readInfluencers,
  readSegments,
  readShareOfVoice,
  readTopics,
  readTrends,
  type InfluencerView,
  type SegmentView,
  type Store,
  type TopicView,
  type TrendWindowView,
  type VoiceView,
} from '../stream/index.js';
import type { BrandDirectory } from './brands.js';
import { PollingHub, type PushListener } from './polling-hub.js';

/**
 * What an analytics channel carries. `analytics:<brand id>`: the brand's topics, trending terms,
 * share of voice and influencers over the latest windows (the analyses that run; the others are
 * left out). `segments`: the audience segments.
 */
export interface BrandAnalyticsPush {
  brand: { id: string; name: string; kind: 'own' | 'competitor' };
  /** How far back the windows go, ms. */
  lookback_ms: number;
  /** Where the lookback ends, ms since the epoch: now, or the pipeline's event time when behind it. */
  as_of: number;
  window_ms: number | null;
  topics?: TopicView[];
  /** The latest window first. */
  trends?: TrendWindowView[];
  voice?: Omit<VoiceView, 'window_ms'>;
  influencers?: InfluencerView[];
}
export interface SegmentsPush {
  lookback_ms: number;
  as_of: number;
  window_ms: number | null;
  segments: SegmentView[];
}
export type AnalyticsPush = BrandAnalyticsPush | SegmentsPush;
export type AnalyticsListener = PushListener<AnalyticsPush>;

export interface AnalyticsHubOptions {
  store: Store;
  brands: BrandDirectory;
  /** The analyses stage 2 runs (names of operators); a channel carries only theirs. */
  operators: readonly string[];
  /** `global`: the brand channels carry the global topic model's topics. */
  topicScope?: 'brand' | 'global';
  /** Time between two reads of a watched channel, ms. Default a second. */
  intervalMs?: number;
  /** How far back the channels look, ms. Default an hour. */
  lookbackMs?: number;
  now?: () => number;
  /**
   * How far the pipeline's event time has got (LiveHub.eventTime). When it is behind the wall clock
   * (a backlog, an import of old posts), the channels look back from it, so they show what the
   * pipeline is working on rather than an empty hour.
   */
  eventTime?: () => number | undefined;
  onError?: (err: unknown) => void;
}

const PREFIX = 'analytics:';
/** Topics, trend windows and influencers a channel carries at most (the page shows fewer). */
const TOPICS = 10;
const TREND_WINDOWS = 2;
const TREND_TERMS = 15;
const INFLUENCERS = 10;

/**
 * Live analytics for the WebSocket channels `analytics:<brand id>` and `segments`. The analytics
 * tables change with every stage-2 batch on any worker, so the hub polls the store (PollingHub:
 * one read per watched channel every `intervalMs`, a push only when it changed).
 */
export class AnalyticsHub extends PollingHub<AnalyticsPush> {
  private readonly lookbackMs: number;
  private readonly now: () => number;

  constructor(private readonly o: AnalyticsHubOptions) {
    super({ intervalMs: o.intervalMs ?? 1000, ...(o.onError && { onError: o.onError }) });
    this.lookbackMs = o.lookbackMs ?? 3_600_000;
    this.now = o.now ?? Date.now;
  }

  /** The end of the lookback: now, or the pipeline's event time when it is behind. */
  private asOf(): number {
    const wall = this.now();
    const seen = this.o.eventTime?.();
    return seen !== undefined && seen < wall ? seen : wall;
  }

  private runs(operator: string): boolean {
    return this.o.operators.includes(operator);
  }

  /** Whether this hub serves the channel (a configured brand's, or `segments` when segments run). */
  isChannel(channel: string): boolean {
    if (channel === 'segments') return this.runs('segments');
    if (!channel.startsWith(PREFIX)) return false;
    return (
      this.o.brands.hasId(channel.slice(PREFIX.length)) &&
      ['topics', 'trends', 'voice', 'influencers'].some((operator) => this.runs(operator))
    );
  }

  /** The channel's current value, read now. */
  async snapshot(channel: string): Promise<AnalyticsPush> {
    const asOf = this.asOf();
    const range = { from: asOf - this.lookbackMs, to: Number.POSITIVE_INFINITY };
    if (channel === 'segments') {
      const view = await readSegments(this.o.store, range);
      return { lookback_ms: this.lookbackMs, as_of: asOf, ...view };
    }
    const brand = channel.startsWith(PREFIX) ? this.o.brands.find(channel.slice(PREFIX.length)) : undefined;
    if (!brand) throw new RangeError(`not an analytics channel: ${channel}`);
    const { store } = this.o;
    const scope = this.o.topicScope === 'global' ? '*' : brand.name;
    const [topics, trends, voice, influencers] = await Promise.all([
      this.runs('topics') ? readTopics(store, scope, range, { limit: TOPICS }) : undefined,
      this.runs('trends') ? readTrends(store, brand.name, range, TREND_TERMS) : undefined,
      this.runs('voice') ? readShareOfVoice(store, brand, this.o.brands.list, range) : undefined,
      this.runs('influencers') ? readInfluencers(store, brand.name, range, INFLUENCERS) : undefined,
    ]);
    const sizes = [topics, trends, voice, influencers]
      .map((v) => v?.window_ms ?? null)
      .filter((s) => s !== null);
    const push: BrandAnalyticsPush = {
      brand: { id: brand.id, name: brand.name, kind: brand.kind },
      lookback_ms: this.lookbackMs,
      as_of: asOf,
      window_ms: sizes[0] ?? null,
    };
    if (topics) push.topics = topics.topics;
    if (trends) push.trends = trends.windows.slice(0, TREND_WINDOWS);
    if (voice) {
      const { window_ms: _, ...rest } = voice;
      push.voice = rest;
    }
    if (influencers) push.influencers = influencers.influencers;
    return push;
  }
}
