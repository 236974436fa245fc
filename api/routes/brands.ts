import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PipelineError, type Store, type WindowSpec } from '../../stream/index.js';
import type { BrandDirectory } from '../brands.js';
import type { LiveHub } from '../live-hub.js';
import { parseTimestamp } from '../../ingest/replay/timestamps.js';

export interface BrandRoutesOptions {
  brands: BrandDirectory;
  store: Store;
  hub: LiveHub;
  windows: WindowSpec[];
  /** Most windows one metrics query may return. */
  maxWindowsPerQuery: number;
  now?: () => number;
}

const Brand = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('own'), Type.Literal('competitor')]),
  aliases: Type.Array(Type.String()),
  handles: Type.Array(Type.String()),
});

export const WindowAggregateSchema = Type.Object({
  brand: Type.String(),
  window: Type.String(),
  start: Type.Integer({ description: 'Window start, ms since the epoch' }),
  end: Type.Integer(),
  posts: Type.Integer(),
  positive: Type.Integer(),
  neutral: Type.Integer(),
  negative: Type.Integer(),
  unsupported: Type.Integer({ description: 'Posts in a language the sentiment models do not support' }),
  sentiment_sum: Type.Number(),
  sentiment_mean: Type.Union([Type.Number(), Type.Null()]),
  likes: Type.Integer(),
  shares: Type.Integer(),
  replies: Type.Integer(),
  authors: Type.Integer({ description: 'Distinct authors (exact)' }),
  final: Type.Boolean({ description: 'The window is closed and will not change' }),
});

export const TimeParam = Type.String({
  description: 'ms since the epoch, or an ISO 8601 date or date-time (UTC when it has no offset)',
  maxLength: 40,
});

export const ErrorReply = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), retryable: Type.Boolean() }),
});

/** Parses a time parameter; undefined when absent, NaN when invalid. */
export function parseTime(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^\d{1,16}$/.test(v)) return Number(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return NaN;
  // Not Date.parse: it reads a time without an offset in the server's time zone and rolls 02-30 over to March.
  return parseTimestamp(v) ?? NaN;
}

export const brandRoutes: FastifyPluginAsyncTypebox<BrandRoutesOptions> = async (app, o) => {
  const now = o.now ?? Date.now;
  const windowNames = o.windows.map((w) => w.name);

  app.get(
    '/v1/brands',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Configured brands',
        tags: ['brands'],
        response: { 200: Type.Object({ brands: Type.Array(Brand) }) },
      },
    },
    async () => ({ brands: o.brands.list }),
  );

  app.get(
    '/v1/brands/:brand/metrics',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Window aggregates of one brand over a time range',
        description: `Windows whose start lies in [from, to). Defaults: to = now, from = 60 windows before to. Windows: ${windowNames.join(', ')}.`,
        tags: ['brands'],
        params: Type.Object({ brand: Type.String({ description: 'Brand id or name', maxLength: 200 }) }),
        querystring: Type.Object({
          window: Type.Optional(Type.String({ default: windowNames[0], maxLength: 8 })),
          from: Type.Optional(TimeParam),
          to: Type.Optional(TimeParam),
        }),
        response: {
          200: Type.Object({
            brand: Type.String(),
            name: Type.String(),
            window: Type.String(),
            from: Type.Integer(),
            to: Type.Integer(),
            windows: Type.Array(WindowAggregateSchema),
          }),
          400: ErrorReply,
          404: ErrorReply,
        },
      },
    },
    async (req) => {
      const brand = o.brands.find(req.params.brand);
      if (!brand)
        throw new PipelineError('UNKNOWN_BRAND', `unknown brand "${req.params.brand}"; see GET /v1/brands`);
      const windowName = req.query.window ?? windowNames[0]!;
      const spec = o.windows.find((w) => w.name === windowName);
      if (!spec)
        throw new PipelineError(
          'INVALID_WINDOW',
          `unknown window "${windowName}"; use one of ${windowNames.join(', ')}`,
        );
      const to = parseTime(req.query.to) ?? now();
      const from = parseTime(req.query.from) ?? to - 60 * spec.sizeMs;
      if (!Number.isFinite(from) || !Number.isFinite(to))
        throw new PipelineError(
          'INVALID_RANGE',
          'from and to must be ms since the epoch or ISO 8601 date-times',
        );
      if (from >= to) throw new PipelineError('INVALID_RANGE', 'from must be before to');
      if ((to - from) / spec.sizeMs > o.maxWindowsPerQuery)
        throw new PipelineError(
          'INVALID_RANGE',
          `at most ${o.maxWindowsPerQuery} windows per query; narrow the range or use a larger window`,
        );
      const windows = await o.store.query({ brand: brand.name, window: spec.name, from, to });
      return { brand: brand.id, name: brand.name, window: spec.name, from, to, windows };
    },
  );

  app.get(
    '/v1/live',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'The latest windows of every brand, as the WebSocket carries them',
        tags: ['brands'],
        response: {
          200: Type.Object({
            ts: Type.Integer(),
            brands: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                kind: Type.String(),
                windows: Type.Array(WindowAggregateSchema),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      ts: now(),
      brands: o.brands.list.map((b) => ({
        id: b.id,
        name: b.name,
        kind: b.kind,
        windows: o.hub.snapshot(`brand:${b.id}`),
      })),
    }),
  );
};
