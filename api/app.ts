import { AjvCompiler } from '@fastify/ajv-compiler';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { CampaignService, Store, WindowSpec } from '../stream/index.js';
import { AnalyticsHub } from './analytics-hub.js';
import { CampaignHub } from './campaign-hub.js';
import type { BrandDirectory } from './brands.js';
import { codeOf, installErrorHandlers, sendError } from './errors.js';
import { ApiKeys } from './keys.js';
import type { LiveHub } from './live-hub.js';
import { authPlugin, requestLogFields } from './plugins/auth.js';
import { dashboardPlugin } from './plugins/dashboard.js';
import type { Metrics } from './plugins/metrics.js';
import { openapiPlugin } from './plugins/openapi.js';
import { originPlugin } from './plugins/origin.js';
import { websocketPlugin } from './plugins/websocket.js';
import type { AlertHub } from './alert-hub.js';
import { activityRoutes } from './routes/activity.js';
import { ANALYTICS_OPERATORS, analyticsRoutes } from './routes/analytics.js';
import { alertRoutes, type AlertRoutesOptions } from './routes/alerts.js';
import { brandRoutes } from './routes/brands.js';
import { campaignRoutes } from './routes/campaigns.js';
import { healthRoutes } from './routes/health.js';

/** What the query side needs: without it the server has health, metrics and docs only (worker roles). */
export interface QueryOptions {
  brands: BrandDirectory;
  store: Store;
  hub: LiveHub;
  windows: WindowSpec[];
  /** The analyses stage 2 runs (`--operators`): the routes of each are served. Default: all. */
  operators?: readonly string[];
  /** Live alerts for the WebSocket channels `alerts` and `alerts:<brand id>` (spike alerts on). */
  alerts?: AlertHub;
  /** Manual actions on alerts, shown by GET /v1/alerts. */
  alertActions?: AlertRoutesOptions['actions'];
  /** Campaign decisions (`campaigns` operator on): the campaign routes and WebSocket channels. */
  campaigns?: CampaignService;
  /** `--topic-scope`: `global` serves the global topic model on every brand's topics route and channel. */
  topicScope?: 'brand' | 'global';
}

export interface ApiOptions {
  version: string;
  metrics: Metrics;
  notReady: () => string | null;
  /** The API keys; with none (the default) every route is open. */
  apiKeys?: ApiKeys;
  /**
   * Origins of web pages served besides the API's own page (normalized, `scheme://host[:port]`);
   * browser requests from any other origin are refused with 403 `CROSS_ORIGIN`.
   */
  allowedOrigins?: readonly string[];
  /** `/metrics` without a key; otherwise it needs scope `admin` (when keys are configured). */
  metricsPublic?: boolean;
  query?: QueryOptions;
  /** Folder of the live page; no page when absent. */
  dashboardDir?: string;
  wsFlushIntervalMs?: number;
  wsMaxBufferedBytes?: number;
  /** A client over the byte limit for longer than this is closed with 1013. */
  wsMaxStalledMs?: number;
  /** Heartbeat ping interval of WebSocket clients; 0: none. */
  wsHeartbeatMs?: number;
  maxWindowsPerQuery?: number;
  /** A pino logger; none when absent. */
  logger?: FastifyBaseLogger;
  now?: () => number;
}

/**
 * The HTTP API. Connectors that take HTTP (the NDJSON ingest) register their own plugin on the
 * returned instance before it listens.
 */
