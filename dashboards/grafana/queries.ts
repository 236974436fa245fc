/**
 * The queries a dashboard's JSON holds, for checking them: every panel target (rows' panels too) and
 * every query variable, with the data source each goes to.
 */

export interface DashboardQuery {
  /** Panel title, or `$name` for a variable. */
  where: string;
  datasource: 'clickhouse' | 'prometheus' | 'other';
  /** rawSql or expr. */
  text: string;
}

interface Target {
  datasource?: { type?: string };
  rawSql?: string;
  expr?: string;
}

interface PanelLike {
  title?: string;
  datasource?: { type?: string };
  targets?: Target[];
  panels?: PanelLike[];
}

function kind(type: string | undefined): DashboardQuery['datasource'] {
  if (type === 'grafana-clickhouse-datasource') return 'clickhouse';
  if (type === 'prometheus') return 'prometheus';
  return 'other';
}

function fromTarget(where: string, t: Target, panelType?: string): DashboardQuery {
  return {
    where,
    datasource: kind(t.datasource?.type ?? panelType),
    text: t.rawSql ?? t.expr ?? '',
  };
}

interface DashboardLike {
  panels?: PanelLike[];
  templating?: { list?: { name?: string; type?: string; datasource?: { type?: string }; query?: unknown }[] };
}

/** The queries of a dashboard (built by the SDK, or parsed from its JSON). */
export function dashboardQueries(built: object): DashboardQuery[] {
  const dashboard = built as DashboardLike;
  const out: DashboardQuery[] = [];
  const visit = (panels: PanelLike[] = []) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push(fromTarget(p.title ?? '?', t, p.datasource?.type));
      visit(p.panels);
    }
  };
  visit(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = v.query;
    const target: Target = typeof q === 'string' ? { expr: q } : ((q ?? {}) as Target);
    out.push(fromTarget(`$${v.name ?? '?'}`, target, v.datasource?.type));
  }
  return out;
}
