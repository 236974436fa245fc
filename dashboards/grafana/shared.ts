import * as common from '@grafana/grafana-foundation-sdk/common';
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type DataSourceRef,
  type Panel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder as PromQuery, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { ClickHouseQueryBuilder, type ClickHouseQueryType } from './clickhouse-query.js';

/**
 * What every dashboard shares: the two data sources (their uids are the ones
 * deploy/grafana/provisioning/datasources/pulsewatch.yaml gives them), panel builders for SQL and
 * PromQL panels, and the SQL pieces that read the versioned tables exactly.
 */

export const CLICKHOUSE: DataSourceRef = {
  type: 'grafana-clickhouse-datasource',
  uid: 'pulsewatch-clickhouse',
};
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'pulsewatch-prometheus' };

/** A dashboard with the settings all three share: UTC (the tables' hours of the week are UTC), shared crosshair. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['pulsewatch', 'generated'])
    .editable()
    .timezone('utc')
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s');
}

/** Rows of panels, in order: each section a row with its title, then its panels. */
export function withSections(
  builder: DashboardBuilder,
  sections: readonly [title: string, panels: Builder<Panel>[]][],
): DashboardBuilder {
  for (const [title, panels] of sections) {
    builder.withRow(new RowBuilder(title));
    for (const panel of panels) builder.withPanel(panel);
  }
  return builder;
}

/** A built dashboard with the panels' `id`s numbered in order (Grafana wants them unique). */
export function numbered(builder: DashboardBuilder): Dashboard {
  const d = builder.build();
  let id = 1;
  for (const panel of d.panels ?? []) {
    panel.id = id++;
    for (const inner of 'panels' in panel ? (panel.panels ?? []) : []) inner.id = id++;
  }
  return d;
}

export interface PanelOptions {
  description?: string;
  unit?: string;
  /** Grid columns of 24. Default 12. */
  span?: number;
  /** Grid rows. Default 8. */
  height?: number;
  decimals?: number;
}

type AnyPanel = TimeseriesBuilder | TableBuilder | StatBuilder | HeatmapBuilder;

function withOptions<P extends AnyPanel>(panel: P, title: string, o: PanelOptions): P {
  panel
    .title(title)
    .span(o.span ?? 12)
    .height(o.height ?? 8);
  if (o.description) panel.description(o.description);
  if (o.unit) panel.unit(o.unit);
  if (o.decimals !== undefined) panel.decimals(o.decimals);
  return panel;
}

const REF_IDS = 'ABCDEFGHIJ';

function withTargets<P extends AnyPanel>(
  panel: P,
  datasource: DataSourceRef,
  targets: Builder<Dataquery>[],
): P {
  panel.datasource(datasource);
  for (const t of targets) panel.withTarget(t);
  return panel;
}

function sqlTarget(sql: string, queryType: ClickHouseQueryType, refId = 'A'): ClickHouseQueryBuilder {
  return new ClickHouseQueryBuilder(CLICKHOUSE, sql, queryType).refId(refId);
}

/** A time series from one SQL query: a DateTime column `time`, a string column per series label, numbers. */
export function sqlTimeseries(title: string, sql: string, o: PanelOptions = {}): TimeseriesBuilder {
  return withTargets(withOptions(new TimeseriesBuilder(), title, o), CLICKHOUSE, [
    sqlTarget(sql, 'timeseries'),
  ]).fillOpacity(10);
}

/** A table from one SQL query. */
export function sqlTable(title: string, sql: string, o: PanelOptions = {}): TableBuilder {
  return withTargets(withOptions(new TableBuilder(), title, o), CLICKHOUSE, [sqlTarget(sql, 'table')]);
}

/** Big numbers from one SQL query of one row (each column a stat). */
export function sqlStat(title: string, sql: string, o: PanelOptions = {}): StatBuilder {
  return statOf(title, CLICKHOUSE, [sqlTarget(sql, 'table')], o);
}

/** A stat panel showing each series' last value (of the range for PromQL, the one row for SQL). */
function statOf(title: string, datasource: DataSourceRef, targets: Builder<Dataquery>[], o: PanelOptions) {
  return withTargets(withOptions(new StatBuilder(), title, { span: 6, height: 4, ...o }), datasource, targets)
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(false).calcs(['lastNotNull']))
    .graphMode(common.BigValueGraphMode.None);
}

