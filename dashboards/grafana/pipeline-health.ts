import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, numbered, promHeatmap, promStat, promTimeseries, withSections } from './shared.js';

/**
 * Pipeline health from Prometheus: the metrics of api/plugins/metrics.ts that every role serves on
 * GET /metrics (deploy/prometheus/prometheus.yml scrapes them as job `pulsewatch`).
 */

const RATE = '[$__rate_interval]';
const rate = (metric: string, by?: string, filter = ''): string =>
  by ? `sum by (${by}) (rate(${metric}${filter}${RATE}))` : `sum(rate(${metric}${filter}${RATE}))`;
/** A quantile of a histogram over the interval, per `by`. */
const quantile = (q: number, histogram: string, by: string): string =>
  `histogram_quantile(${q}, sum by (le, ${by}) (rate(${histogram}_bucket${RATE})))`;

function throughput() {
  return [
    promStat('Events in /s', [{ expr: rate('pulsewatch_events_in_total'), legend: 'events/s' }], {
      unit: 'reqps',
    }),
    promStat('Consumer lag', [{ expr: 'sum(pulsewatch_consumer_lag_messages)', legend: 'messages' }], {
      description: 'Messages of all partitions not yet processed, every stage.',
    }),
    promStat('WebSocket clients', [{ expr: 'sum(pulsewatch_ws_clients)', legend: 'clients' }]),
    promStat('Dead letters /s', [{ expr: rate('pulsewatch_dead_letters_total'), legend: 'dead letters/s' }], {
      unit: 'reqps',
    }),
    promTimeseries(
      'Throughput',
      [
        { expr: rate('pulsewatch_events_in_total', 'kind'), legend: 'ingested {{kind}}' },
        { expr: rate('pulsewatch_events_enriched_total'), legend: 'enriched' },
        { expr: rate('pulsewatch_window_updates_total', 'final'), legend: 'window rows final={{final}}' },
      ],
      {
        unit: 'reqps',
        description: 'Events per second accepted at ingest, scored by stage 1, and window rows of stage 2.',
      },
    ),
    promTimeseries(
      'Consumer lag by stage',
      [{ expr: 'sum by (stage) (pulsewatch_consumer_lag_messages)', legend: '{{stage}}' }],
      { description: 'Messages of the owned partitions not yet processed.' },
    ),
    promTimeseries(
      'Processing lag',
      [
        { expr: quantile(0.99, 'pulsewatch_processing_lag_seconds', 'stage'), legend: 'p99 {{stage}}' },
        { expr: quantile(0.5, 'pulsewatch_processing_lag_seconds', 'stage'), legend: 'p50 {{stage}}' },
      ],
      { unit: 's', description: 'Time from ingest (received_ts) to processing, per stage.' },
    ),
    promHeatmap(
      'Processing lag distribution',
      [
        {
          expr: 'sum by (le) (rate(pulsewatch_processing_lag_seconds_bucket[$__rate_interval]))',
          legend: '{{le}}',
        },
      ],
      { unit: 's' },
    ),
    promTimeseries(
      'Batch size p99',
      [{ expr: quantile(0.99, 'pulsewatch_batch_size', 'stage'), legend: '{{stage}}' }],
      { description: 'Messages per processed batch.' },
    ),
    promTimeseries(
      'Checkpoint age (oldest partition)',
      [{ expr: 'max by (stage) (pulsewatch_checkpoint_age_seconds)', legend: '{{stage}}' }],
      { unit: 's' },
    ),
  ];
}

