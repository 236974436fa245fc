import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { CAMPAIGN_WINDOWS_TABLE } from '../../stream/campaigns/windows-table.js';
import { ALERTS_TABLE } from '../../stream/stages/alert-rows.js';
import {
  dashboard,
  msBucket,
  msRange,
  numbered,
  promTimeseries,
  ratio,
  settledFrom,
  sqlStat,
  sqlTable,
  sqlTimeseries,
  sqlVariable,
  text,
  withSections,
} from './shared.js';

/**
 * Alerts and campaigns: the `alerts` and `campaign_windows` tables in ClickHouse, and the delivery
 * and feedback metrics in Prometheus.
 */

const ALERTS = ALERTS_TABLE.name;
const alertBrands = `brand IN (${text('alert_brand')})`;
/** Alerts that were open at some time in the range. */
const alertsInRange = `${ALERTS} FINAL
WHERE ${alertBrands} AND opened_at < $__to AND (resolved_at = 0 OR resolved_at >= $__from)`;
const msTime = (column: string) => `toDateTime(intDiv(${column}, 1000))`;

function alerts() {
  return [
    sqlStat(
      'Open alerts',
      `SELECT count() AS open_alerts FROM ${ALERTS} FINAL WHERE ${alertBrands} AND resolved_at = 0`,
      {
        description: 'Alerts not resolved, now.',
        span: 8,
      },
    ),
    sqlStat('Alerts in the range', `SELECT count() AS alerts FROM ${alertsInRange}`, { span: 8 }),
    sqlTimeseries(
      'Alerts opened',
      `SELECT ${msBucket('opened_at')} AS time, severity, count() AS opened
FROM ${ALERTS} FINAL
WHERE ${alertBrands} AND ${msRange('opened_at')}
GROUP BY time, severity
ORDER BY time, severity`,
      { span: 8 },
    ),
    sqlTable(
      'Alerts',
      `SELECT ${msTime('opened_at')} AS opened, brand, kind, severity, state,
  ${msTime('updated_at')} AS updated, if(resolved_at > 0, ${msTime('resolved_at')}, NULL) AS resolved,
  observed, baseline, score, posts, negative, top_terms, id
FROM ${alertsInRange}
ORDER BY opened_at DESC, id
LIMIT 200`,
      {
        span: 24,
        height: 10,
        description: 'The latest update of each alert open at some time in the range.',
      },
    ),
    promTimeseries(
      'Alert deliveries',
      [
        {
          expr: 'sum by (channel, outcome) (rate(pulsewatch_alert_deliveries_total[$__rate_interval]))',
          legend: '{{channel}} {{outcome}}',
        },
      ],
      { unit: 'reqps', span: 8, description: 'Webhook and e-mail notifications by outcome.' },
    ),
    promTimeseries(
      'Notifications skipped',
      [
        {
          expr: 'sum by (reason) (rate(pulsewatch_alert_notifications_skipped_total[$__rate_interval]))',
          legend: '{{reason}}',
        },
      ],
      { unit: 'reqps', span: 8 },
    ),
    promTimeseries(
      'Alert updates',
      [
        {
          expr: 'sum by (state, severity) (rate(pulsewatch_alert_updates_total[$__rate_interval]))',
          legend: '{{state}} {{severity}}',
        },
      ],
      { unit: 'reqps', span: 8 },
    ),
  ];
}

const CAMPAIGNS = CAMPAIGN_WINDOWS_TABLE.name;
/** The campaign's windows in the range, as the ROI reader adds them up. */
const campaignRows = settledFrom(CAMPAIGNS, `campaign = ${text('campaign')} AND ${msRange('start')}`, [
  'campaign',
  'arm',
]);

