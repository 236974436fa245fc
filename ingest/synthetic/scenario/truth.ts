import type { SentimentLabel } from '../../../stream/model/index.js';
import type { MalformedReason, GeneratedEvent } from '../events.js';
import type { SyntheticGenerator } from '../generator.js';
import type { ResolvedScenario } from './resolve.js';

/** Ground truth: what was generated, so tests, evals and benchmarks can score a pipeline. */

export interface TruthCounts {
  /** Valid posts sent (each id once). */
  social: number;
  /** Of those, posts that mention no tracked brand. */
  brandless: number;
  /** Of those, posts injected late (brand posts only). */
  late: number;
  /** Re-sent copies of posts sent in the range. */
  duplicates: number;
  /** Re-sent copies in the range of posts sent before it (a pipeline that did not see the original takes them as new). */
  duplicates_of_earlier: number;
  /** Malformed lines sent instead of a post, by the reason ingest must give. */
  malformed: Record<MalformedReason, number>;
  /** All social NDJSON lines sent: posts, copies and malformed lines. */
  lines: number;
  by_topic: Record<string, number>;
  by_label: Record<SentimentLabel, number>;
  /** campaign -> arm -> feedback events by kind. */
  feedback: Record<string, Record<string, { impression: number; click: number; conversion: number }>>;
}

export type TruthRecord =
  | {
      type: 'scenario';
      name: string;
      description: string;
      seed: number;
      rate: number;
      start: number;
      end: number | null;
      from: number;
      to: number;
    }
  | {
      type: 'spike';
      brand: string;
      start: number;
      end: number;
      topic: string;
      size: number;
      negative_share: number;
    }
  | {
      type: 'arm';
      campaign: string;
      brand: string;
      arm: string;
      click_rate: number;
      conversion_rate: number;
      impressions_per_sec: number;
      from: number | null;
      until: number | null;
    }
  | {
      type: 'event';
      id: string;
      ts: number;
      topic: string;
      label: SentimentLabel;
      brands: string[];
      spike: boolean;
      late_ms?: number;
    }
  | { type: 'duplicate'; id: string; sent_at: number; original_sent_at: number }
  | { type: 'malformed'; of: string; sent_at: number; reason: MalformedReason; line: string }
  | ({ type: 'counts'; until: number } & TruthCounts);

/**
 * The ground truth of one range [from, to) of a scenario, fed the batches as they are generated (or
 * sent): records per event as they come, and counts at the end. Nothing in it depends on the clock,
 * so the same scenario, start and range give the same records, byte for byte.
 */
export class GroundTruth {
  readonly counts: TruthCounts = {
    social: 0,
    brandless: 0,
    late: 0,
    duplicates: 0,
    duplicates_of_earlier: 0,
    malformed: { invalid_json: 0, schema: 0 },
    lines: 0,
    by_topic: {},
    by_label: { positive: 0, neutral: 0, negative: 0 },
    feedback: {},
  };

  constructor(
    private readonly scenario: ResolvedScenario,
    private readonly generator: SyntheticGenerator,
    readonly from: number,
    readonly to: number,
  ) {
    for (const c of generator.campaigns()) {
      const arms: TruthCounts['feedback'][string] = {};
      for (const a of c.arms) arms[a.id] = { impression: 0, click: 0, conversion: 0 };
      this.counts.feedback[c.id] = arms;
    }
  }

  /** The scenario, the spikes that overlap the range, and every campaign arm with its true rates. */
  head(): TruthRecord[] {
    const s = this.scenario;
    const out: TruthRecord[] = [
      {
        type: 'scenario',
        name: s.name,
        description: s.description,
        seed: s.config.seed,
        rate: s.config.ratePerSec,
        start: s.start,
        end: s.end ?? null,
        from: this.from,
        to: this.to,
      },
    ];
    for (const sp of this.generator.spikes()) {
      if (sp.start >= this.to || sp.end <= this.from) continue;
      const { negativeShare, ...rest } = sp;
      out.push({ type: 'spike', ...rest, negative_share: negativeShare });
    }
    for (const c of this.generator.campaigns()) {
      for (const a of c.arms) {
        out.push({
          type: 'arm',
          campaign: c.id,
          brand: c.brand,
          arm: a.id,
          click_rate: a.clickRate,
          conversion_rate: a.conversionRate,
          impressions_per_sec: c.impressionsPerSec,
          from: c.from ?? null,
          until: c.until ?? null,
        });
      }
    }
    return out;
  }

  /** Counts a batch and returns its records (social events, copies, malformed lines; feedback is only counted). */
  add(batch: readonly GeneratedEvent[]): TruthRecord[] {
    const out: TruthRecord[] = [];
    const c = this.counts;
    for (const g of batch) {
      if (g.kind === 'feedback') {
        const arm = c.feedback[g.event.campaign]?.[g.event.arm];
        if (arm && g.event.kind !== 'reward') arm[g.event.kind]++;
        continue;
      }
      c.lines++;
      if (g.kind === 'malformed') {
        c.malformed[g.truth.reason]++;
        out.push({
          type: 'malformed',
          of: g.truth.of,
          sent_at: g.truth.at,
          reason: g.truth.reason,
          line: g.line,
        });
        continue;
      }
      const t = g.truth;
      if (t.copy) {
        if (t.copy.originalSentAt >= this.from) c.duplicates++;
        else c.duplicates_of_earlier++;
        out.push({
          type: 'duplicate',
          id: g.event.id,
          sent_at: t.copy.sentAt,
          original_sent_at: t.copy.originalSentAt,
        });
        continue;
      }
      c.social++;
      if (t.brands.length === 0) c.brandless++;
      if (t.lateMs !== undefined) c.late++;
      c.by_topic[t.topic] = (c.by_topic[t.topic] ?? 0) + 1;
      c.by_label[t.label]++;
      out.push({
        type: 'event',
        id: g.event.id,
        ts: g.event.ts,
        topic: t.topic,
        label: t.label,
        brands: t.brands,
        spike: t.spike,
        ...(t.lateMs !== undefined && { late_ms: t.lateMs }),
      });
    }
    return out;
  }

  /** The final counts record; `until`: the end of the event time covered (before `to` when a run was stopped). */
  tail(until: number): TruthRecord[] {
    return [{ type: 'counts', until, ...this.counts }];
  }
}