export async function buildApi(o: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    schemaController: { compilersFactory: { buildValidator: strictBodies } },
    // errors Fastify answers before routing (a malformed %-escape in the URL, a path parameter over
    // the length limit) get the API's error body too, not Fastify's own
    frameworkErrors: (err, req, reply) => {
      const badUrl = err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const code = badUrl ? 'BAD_REQUEST' : codeOf(err);
      o.metrics.httpErrors.inc({ code });
      if (code === 'INTERNAL') req.log.error({ err }, 'request failed');
      const message = badUrl
        ? `the URL is malformed: ${err.message}`
        : code === 'INTERNAL'
          ? undefined
          : err.message;
      return sendError(reply, code, message);
    },
    // keys sent in a WebSocket URL stay out of the request logs
    ...(o.logger
      ? { loggerInstance: o.logger.child({}, { serializers: { req: requestLogFields } }) }
      : { logger: false }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandlers(app, (code) => o.metrics.httpErrors.inc({ code }));
  // before the keys: another web site's request is refused whatever it sends
  await app.register(originPlugin, { allowedOrigins: o.allowedOrigins ?? [] });
  // first, so that it sees every route that follows (and refuses one without a scope)
  await app.register(authPlugin, { keys: o.apiKeys ?? new ApiKeys(), publicPrefixes: ['/docs'] });
  await app.register(openapiPlugin, { version: o.version });
  await app.register(healthRoutes, {
    metrics: o.metrics,
    notReady: o.notReady,
    metricsScope: o.metricsPublic ? 'public' : 'admin',
  });
  if (!o.query) return app;
  await app.register(brandRoutes, {
    ...o.query,
    maxWindowsPerQuery: o.maxWindowsPerQuery ?? 10_000,
    ...(o.now && { now: o.now }),
  });
  if (o.query.operators?.includes('activity') ?? true)
    await app.register(activityRoutes, { brands: o.query.brands, store: o.query.store });
  if (o.query.operators?.includes('spikes') ?? true)
    await app.register(alertRoutes, {
      brands: o.query.brands,
      store: o.query.store,
      ...(o.query.alertActions && { actions: o.query.alertActions }),
    });
  const operators = o.query.operators ?? ANALYTICS_OPERATORS;
  const analyticsOn = ANALYTICS_OPERATORS.some((name) => operators.includes(name));
  if (analyticsOn)
    await app.register(analyticsRoutes, {
      brands: o.query.brands,
      store: o.query.store,
      operators,
      ...(o.query.topicScope && { topicScope: o.query.topicScope }),
      ...(o.now && { now: o.now }),
    });
  const hub = o.query.hub;
  const analyticsHub = analyticsOn
    ? new AnalyticsHub({
        store: o.query.store,
        brands: o.query.brands,
        operators,
        ...(o.query.topicScope && { topicScope: o.query.topicScope }),
        intervalMs: Math.max(o.wsFlushIntervalMs ?? 250, 1000),
        ...(o.now && { now: o.now }),
        eventTime: () => hub.eventTime,
        onError: (err) => app.log.warn({ err }, 'analytics not read; retrying'),
      })
    : undefined;
  if (analyticsHub) app.addHook('onClose', async () => analyticsHub.stop());
  const campaigns = o.query.campaigns;
  const campaignHub = campaigns
    ? new CampaignHub(campaigns, o.wsFlushIntervalMs ?? 250, (err) =>
        app.log.warn({ err }, 'campaign statistics not read; retrying'),
      )
    : undefined;
  if (campaigns) {
    await app.register(campaignRoutes, {
      campaigns,
      ...((o.query.operators?.includes('campaigns') ?? true) && { store: o.query.store }),
      ...(o.now && { now: o.now }),
      metrics: o.metrics,
    });
    app.addHook('onClose', async () => campaignHub?.stop());
  }
  await app.register(websocketPlugin, {
    ...(o.query.alerts && { alerts: o.query.alerts }),
    ...(campaignHub && { campaigns: campaignHub }),
    ...(analyticsHub && { analytics: analyticsHub }),
    hub: o.query.hub,
    metrics: o.metrics,
    flushIntervalMs: o.wsFlushIntervalMs ?? 250,
    maxBufferedBytes: o.wsMaxBufferedBytes ?? 1024 * 1024,
    ...(o.wsMaxStalledMs !== undefined && { maxStalledMs: o.wsMaxStalledMs }),
    ...(o.wsHeartbeatMs !== undefined && { heartbeatMs: o.wsHeartbeatMs }),
  });
  if (o.dashboardDir) await app.register(dashboardPlugin, { dir: o.dashboardDir });
  return app;
}

const ajvCompilers = AjvCompiler();

/**
 * Fastify's validators, with one change: a JSON body is taken as sent, not coerced. Coercion makes
 * sense for the query string and the path (all text), but in a body it turned `{"value": null}`,
 * `true`, `"1"` or `[1]` into a reward of 0 or 1, which then took the decision's one reward.
 */
function strictBodies(
  externalSchemas: Parameters<typeof ajvCompilers>[0],
  options: Parameters<typeof ajvCompilers>[1] = {},
): ReturnType<typeof ajvCompilers> {
  const coercing = ajvCompilers(externalSchemas, options);
  const strict = ajvCompilers(externalSchemas, {
    ...options,
    customOptions: { ...options.customOptions, coerceTypes: false },
  } as Parameters<typeof ajvCompilers>[1]);
  return (route) => (route.httpPart === 'body' ? strict : coercing)(route);
}
