import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/**
 * A query of the grafana-clickhouse-datasource plugin (v4) in its SQL editor. The foundation SDK has
 * no type for this plugin, so this is the plugin's query model as a cog Dataquery variant.
 */
export interface ClickHouseQuery {
  refId?: string;
  hide?: boolean;
  datasource: DataSourceRef;
  /** Always `sql`: the dashboards are written as SQL, not with the plugin's query builder. */
  editorType: 'sql';
  /** How the plugin shapes the result (its QueryType). */
  queryType: ClickHouseQueryType;
  /** The backend's result format (grafana-plugin-sdk-go sqlutil): 0 time series, 1 table. */
  format: ClickHouseFormat;
  rawSql: string;
  _implementsDataqueryVariant(): void;
}

export type ClickHouseQueryType = 'timeseries' | 'table';

export const ClickHouseFormat = { TimeSeries: 0, Table: 1 } as const;
export type ClickHouseFormat = (typeof ClickHouseFormat)[keyof typeof ClickHouseFormat];

const FORMAT_OF: Record<ClickHouseQueryType, ClickHouseFormat> = {
  timeseries: ClickHouseFormat.TimeSeries,
  table: ClickHouseFormat.Table,
};

export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(datasource: DataSourceRef, rawSql: string, queryType: ClickHouseQueryType = 'table') {
    this.internal = {
      datasource,
      editorType: 'sql',
      queryType,
      format: FORMAT_OF[queryType],
      rawSql,
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }
}