export interface PromSeries {
  expr: string;
  legend: string;
}

function promTargets(series: readonly PromSeries[], format?: PromQueryFormat): PromQuery[] {
  return series.map((s, i) => {
    const q = new PromQuery()
      .datasource(PROMETHEUS)
      .expr(s.expr)
      .legendFormat(s.legend)
      .range()
      .refId(REF_IDS[i] ?? `Q${i}`);
    return format ? q.format(format) : q;
  });
}

/** A time series of PromQL expressions. */
export function promTimeseries(title: string, series: PromSeries[], o: PanelOptions = {}): TimeseriesBuilder {
  return withTargets(
    withOptions(new TimeseriesBuilder(), title, o),
    PROMETHEUS,
    promTargets(series),
  ).fillOpacity(10);
}

/** One big number of a PromQL expression: its latest value. */
export function promStat(title: string, series: PromSeries[], o: PanelOptions = {}): StatBuilder {
  return statOf(title, PROMETHEUS, promTargets(series), o);
}

/** A Prometheus histogram's buckets as a heatmap (`..._bucket` rates summed by `le`). */
export function promHeatmap(title: string, series: PromSeries[], o: PanelOptions = {}): HeatmapBuilder {
  return withTargets(
    withOptions(new HeatmapBuilder(), title, o),
    PROMETHEUS,
    promTargets(series, PromQueryFormat.Heatmap),
  ).calculate(false);
}

/** A template variable whose values a ClickHouse query gives. */
export function sqlVariable(
  name: string,
  label: string,
  sql: string,
  o: { multi?: boolean; includeAll?: boolean } = {},
): QueryVariableBuilder {
  const v = new QueryVariableBuilder(name)
    .label(label)
    .datasource(CLICKHOUSE)
    .query(sqlTarget(sql, 'table').build() as unknown as Record<string, unknown>)
    .definition(sql)
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc);
  if (o.multi) v.multi(true);
  if (o.includeAll) v.includeAll(true);
  return v;
}

// ---- SQL pieces -------------------------------------------------------------------------------

/**
 * A single-value variable as a ClickHouse string literal. Grafana's `sqlstring` format quotes the
 * value and doubles its quotes; a multi-value variable becomes a quoted, comma-separated list.
 */
export const text = (variable: string): string => `\${${variable}:sqlstring}`;

/** The dashboard range (Grafana's `$__from`/`$__to`, ms since the epoch) on an Int64 ms column. */
export const msRange = (column: string): string => `${column} >= $__from AND ${column} < $__to`;

/** A ms column as the start of its panel interval (DateTime; 18.16 has no toStartOfInterval). */
export const msBucket = (column: string): string =>
  `toDateTime(intDiv(${column}, $__interval_s * 1000) * $__interval_s)`;

/** A DateTime column as the start of its panel interval. */
export const timeBucket = (column: string): string =>
  `toDateTime(intDiv(toUInt32(${column}), $__interval_s) * $__interval_s)`;

/** a / b as Float64, NULL when b is not above 0. */
export const ratio = (a: string, b: string): string => `if(${b} > 0, ${a} / ${b}, NULL)`;

/**
 * The FROM and WHERE of the rows a stream/analytics reader adds up (read-common.ts `settledRows`):
 * the latest version of each row (FINAL), of the window size written last (the size of the row with
 * the highest version), and per group, partition and window start only the rows of the highest
 * `final` there (a final row set replaces the update rows of its window, which may name a term or
 * author it no longer holds), and with `whole` only the rows of the latest write of those.
 * `where` selects the rows as the reader's store.read does.
 */
export function settledFrom(
  table: string,
  where: string,
  group: readonly string[] = [],
  options: { whole?: boolean } = {},
): string {
  const key = [...group, '`partition`', 'start'].join(', ');
  // With `whole` (a window's whole list written each time: trends, influencers), only the latest
  // write: the highest final, then the highest version of it, as one number (versions stay below 1e18).
  const latest = options.whole ? 'toUInt64(`final`) * 1000000000000000000 + version' : '`final`';
  return `${table} FINAL
WHERE ${where}
  AND size_ms = (SELECT argMax(size_ms, version) FROM ${table} FINAL WHERE ${where})
  AND (${key}, ${latest}) IN (
    SELECT ${key}, max(${latest}) FROM ${table} FINAL WHERE ${where} GROUP BY ${key}
  )`;
}
