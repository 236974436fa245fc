import type { FastifyInstance } from 'fastify';
import { AlertHub, buildApi, LiveHub, type ApiKeys } from '../../api/index.js';
import { DASHBOARD_DIR, VERSION } from '../paths.js';
import { ALERTS_TABLE, alertFromRow, alertOrder, type AlertStateStore } from '../../stream/index.js';
import { alertDelivery, alertStateStore } from './alerts.js';
import { syntheticCampaigns } from './campaigns.js';
import type { RoleContext, RolePart } from './context.js';

/** How far back a starting API process looks for the resolved alerts of its first snapshots. */
const RECENT_RESOLVED_MS = 7 * 86_400_000;

export interface ApiRole extends RolePart {
  app: FastifyInstance;
  /** Starts what runs beside the server once it listens (alert delivery). */
  start(): Promise<void>;
  /** Whether /readyz says ready: set once everything is started, unset when stopping. */
  setReady(ready: boolean): void;
}

/**
 * The HTTP server every process has (health, metrics, docs), with the `api` role's query side:
 * REST history, the live hub and its WebSocket, the live page.
 */
export async function apiRole(
  ctx: RoleContext,
  apiKeys: ApiKeys,
  options: { dashboardDir?: string },
): Promise<ApiRole> {
  const { config, bus, store, brands, metrics, logger } = ctx;
  const hub = ctx.runs('api') ? new LiveHub({ bus, brands }) : undefined;
  hub?.start();
  const alerts = hub && config.operators.includes('spikes') ? new AlertHub({ bus, brands }) : undefined;
  alerts?.start();
  const alertStore = alerts ? alertStateStore(ctx) : undefined;
  // before the server listens: a client's first snapshot lists the open alerts
  if (alerts) await preloadAlerts(ctx, alerts, alertStore);
  let ready = false;
  const app = await buildApi({
    version: VERSION,
    metrics,
    notReady: () => (ready ? null : 'starting'),
    apiKeys,
    metricsPublic: config.metricsPublic,
    allowedOrigins: config.apiAllowedOrigins,
    ...(hub && {
      query: {
        brands,
        store,
        hub,
        windows: config.windows,
        operators: config.operators,
        topicScope: config.topicScope,
        ...(alerts && { alerts }),
        ...(alertStore && { alertActions: (ids: string[]) => alertStore.actions(ids) }),
        ...(ctx.campaigns && { campaigns: ctx.campaigns }),
      },
    }),
    dashboardDir: options.dashboardDir ?? DASHBOARD_DIR,
    wsFlushIntervalMs: config.wsFlushIntervalMs,
    wsMaxBufferedBytes: config.wsMaxBufferedBytes,
    wsMaxStalledMs: config.wsMaxStalledMs,
    wsHeartbeatMs: config.wsHeartbeatMs,
    logger: logger.child({ component: 'api' }),
  });
  const delivery = alertStore ? await alertDelivery(ctx, app, alertStore, alerts) : undefined;
  return {
    app,
    start: async () => {
      await delivery?.start();
      if (hub && ctx.campaigns) {
        await syntheticCampaigns(ctx, ctx.campaigns);
        ctx.campaigns.start();
      }
    },
    setReady(value) {
      ready = value;
    },
    async stop() {
      ready = false;
      await app.close();
      await delivery?.stop();
      await alertStore?.close();
      hub?.stop();
      alerts?.stop();
    },
  };
}

/**
 * The alerts in the store, with what people did to them, into the hub before clients come: a
 * restarted or added API process gives a client's first snapshot the open alerts too. A store that
 * cannot be read leaves the hub to fill from live updates (and says so).
 */
export async function preloadAlerts(
  ctx: Pick<RoleContext, 'store' | 'logger'>,
  hub: AlertHub,
  actionsStore: AlertStateStore | undefined,
  now = Date.now(),
): Promise<void> {
  try {
    // what a snapshot shows: every open alert and the latest resolved ones (of the last week: the
    // whole history is not read for them)
    const since = now - RECENT_RESOLVED_MS;
    const [open, resolved] = await Promise.all([
      ctx.store.read(ALERTS_TABLE, { state: 'open' }),
      ctx.store.read(ALERTS_TABLE, { state: 'resolved', updated_at: { gte: since } }),
    ]);
    const latest = resolved.map(alertFromRow).sort(alertOrder).slice(0, AlertHub.RECENT_RESOLVED);
    const alerts = [...open.map(alertFromRow), ...latest];
    const actions = actionsStore ? await actionsStore.actions(alerts.map((a) => a.id)) : new Map();
    hub.preload(alerts, actions);
  } catch (err) {
    ctx.logger.warn({ err }, 'could not load the stored alerts: the live alerts start empty');
  }
}
