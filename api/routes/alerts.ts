import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  ALERTS_TABLE,
  alertOrder,
  alertFromRow,
  PipelineError,
  SEVERITIES,
  type AlertActions,
  type ColumnRange,
  type Store,
  withActions,
} from '../../stream/index.js';
import type { BrandDirectory } from '../brands.js';
import { ErrorReply, parseTime, TimeParam } from './brands.js';

export type { AlertActions };

export interface AlertRoutesOptions {
  brands: BrandDirectory;
  store: Store;
  /** The manual actions of these alerts, by id; none when absent. */
  actions?: (ids: string[]) => Promise<Map<string, AlertActions>>;
}

export const Kind = Type.Union([
  Type.Literal('negative_share'),
  Type.Literal('negative_count'),
  Type.Literal('volume'),
]);
export const Severity = Type.Union([
  Type.Literal('low'),
  Type.Literal('medium'),
  Type.Literal('high'),
  Type.Literal('critical'),
]);

const Sample = Type.Object({
  id: Type.String(),
  source: Type.String(),
  ts: Type.Integer(),
  text: Type.String(),
});

export const AlertSchema = Type.Object({
  id: Type.String({ description: 'brand:kind:start of the opening window (ms); the same after a replay' }),
  brand: Type.String(),
  kind: Kind,
  state: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  update: Type.Integer({ description: '0 when opened, +1 on every change' }),
  severity: Severity,
  opened_at: Type.Integer({ description: 'Start of the first spiking window, ms (event time)' }),
  updated_at: Type.Integer(),
  resolved_at: Type.Union([Type.Integer(), Type.Null()]),
  window_ms: Type.Integer(),
  observed: Type.Number({ description: 'The latest window: a share (negative_share) or a count' }),
  baseline: Type.Number({ description: 'What the baseline expected for that window' }),
  peak: Type.Number(),
  score: Type.Number({ description: 'Robust standard deviations above the baseline' }),
  posts: Type.Integer(),
  negative: Type.Integer(),
  top_terms: Type.Array(Type.String()),
  samples: Type.Array(Sample),
  acked_at: Type.Optional(Type.Integer()),
  acked_by: Type.Optional(Type.String()),
  resolved_by_hand_at: Type.Optional(Type.Integer()),
  resolved_by: Type.Optional(Type.String()),
});

/** A time parameter, ms; undefined when absent; INVALID_RANGE when it is not a time. */
export function timeParam(v: string | undefined): number | undefined {
  const n = parseTime(v);
  if (n !== undefined && !Number.isFinite(n))
    throw new PipelineError('INVALID_RANGE', 'from and to must be ms since the epoch or ISO 8601');
  return n;
}

/** `GET /v1/alerts`: alert history from the store, newest first, open ones first. */
export const alertRoutes: FastifyPluginAsyncTypebox<AlertRoutesOptions> = async (app, o) => {
  app.get(
    '/v1/alerts',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Spike alerts, open ones first, then newest first',
        description:
          'Filters combine. `from`/`to` select alerts whose opened_at lies in [from, to). Each alert carries its window, baseline, observed values, top negative terms and sample posts, and what people did to it by hand.',
        tags: ['alerts'],
        querystring: Type.Object({
          brand: Type.Optional(Type.String({ description: 'Brand id or name', maxLength: 200 })),
          kind: Type.Optional(Kind),
          state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])),
          min_severity: Type.Optional(Severity),
          from: Type.Optional(TimeParam),
          to: Type.Optional(TimeParam),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: { 200: Type.Object({ alerts: Type.Array(AlertSchema) }), 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (req) => {
      const q = req.query;
      const where: Record<string, string | ColumnRange> = {};
      if (q.brand !== undefined) {
        const b = o.brands.find(q.brand);
        if (!b) throw new PipelineError('UNKNOWN_BRAND', `unknown brand "${q.brand}"; see GET /v1/brands`);
        where.brand = b.name;
      }
      if (q.kind) where.kind = q.kind;
      if (q.state) where.state = q.state;
      const from = timeParam(q.from) ?? Number.NEGATIVE_INFINITY;
      const to = timeParam(q.to) ?? Number.POSITIVE_INFINITY;
      // the store selects the range (an alert's opened_at never changes), not this process
      if (q.from !== undefined || q.to !== undefined)
        where.opened_at = {
          ...(Number.isFinite(from) && { gte: from }),
          ...(Number.isFinite(to) && { lt: to }),
        };
      const minRank = q.min_severity ? SEVERITIES.indexOf(q.min_severity) : 0;
      const alerts = (await o.store.read(ALERTS_TABLE, where))
        .map(alertFromRow)
        .filter((a) => a.opened_at >= from && a.opened_at < to && SEVERITIES.indexOf(a.severity) >= minRank)
        .sort(alertOrder)
        .slice(0, q.limit ?? 100);
      const actions = o.actions ? await o.actions(alerts.map((a) => a.id)) : new Map<string, AlertActions>();
      return { alerts: alerts.map((a) => withActions(a, actions.get(a.id))) };
    },
  );
};
