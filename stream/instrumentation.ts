import { EventEmitter } from 'node:events';
import type { RejectReason } from './model/errors.js';

/**
 * What the pipeline reports as it works. Metrics and logs subscribe to these; processors never
 * know who listens.
 */
export interface PipelineEvents {
  'event.accepted': { source: string; kind: 'social' | 'feedback'; duplicate: boolean };
  'event.rejected': { stage: string; reason: RejectReason; source: string };
  'event.late': { source: string; window: string };
  /** A repeat of an event id inside the dedup window, dropped (ingest: inside one batch; aggregate: across batches). */
  'event.duplicate': { stage: string; source: string };
  /** `tier`: rules, linear, transformer, or none (unsupported language); absent from emitters that predate tiers. */
  'event.enriched': { brands: number; label: string; model: string; tier?: string; count?: number };
  /** A post the sentiment models do not cover: `language` as declared by the source or as detected. */
  'sentiment.unsupported': { language: string; declared: boolean };
  /** An event chosen for the transformer tier, and what came of it. */
  'sentiment.transformer': {
    reason: string;
    outcome: 'scored' | 'over_budget' | 'timeout' | 'failed';
    error?: string;
  };
  /** The transformer worker pool: a worker started or exited, or a batch was scored. */
  'sentiment.worker': { event: 'ready' | 'exit' | 'batch'; pid?: number; size?: number; ms?: number };
  'window.emitted': { window: string; final: boolean };
  /**
   * Windows of another size than the configured one, left out after a change of window setting:
   * open windows a stage-2 operator dropped from the checkpoint it restored (`stage` aggregate), or
   * a partition's spike windows the alerts stage ignored (`stage` alerts, `operator` spikes).
   */
  'windows.dropped': { stage: string; partition: number; operator: string; windows: number };
  /** The alerts stage opened, updated or resolved an alert. */
  'alert.updated': { kind: string; state: string; severity: string };
  'batch.processed': { stage: string; partition: number; size: number; lagMs: number[] };
  'deadletter.sent': { stage: string; reason: RejectReason };
  'checkpoint.saved': { stage: string; partition: number; seq: number };
  'partition.assigned': { group: string; partition: number; owner: string };
  'partition.released': { group: string; partition: number; owner: string; reason: string };
  'processor.error': { stage: string; partition: number; error: unknown };
  /** Stream feedback for decisions of `decide` the campaign store no longer holds: dropped, not applied. */
  'campaign.feedback.expired': { count: number };
}

export type PipelineEventName = keyof PipelineEvents;

export class Instrumentation {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  on<K extends PipelineEventName>(name: K, listener: (payload: PipelineEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  emit<K extends PipelineEventName>(name: K, payload: PipelineEvents[K]): void {
    this.emitter.emit(name, payload);
  }
}
