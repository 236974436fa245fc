import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Instrumentation } from '../../stream/index.js';
import type { WriterFigures } from '../../stream/store/clickhouse/index.js';
import { LabelBounds, languageLabel } from './metric-labels.js';

/** Numeric counters of a bus client, e.g. NatsBus.stats. */
export type BusFigures = Record<string, number>;

export interface ConsumerLag {
  stage: string;
  partition: number;
  pending: number;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The Prometheus metrics of one process, fed by the pipeline's instrumentation events. */
export class Metrics {
  readonly registry = new Registry();
  /** The `source` label values: the known sources keep theirs, any other source is `other`. */
  readonly sources: LabelBounds;
  readonly eventsIn = new Counter({
    name: 'pulsewatch_events_in_total',
    help: 'Events accepted at ingest, by source (`other` for a source not known in advance) and kind',
    labelNames: ['source', 'kind'] as const,
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'pulsewatch_events_duplicate_total',
    help: 'Events dropped as repeats of an id seen inside the dedup window, by the stage that dropped them',
    labelNames: ['stage', 'source'] as const,
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
    help: 'Events scored by stage 1, by sentiment tier, model and label',
    labelNames: ['tier', 'model', 'label', 'branded'] as const,
    registers: [this.registry],
  });
  readonly sentimentUnsupported = new Counter({
    name: 'pulsewatch_sentiment_unsupported_total',
    help: 'Posts not scored because they are not in English, by language (declared by the source, or detected)',
    labelNames: ['language', 'declared'] as const,
    registers: [this.registry],
  });
  readonly sentimentTransformer = new Counter({
    name: 'pulsewatch_sentiment_transformer_total',
    help: 'Events selected for the transformer tier, by selection reason and outcome',
    labelNames: ['reason', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly sentimentWorkerExits = new Counter({
    name: 'pulsewatch_sentiment_worker_exits_total',
    help: 'Transformer worker processes that exited (each is restarted)',
    registers: [this.registry],
  });
  readonly sentimentBatch = new Histogram({
    name: 'pulsewatch_sentiment_transformer_batch_seconds',
    help: 'Time a transformer worker took to score one batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly windowUpdates = new Counter({
    name: 'pulsewatch_window_updates_total',
    help: 'Window rows emitted by the aggregate stage, by window and whether final',
    labelNames: ['window', 'final'] as const,
    registers: [this.registry],
  });
  readonly windowsDropped = new Counter({
    name: 'pulsewatch_windows_dropped_total',
    help: 'Windows of another size than configured, left out after a change of window setting: restored from a checkpoint (stage aggregate) or received by the alerts stage, by stage and operator',
    labelNames: ['stage', 'operator'] as const,
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
  readonly alertUpdates = new Counter({
    name: 'pulsewatch_alert_updates_total',
    help: 'Alert updates of the alerts stage (opened, updated, resolved), by kind, state and severity',
    labelNames: ['kind', 'state', 'severity'] as const,
    registers: [this.registry],
  });
  readonly alertDeliveries = new Counter({
    name: 'pulsewatch_alert_deliveries_total',
    help: 'Alert notification attempts by channel (webhook, email) and outcome (delivered, retried, failed, dead_lettered)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly alertSkipped = new Counter({
    name: 'pulsewatch_alert_notifications_skipped_total',
    help: 'Alert notifications not sent, by reason (duplicate, resolved_by_hand, no_change, cooldown, not_notified)',
    labelNames: ['reason'] as const,
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
  readonly wsSlowClosed = new Counter({
    name: 'pulsewatch_ws_slow_clients_closed_total',
    help: 'WebSocket clients closed (code 1013) because their unsent bytes stayed above --ws-max-buffered-bytes for longer than --ws-max-stalled-ms',
    registers: [this.registry],
  });
  readonly wsDeadClosed = new Counter({
    name: 'pulsewatch_ws_dead_clients_closed_total',
    help: 'WebSocket connections ended because the client answered no heartbeat ping for --ws-heartbeat-ms (gone without closing)',
    registers: [this.registry],
  });
  readonly wsBuffered = new Gauge({
    name: 'pulsewatch_ws_buffered_bytes',
    help: 'Bytes the server holds unsent for its WebSocket clients, all clients together, as of the last flush',
    registers: [this.registry],
  });
  readonly wsErrors = new Counter({
    name: 'pulsewatch_ws_errors_total',
    help: 'WebSocket client messages refused, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly campaignDecideSeconds = new Histogram({
    name: 'pulsewatch_campaign_decide_seconds',
    help: 'Time to answer POST /v1/campaigns/:id/decide in the handler (s), by outcome: ok or the error code',
    labelNames: ['outcome'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly campaignRewards = new Counter({
    name: 'pulsewatch_campaign_rewards_total',
    help: 'Rewards reported on POST /v1/campaigns/:id/reward, by outcome: applied, duplicate or the error code (DECISION_EXPIRED for too late)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly campaignFeedbackExpired = new Counter({
    name: 'pulsewatch_campaign_feedback_expired_total',
    help: 'Stream campaign feedback for a decision of decide the store no longer holds (dropped after --campaign-retention-hours, or past the memory cap): not applied, as POST /v1/campaigns/:id/reward answers 410 (or 404)',
    registers: [this.registry],
  });
  readonly httpErrors = new Counter({
    name: 'pulsewatch_http_errors_total',
    help: 'HTTP error replies, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly ingestRequests = new Counter({
    name: 'pulsewatch_ingest_requests_total',
    help: 'Ingest requests by route (social, feedback), API key name (- without a valid key) and HTTP status: 202 taken, 401 no valid key, 429 rate limited',
    labelNames: ['route', 'key', 'status'] as const,
    registers: [this.registry],
  });

  readonly clickhouseBatchRows = new Histogram({
    name: 'pulsewatch_clickhouse_batch_rows',
    help: 'Rows per ClickHouse insert, by table',
    labelNames: ['table'] as const,
    buckets: [1, 10, 100, 1000, 5000, 10_000, 50_000, 100_000],
    registers: [this.registry],
  });
  readonly clickhouseInsertSeconds = new Histogram({
    name: 'pulsewatch_clickhouse_insert_seconds',
    help: 'Duration of successful ClickHouse inserts (the last attempt), by table',
    labelNames: ['table'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly clickhouseRetries = new Counter({
    name: 'pulsewatch_clickhouse_insert_retries_total',
    help: 'ClickHouse inserts that failed and were retried, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly clickhouseRowsLost = new Counter({
    name: 'pulsewatch_clickhouse_rows_lost_total',
    help: 'Rows a ClickHouse writer gave up (a permanent error, or shutdown while the server was down)',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  private readonly clickhouseWriters = new Set<WriterFigures>();
  readonly clickhouseBuffered = new Gauge({
    name: 'pulsewatch_clickhouse_buffered_rows',
    help: 'Rows waiting for or in a ClickHouse insert, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
    collect: () => {
      for (const w of this.clickhouseWriters) this.clickhouseBuffered.set({ table: w.name }, w.bufferedRows);
    },
  });

  private busStats: (() => BusFigures) | undefined;
  readonly bus = new Gauge({
    name: 'pulsewatch_bus_events',
    help: 'Bus client counters since start: published, duplicates, publish_failures, delivered, redeliveries, exhausted, reconnects',
    labelNames: ['counter'] as const,
    registers: [this.registry],
    collect: () => {
      const stats = this.busStats?.();
      if (!stats) return;
      for (const [counter, value] of Object.entries(stats)) this.bus.set({ counter: snake(counter) }, value);
    },
  });
  private readonly checkpointTimes = new Map<
    string,
    { stage: string; partition: number; at: number; seq: number }
  >();
  readonly checkpointAge = new Gauge({
    name: 'pulsewatch_checkpoint_age_seconds',
    help: 'Time since the last checkpoint of each partition this process owns, by stage',
    labelNames: ['stage', 'partition'] as const,
    registers: [this.registry],
    collect: () => {
      this.checkpointAge.reset();
      const now = Date.now();
      for (const c of this.checkpointTimes.values())
        this.checkpointAge.set({ stage: c.stage, partition: String(c.partition) }, (now - c.at) / 1000);
    },
  });
  private lagSource: (() => Promise<ConsumerLag[]>) | undefined;
  readonly consumerLag = new Gauge({
    name: 'pulsewatch_consumer_lag_messages',
    help: 'Messages of each owned partition not yet processed, by stage',
    labelNames: ['stage', 'partition'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.lagSource) return;
      this.consumerLag.reset();
      for (const l of await this.lagSource().catch(() => []))
        this.consumerLag.set({ stage: l.stage, partition: String(l.partition) }, l.pending);
    },
  });

  /** `sources`: the event sources that keep their own label (built-in connectors, `--metric-sources`). */
  constructor(options: { defaultMetrics?: boolean; sources?: Iterable<string> } = {}) {
    this.sources = new LabelBounds(options.sources);
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'pulsewatch_' });
  }

  /** Reads the bus client's counters at each scrape. */
  observeBus(stats: () => BusFigures): void {
    this.busStats = stats;
  }

  /** Asks the owned partitions for their consumer lag at each scrape. */
  observeLag(source: () => Promise<ConsumerLag[]>): void {
    this.lagSource = source;
  }

  /** Feeds the ClickHouse writers' figures (`ClickHouseStore.writers`). Returns a function that unsubscribes. */
  observeWriters(writers: Iterable<WriterFigures>): () => void {
    const offs: (() => void)[] = [];
    for (const w of writers) {
      this.clickhouseWriters.add(w);
      offs.push(
        w.on('batch', (e) => {
          this.clickhouseBatchRows.observe({ table: e.writer }, e.rows);
          this.clickhouseInsertSeconds.observe({ table: e.writer }, e.ms / 1000);
        }),
        w.on('retry', (e) => this.clickhouseRetries.inc({ table: e.writer })),
        w.on('lost', (e) => this.clickhouseRowsLost.inc({ table: e.writer }, e.rows)),
        () => this.clickhouseWriters.delete(w),
      );
    }
    return () => offs.forEach((off) => off());
  }

  /** Subscribes to the pipeline's events. Returns a function that unsubscribes. */
  observe(instrumentation: Instrumentation): () => void {
    const source = (s: string) => this.sources.label(s);
    const offs = [
      instrumentation.on('event.accepted', (e) => {
        this.eventsIn.inc({ source: source(e.source), kind: e.kind });
      }),
      instrumentation.on('event.duplicate', (e) =>
        this.duplicates.inc({ stage: e.stage, source: source(e.source) }),
      ),
      instrumentation.on('event.rejected', (e) =>
        this.rejected.inc({ reason: e.reason, source: source(e.source) }),
      ),
      instrumentation.on('event.late', (e) => this.late.inc({ source: source(e.source), window: e.window })),
      instrumentation.on('alert.updated', (e) =>
        this.alertUpdates.inc({ kind: e.kind, state: e.state, severity: e.severity }),
      ),
      instrumentation.on('deadletter.sent', (e) =>
        this.deadLetters.inc({ stage: e.stage, reason: e.reason }),
      ),
      instrumentation.on('event.enriched', (e) =>
        this.enriched.inc(
          {
            tier: e.tier ?? 'unknown',
            model: e.model,
            label: e.label,
            branded: e.brands > 0 ? 'yes' : 'no',
          },
          e.count ?? 1,
        ),
      ),
      instrumentation.on('sentiment.unsupported', (e) =>
        this.sentimentUnsupported.inc({
          // a detected language is one of the detector's few; a declared one is whatever the source sent
          language: e.declared ? languageLabel(e.language) : e.language,
          declared: String(e.declared),
        }),
      ),
      instrumentation.on('sentiment.transformer', (e) =>
        this.sentimentTransformer.inc({ reason: e.reason, outcome: e.outcome }),
      ),
      instrumentation.on('sentiment.worker', (e) => {
        if (e.event === 'exit') this.sentimentWorkerExits.inc();
        else if (e.event === 'batch' && e.ms !== undefined) this.sentimentBatch.observe(e.ms / 1000);
      }),
      instrumentation.on('window.emitted', (e) =>
        this.windowUpdates.inc({ window: e.window, final: String(e.final) }),
      ),
      instrumentation.on('windows.dropped', (e) =>
        this.windowsDropped.inc({ stage: e.stage, operator: e.operator }, e.windows),
      ),
      instrumentation.on('batch.processed', (e) => {
        this.batchSize.observe({ stage: e.stage }, e.size);
        for (const ms of e.lagMs) this.lag.observe({ stage: e.stage }, ms / 1000);
      }),
      instrumentation.on('processor.error', (e) => this.processorErrors.inc({ stage: e.stage })),
      instrumentation.on('campaign.feedback.expired', (e) => this.campaignFeedbackExpired.inc(e.count)),
      instrumentation.on('checkpoint.saved', (e) =>
        this.checkpointTimes.set(`${e.stage}:${e.partition}`, { ...e, at: Date.now() }),
      ),
      instrumentation.on('partition.released', (e) =>
        this.checkpointTimes.delete(`${e.group}:${e.partition}`),
      ),
    ];
    return () => offs.forEach((off) => off());
  }
}
