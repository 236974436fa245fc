import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { PipelineError } from '../../stream/index.js';
import {
  grants,
  isScope,
  presentedKey,
  SCOPES,
  type ApiKeyIdentity,
  type ApiKeys,
  type Scope,
} from '../keys.js';

/** What a route needs: a scope, or nothing at all (`public`). */
export type RouteAccess = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares it; a route without one stops the server at start. */
    scope?: RouteAccess;
    /**
     * The key may also come as `?api_key=` or `?access_token=`, for browsers, which cannot set
     * headers on a WebSocket. Such URLs end up in proxy logs, so only routes that need it say so.
     */
    keyInQuery?: boolean;
  }
  interface FastifyRequest {
    /** The key the request presented, once the auth plugin has found it; null when none was needed. */
    apiKey: ApiKeyIdentity | null;
  }
  interface FastifyInstance {
    /** Every route with what it needs (HEAD routes and `publicPrefixes` left out), for docs and tests. */
    routeScopes: { method: string; url: string; scope: RouteAccess }[];
  }
}

export interface AuthOptions {
  keys: ApiKeys;
  /** Routes of third-party plugins that declare no scope and are public (the OpenAPI explorer). */
  publicPrefixes?: string[];
}

const QUERY_KEYS = ['api_key', 'access_token'];

/**
 * Scoped API keys on every route. Each route declares `config: { scope }`; registering one that
 * does not fails at start, so no route is left open by mistake. An `onRequest` hook then checks
 * the key before the body is read: 401 UNAUTHORIZED without a valid key, 403 FORBIDDEN when the
 * key lacks the scope (`admin` has every scope). With no key configured every route is open.
 */
export const authPlugin = fp(
  async (app, o: AuthOptions) => {
    const publicPrefixes = o.publicPrefixes ?? [];
    const routeScopes: { method: string; url: string; scope: RouteAccess }[] = [];
    app.decorate('routeScopes', routeScopes);
    app.decorateRequest('apiKey', null);

    app.addHook('onRoute', (route: RouteOptions) => {
      const scope = route.config?.scope;
      if (scope === undefined && publicPrefixes.some((p) => route.url.startsWith(p))) return;
      if (scope === undefined || (scope !== 'public' && !isScope(scope)))
        throw new Error(
          `route ${String(route.method)} ${route.url} declares ${scope === undefined ? 'no scope' : `an unknown scope "${String(scope)}"`}: ` +
            `add config: { scope: ${[...SCOPES, 'public'].map((s) => `'${s}'`).join(' | ')} }`,
        );
      if (route.method === 'HEAD') return;
      routeScopes.push({ method: String(route.method), url: route.url, scope });
      if (scope !== 'public' && route.schema && !route.schema.hide)
        route.schema = {
          ...route.schema,
          description:
            `${route.schema.description ?? ''}\n\nNeeds an API key with scope \`${scope}\` (or \`admin\`) when keys are configured.`.trim(),
          security: [{ bearer: [] }, { apiKey: [] }],
        };
    });

    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const { scope, keyInQuery } = req.routeOptions.config;
      // the not-found handler has no scope: a 404 needs no key
      if (scope === undefined || scope === 'public' || o.keys.size === 0) return;
      const key = presentedKey(req.headers) ?? (keyInQuery ? queryKey(req.query) : undefined);
      const identity = key === undefined ? undefined : o.keys.find(key);
      if (identity === undefined) {
        const problem = key === undefined ? 'no API key' : 'an unknown API key';
        req.log.warn({ ip: req.ip, url: redactUrl(req.url) }, `request refused: ${problem}`);
        reply.header(
          'www-authenticate',
          key === undefined
            ? 'Bearer realm="pulsewatch"'
            : 'Bearer realm="pulsewatch", error="invalid_token"',
        );
        closeRefusedUpgrade(req, reply);
        const where = keyInQuery ? ', or ?api_key=<key> in the URL' : '';
        throw new PipelineError(
          'UNAUTHORIZED',
          `${problem}: send "Authorization: Bearer <key>" or "X-API-Key: <key>"${where}`,
        );
      }
      req.apiKey = identity;
      req.log = req.log.child({ apiKey: identity.name });
      if (!grants(identity.scopes, scope)) {
        req.log.warn({ url: redactUrl(req.url), scope }, 'request refused: the key lacks the scope');
        reply.header(
          'www-authenticate',
          `Bearer realm="pulsewatch", error="insufficient_scope", scope="${scope}"`,
        );
        closeRefusedUpgrade(req, reply);
        throw new PipelineError(
          'FORBIDDEN',
          `the API key "${identity.name}" has scope ${identity.scopes.join(', ')}; this route needs ${scope} (or admin)`,
        );
      }
    });
  },
  { name: 'pulsewatch-auth' },
);

function queryKey(query: unknown): string | undefined {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const name of QUERY_KEYS) {
    const v = q[name];
    const key = Array.isArray(v) ? v[0] : v;
    if (typeof key === 'string' && key !== '') return key;
  }
  return undefined;
}

/**
 * A refused WebSocket upgrade gets its HTTP error reply on the raw socket, which no HTTP server
 * owns any more: close it once the reply is out, so the client cannot hold it open.
 */
export function closeRefusedUpgrade(req: FastifyRequest, reply: FastifyReply): void {
  if (req.headers.upgrade === undefined) return;
  reply.header('connection', 'close');
  reply.raw.once('finish', () => req.raw.socket.destroySoon());
}

/** The URL with the values of `?api_key=` and `?access_token=` replaced, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:api_key|access_token)=)[^&#]*/gi, '$1[redacted]');
}

/** Fastify's request log fields, with keys in the query redacted. */
export function requestLogFields(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
