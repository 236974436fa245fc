/**
 * Spike alerts as the running app computes them, without a bus: stage 1's enrichment, stage 2's
 * `spikes` operator on one partition (its published spike windows), and the alerts stage's
 * detection. The eval feeds it posts in time order and collects every alert update.
 */
import type { SentimentScorer } from '../../engines/sentiment/index.js';
import type { SpikeOptions } from '../../engines/spikes/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import {
  AlertDetection,
  enrichEvent,
  PartitionOperators,
  spikeWindows,
  type AlertRecord,
  type BrandSpec,
  type SocialEvent,
  type SpikeWindowsMessage,
} from '../../stream/index.js';

export interface AlertPipelineOptions {
  brands: BrandSpec[];
  scorer: SentimentScorer;
  windowMs: number;
  spikes?: Partial<SpikeOptions>;
  /** As the app's defaults (--out-of-orderness-ms, --allowed-lateness-ms). */
  outOfOrdernessMs?: number;
  allowedLatenessMs?: number;
}

export class AlertPipeline {
  private readonly matcher: BrandMatcher;
  private readonly operators: PartitionOperators;
  readonly detection: AlertDetection;
  private version = 0;
  private maxTs = Number.NEGATIVE_INFINITY;
  /** Posts that named no configured brand. */
  unbranded = 0;
  posts = 0;

  constructor(private readonly o: AlertPipelineOptions) {
    this.matcher = new BrandMatcher(o.brands);
    const names = o.brands.map((b) => b.name);
    this.operators = new PartitionOperators({
      partition: 0,
      windows: [],
      allowedLatenessMs: o.allowedLatenessMs ?? 60_000,
      outOfOrdernessMs: o.outOfOrdernessMs ?? 5_000,
      operators: [spikeWindows],
      spikeWindowMs: o.windowMs,
      brands: o.brands,
    });
    this.detection = new AlertDetection({
      partitions: 1,
      brands: names,
      spikes: { ...o.spikes, windowMs: o.windowMs },
    });
  }

  /** One batch of posts (in about time order, as a partition reads them); the alert updates it completed. */
  push(batch: readonly SocialEvent[]): AlertRecord[] {
    for (const e of batch) {
      const enriched = enrichEvent(e, this.matcher, this.o.scorer);
      this.posts++;
      if (enriched.brands.length === 0) this.unbranded++;
      this.operators.fold(enriched);
      if (e.ts > this.maxTs) this.maxTs = e.ts;
    }
    return this.emit();
  }

  /** Closes every window up to the last post, as time passing would. */
  finish(): AlertRecord[] {
    if (!Number.isFinite(this.maxTs)) return [];
    this.operators.watermark.advanceTo(this.maxTs + 2 * this.o.windowMs);
    return this.emit();
  }

  private emit(): AlertRecord[] {
    const out: AlertRecord[] = [];
    for (const m of this.operators.emit(++this.version).publish)
      out.push(...this.detection.add(m.data as SpikeWindowsMessage));
    return out;
  }
}

/** A SocialEvent for a post known only by its time and text (a row of a data file). */
export function postEvent(id: string, ts: number, text: string, source = 'eval'): SocialEvent {
  return {
    id,
    source,
    ts,
    received_ts: ts,
    author: { id: 'unknown', followers: 0 },
    text,
    tags: { hashtags: [], mentions: [], urls: [] },
    engagement: { likes: 0, shares: 0, replies: 0 },
  };
}
