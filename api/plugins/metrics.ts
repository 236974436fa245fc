import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Instrumentation } from '../../stream/index.js';

/** The Prometheus metrics of one process, fed by the pipeline's instrumentation events. */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsIn = new Counter({
    name: 'pulsewatch_events_in_total',
    help: 'Events accepted at ingest, by source and kind',
    labelNames: ['source', 'kind'] as const,
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'pulsewatch_events_duplicate_total',
    help: 'Accepted events whose id was already seen inside the dedup window',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'pulsewatch_events_rejected_total',
    help: 'Inputs refused at ingest, by reason',
    labelNames: ['reason', 'source'] as const,
    registers: [this.registry],
  });
  readonly late = new Counter({
    name: 'pulsewatch_events_late_total',
    help: 'Events that arrived after their window was final, by source and window',
    labelNames: ['source', 'window'] as const,
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'pulsewatch_dead_letters_total',
    help: 'Records sent to a dead-letter subject, by stage and reason',
    labelNames: ['stage', 'reason'] as const,
    registers: [this.registry],
  });
  readonly enriched = new Counter({
    name: 'pulsewatch_events_enriched_total',
    help: 'Events scored by stage 1, by sentiment model and label',
    labelNames: ['model', 'label', 'branded'] as const,
    registers: [this.registry],
  });
  readonly windowUpdates = new Counter({
    name: 'pulsewatch_window_updates_total',
    help: 'Window rows emitted by the aggregate stage, by window and whether final',
    labelNames: ['window', 'final'] as const,
    registers: [this.registry],
  });
  readonly lag = new Histogram({
    name: 'pulsewatch_processing_lag_seconds',
    help: 'Time from ingest (received_ts) to processing, by stage',
    labelNames: ['stage'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'pulsewatch_batch_size',
    help: 'Messages per processed batch, by stage',
    labelNames: ['stage'] as const,
    buckets: [1, 10, 50, 100, 500, 1000, 5000],
    registers: [this.registry],
  });
  readonly processorErrors = new Counter({
    name: 'pulsewatch_processor_errors_total',
    help: 'Batches a processor failed to handle (they are retried)',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });
  readonly wsClients = new Gauge({
    name: 'pulsewatch_ws_clients',
    help: 'Open WebSocket connections on /v1/stream',
    registers: [this.registry],
  });
  readonly wsMessages = new Counter({
    name: 'pulsewatch_ws_messages_sent_total',
    help: 'WebSocket messages sent, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly wsSkipped = new Counter({
    name: 'pulsewatch_ws_flushes_skipped_total',
    help: 'Flushes skipped because a client was slow; its channels keep only the newest values',
    registers: [this.registry],
  });
  readonly wsErrors = new Counter({
    name: 'pulsewatch_ws_errors_total',
    help: 'WebSocket client messages refused, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly httpErrors = new Counter({
    name: 'pulsewatch_http_errors_total',
    help: 'HTTP error replies, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'pulsewatch_' });
  }

  /** Subscribes to the pipeline's events. Returns a function that unsubscribes. */
  observe(instrumentation: Instrumentation): () => void {
    const offs = [
      instrumentation.on('event.accepted', (e) => {
        this.eventsIn.inc({ source: e.source, kind: e.kind });
        if (e.duplicate) this.duplicates.inc({ source: e.source });
      }),
      instrumentation.on('event.rejected', (e) => this.rejected.inc({ reason: e.reason, source: e.source })),
      instrumentation.on('event.late', (e) => this.late.inc({ source: e.source, window: e.window })),
      instrumentation.on('deadletter.sent', (e) =>
        this.deadLetters.inc({ stage: e.stage, reason: e.reason }),
      ),
      instrumentation.on('event.enriched', (e) =>
        this.enriched.inc({ model: e.model, label: e.label, branded: e.brands > 0 ? 'yes' : 'no' }),
      ),
      instrumentation.on('window.emitted', (e) =>
        this.windowUpdates.inc({ window: e.window, final: String(e.final) }),
      ),
      instrumentation.on('batch.processed', (e) => {
        this.batchSize.observe({ stage: e.stage }, e.size);
        for (const ms of e.lagMs) this.lag.observe({ stage: e.stage }, ms / 1000);
      }),
      instrumentation.on('processor.error', (e) => this.processorErrors.inc({ stage: e.stage })),
    ];
    return () => offs.forEach((off) => off());
  }
}
