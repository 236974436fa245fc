import type { FastifyPluginAsync } from 'fastify';
import { PipelineError } from '../../stream/index.js';
import type { RouteAccess } from '../plugins/auth.js';
import type { Metrics } from '../plugins/metrics.js';

export interface HealthOptions {
  metrics: Metrics;
  /** Null when ready, otherwise what is not. */
  notReady: () => string | null;
  /** `admin`, or `public` with `--metrics-public` (a scraper without a key). */
  metricsScope: RouteAccess;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, o) => {
  app.get(
    '/healthz',
    { config: { scope: 'public' }, schema: { summary: 'Liveness: the process serves HTTP', tags: ['ops'] } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: { summary: 'Readiness: the pipeline runs and the bus is connected', tags: ['ops'] },
    },
    async () => {
      const why = o.notReady();
      if (why !== null) throw new PipelineError('NOT_READY', why);
      return { status: 'ready' };
    },
  );
  app.get(
    '/metrics',
    { config: { scope: o.metricsScope }, schema: { summary: 'Prometheus metrics', tags: ['ops'] } },
    async (_req, reply) => {
      reply.header('content-type', o.metrics.registry.contentType);
      return o.metrics.registry.metrics();
    },
  );
};
