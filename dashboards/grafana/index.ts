import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { alertsAndCampaigns } from './alerts-campaigns.js';
import { brandHealth } from './brand-health.js';
import { pipelineHealth } from './pipeline-health.js';

/** Every dashboard, by the name of its JSON file in dashboards/grafana/. */
export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  'brand-health': brandHealth,
  'pipeline-health': pipelineHealth,
  'alerts-campaigns': alertsAndCampaigns,
};

export { renderDashboard, dashboardsDir } from './render.js';
export { dashboardQueries, type DashboardQuery } from './queries.js';
export { CLICKHOUSE, PROMETHEUS } from './shared.js';