function campaigns() {
  return [
    sqlTable(
      'Arms',
      `SELECT arm, n_impressions AS impressions, n_clicks AS clicks, n_conversions AS conversions,
  ${ratio('n_clicks', 'n_impressions')} AS click_rate, ${ratio('n_conversions', 'n_clicks')} AS conversion_rate,
  n_rewards AS rewards, ${ratio('n_reward_sum', 'n_rewards')} AS mean_reward, n_revenue AS revenue
FROM (
  SELECT arm, sum(impressions) AS n_impressions, sum(clicks) AS n_clicks, sum(conversions) AS n_conversions,
    sum(rewards) AS n_rewards, sum(reward_sum) AS n_reward_sum, sum(revenue) AS n_revenue
  FROM ${campaignRows}
  GROUP BY arm
)
ORDER BY arm`,
      { span: 24, description: 'Feedback of each arm of the campaign in the range.' },
    ),
    sqlTimeseries(
      'Click rate by arm',
      `SELECT ${msBucket('start')} AS time, arm, ${ratio('sum(clicks)', 'sum(impressions)')} AS click_rate
FROM ${campaignRows}
GROUP BY time, arm
ORDER BY time, arm`,
      { unit: 'percentunit' },
    ),
    sqlTimeseries(
      'Impressions by arm',
      `SELECT ${msBucket('start')} AS time, arm, sum(impressions) AS arm_impressions
FROM ${campaignRows}
GROUP BY time, arm
ORDER BY time, arm`,
      { description: 'How the bandit shares the traffic out over the arms.' },
    ),
    promTimeseries(
      'Feedback events',
      [
        {
          expr: 'sum(rate(pulsewatch_events_in_total{kind="feedback"}[$__rate_interval]))',
          legend: 'feedback accepted',
        },
        {
          expr: 'sum by (status) (rate(pulsewatch_ingest_requests_total{route="feedback"}[$__rate_interval]))',
          legend: 'POST /v1/feedback {{status}}',
        },
      ],
      { unit: 'reqps', description: 'Impressions, clicks, conversions and rewards arriving.' },
    ),
    promTimeseries(
      'Feedback processing lag',
      [
        {
          expr: 'histogram_quantile(0.99, sum by (le) (rate(pulsewatch_processing_lag_seconds_bucket{stage="aggregate-feedback"}[$__rate_interval])))',
          legend: 'p99',
        },
      ],
      { unit: 's', description: 'From ingest to the bandit arms, through stage 2.' },
    ),
    promTimeseries(
      'Decisions',
      [
        {
          expr: 'sum by (outcome) (rate(pulsewatch_campaign_decide_seconds_count[$__rate_interval]))',
          legend: '{{outcome}}',
        },
      ],
      {
        unit: 'reqps',
        description: 'POST /v1/campaigns/:id/decide answered, by outcome (ok or the error code).',
      },
    ),
    promTimeseries(
      'Decide latency',
      [
        {
          expr: 'histogram_quantile(0.99, sum by (le) (rate(pulsewatch_campaign_decide_seconds_bucket{outcome="ok"}[$__rate_interval])))',
          legend: 'p99',
        },
        {
          expr: 'histogram_quantile(0.5, sum by (le) (rate(pulsewatch_campaign_decide_seconds_bucket{outcome="ok"}[$__rate_interval])))',
          legend: 'p50',
        },
      ],
      { unit: 's', description: 'Time in the decide handler; campaign systems wait on it.' },
    ),
    promTimeseries(
      'Rewards',
      [
        {
          expr: 'sum by (outcome) (rate(pulsewatch_campaign_rewards_total[$__rate_interval]))',
          legend: '{{outcome}}',
        },
      ],
      {
        unit: 'reqps',
        description:
          'POST /v1/campaigns/:id/reward by outcome: applied, duplicate (a repeat, applied once), DECISION_EXPIRED (too late) or another error code.',
      },
    ),
  ];
}

export function alertsAndCampaigns(): Dashboard {
  return numbered(
    withSections(
      dashboard(
        'pulsewatch-alerts-campaigns',
        'Pulsewatch: alerts and campaigns',
        'Spike alerts and their delivery; campaign arms and feedback (ClickHouse and Prometheus).',
      )
        .withVariable(
          sqlVariable('alert_brand', 'Alert brands', `SELECT DISTINCT brand FROM ${ALERTS} ORDER BY brand`, {
            multi: true,
            includeAll: true,
          }),
        )
        .withVariable(
          sqlVariable('campaign', 'Campaign', `SELECT DISTINCT campaign FROM ${CAMPAIGNS} ORDER BY campaign`),
        ),
      [
        ['Alerts', alerts()],
        ['Campaigns', campaigns()],
      ],
    ),
  );
}