function lossAndErrors() {
  return [
    promTimeseries(
      'Late events',
      [{ expr: rate('pulsewatch_events_late_total', 'source, window'), legend: '{{source}} {{window}}' }],
      {
        unit: 'reqps',
        description: 'Events that arrived after their window was final (sent to dlq.aggregate).',
      },
    ),
    promTimeseries(
      'Dead letters',
      [{ expr: rate('pulsewatch_dead_letters_total', 'stage, reason'), legend: '{{stage}} {{reason}}' }],
      { unit: 'reqps' },
    ),
    promTimeseries(
      'Rejected and duplicate events',
      [
        { expr: rate('pulsewatch_events_rejected_total', 'reason'), legend: 'rejected {{reason}}' },
        { expr: rate('pulsewatch_events_duplicate_total', 'stage'), legend: 'duplicate at {{stage}}' },
      ],
      { unit: 'reqps' },
    ),
    promTimeseries(
      'Errors',
      [
        { expr: rate('pulsewatch_processor_errors_total', 'stage'), legend: 'processor {{stage}}' },
        { expr: rate('pulsewatch_http_errors_total', 'code'), legend: 'http {{code}}' },
        { expr: rate('pulsewatch_ws_errors_total', 'code'), legend: 'ws {{code}}' },
      ],
      { unit: 'reqps' },
    ),
    promTimeseries(
      'Ingest requests',
      [{ expr: rate('pulsewatch_ingest_requests_total', 'route, status'), legend: '{{route}} {{status}}' }],
      { unit: 'reqps', description: '202 taken, 401 no valid key, 429 rate limited.' },
    ),
    promTimeseries(
      'Targets up by role',
      [{ expr: 'sum by (role) (up{job="pulsewatch"})', legend: '{{role}}' }],
      {
        description:
          "Processes whose /metrics Prometheus reached at its last scrape (Prometheus's own series).",
      },
    ),
    promTimeseries(
      'Bus client',
      [
        {
          expr: 'sum by (counter) (pulsewatch_bus_events{counter=~"redeliveries|publish_failures|exhausted|reconnects|disconnects"})',
          legend: '{{counter}}',
        },
      ],
      { description: 'Counters since each process started (services mode).' },
    ),
  ];
}

function websocketAndSentiment() {
  return [
    promTimeseries('WebSocket', [
      { expr: 'sum(pulsewatch_ws_clients)', legend: 'clients' },
      { expr: rate('pulsewatch_ws_messages_sent_total'), legend: 'messages/s' },
      { expr: rate('pulsewatch_ws_flushes_skipped_total'), legend: 'flushes skipped/s (slow clients)' },
      { expr: rate('pulsewatch_ws_slow_clients_closed_total'), legend: 'closed as too slow/s' },
    ]),
    promTimeseries(
      'WebSocket bytes held unsent',
      [{ expr: 'sum(pulsewatch_ws_buffered_bytes)', legend: 'unsent' }],
      {
        unit: 'bytes',
        description:
          'What the servers hold for clients that read slower than they are sent to; bounded by --ws-max-buffered-bytes per client, and clients over it longer than --ws-max-stalled-ms are closed.',
      },
    ),
    promTimeseries(
      'Sentiment tiers',
      [
        { expr: rate('pulsewatch_events_enriched_total', 'tier'), legend: '{{tier}}' },
        {
          expr: rate('pulsewatch_sentiment_transformer_total', 'outcome'),
          legend: 'transformer {{outcome}}',
        },
      ],
      { unit: 'reqps' },
    ),
  ];
}

function clickhouse() {
  return [
    promTimeseries(
      'ClickHouse insert p99',
      [{ expr: quantile(0.99, 'pulsewatch_clickhouse_insert_seconds', 'table'), legend: '{{table}}' }],
      { unit: 's' },
    ),
    promTimeseries(
      'ClickHouse writers',
      [
        { expr: 'sum by (table) (pulsewatch_clickhouse_buffered_rows)', legend: 'buffered {{table}}' },
        { expr: rate('pulsewatch_clickhouse_insert_retries_total', 'table'), legend: 'retries/s {{table}}' },
        { expr: rate('pulsewatch_clickhouse_rows_lost_total', 'table'), legend: 'lost/s {{table}}' },
      ],
      {
        description:
          'Rows lost should stay 0: a permanent insert error, or shutdown while ClickHouse was down.',
      },
    ),
    promTimeseries(
      'Process memory',
      [{ expr: 'sum by (instance) (pulsewatch_process_resident_memory_bytes)', legend: '{{instance}}' }],
      { unit: 'bytes' },
    ),
    promTimeseries('Process CPU and event loop', [
      { expr: rate('pulsewatch_process_cpu_seconds_total', 'instance'), legend: 'cpu {{instance}}' },
      {
        expr: 'max by (instance) (pulsewatch_nodejs_eventloop_lag_p99_seconds)',
        legend: 'loop p99 {{instance}}',
      },
    ]),
  ];
}

export function pipelineHealth(): Dashboard {
  return numbered(
    withSections(
      dashboard(
        'pulsewatch-pipeline-health',
        'Pulsewatch: pipeline health',
        'Throughput, lag, late events, dead letters, errors, WebSocket clients and ClickHouse writers (Prometheus).',
      ),
      [
        ['Flow', throughput()],
        ['Loss and errors', lossAndErrors()],
        ['WebSocket and sentiment', websocketAndSentiment()],
        ['ClickHouse and processes', clickhouse()],
      ],
    ),
  );
}
