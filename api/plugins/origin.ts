import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import fp from 'fastify-plugin';
import { PipelineError } from '../../stream/index.js';
import { closeRefusedUpgrade, redactUrl } from './auth.js';

export interface OriginOptions {
  /**
   * Origins (`scheme://host[:port]`) of web pages allowed besides the API's own, as
   * `normalizeOrigin` gives them: e.g. the public address of a reverse proxy that rewrites `Host`.
   */
  allowedOrigins?: readonly string[];
}

/**
 * The origin `scheme://host[:port]` of `value`, lower case and without a default port; throws a
 * RangeError for anything else (a path, a query, credentials, a scheme other than http or https).
 */
export function normalizeOrigin(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new RangeError(`not an origin: "${value}"; expected scheme://host[:port]`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new RangeError(`not an http or https origin: "${value}"`);
  if (u.pathname !== '/' || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '')
    throw new RangeError(`"${value}" is more than an origin; expected scheme://host[:port], no path`);
  return u.origin;
}

/**
 * Why a browser request from another web site is refused, or undefined when it is not one.
 *
 * - With an `Origin` header (browsers send it on every POST and every WebSocket, and on cross-origin
 *   requests), it must name the host and port the request was sent to (its `Host` header) or one of
 *   `allowed`. The scheme is not compared: behind a TLS proxy an `https` page talks to plain HTTP.
 * - Without one, `Sec-Fetch-Site: cross-site` (a browser request made by another site's page) is
 *   refused, but for the top-level GET of a link followed from another site, whose reply that site
 *   cannot read.
 *
 * Requests without either header (curl, servers, connectors) are not browsers' and pass.
 */
export function crossOriginRefusal(
  headers: IncomingHttpHeaders,
  method: string,
  allowed: ReadonlySet<string>,
): string | undefined {
  const origin = headers.origin;
  if (origin !== undefined) {
    let own: boolean;
    let normalized: string | undefined;
    try {
      normalized = normalizeOrigin(origin);
      const page = new URL(normalized);
      own = headers.host !== undefined && page.host === new URL(`${page.protocol}//${headers.host}`).host;
    } catch {
      own = false;
    }
    if (own || (normalized !== undefined && allowed.has(normalized))) return undefined;
    return `the page's Origin ${JSON.stringify(origin.slice(0, 200))} is not this server's (${headers.host ?? 'no Host header'})`;
  }
  if (headers['sec-fetch-site'] !== 'cross-site') return undefined;
  if (headers['sec-fetch-mode'] === 'navigate' && (method === 'GET' || method === 'HEAD')) return undefined;
  return 'Sec-Fetch-Site: cross-site says the page of another site made it';
}

/**
 * Refuses requests that web pages of other origins make through the user's browser, on every route,
 * WebSocket upgrades included: 403 `CROSS_ORIGIN`, before the key is checked or a body read. An open
 * API (no keys) would otherwise take events, alert actions and WebSocket readers from any page the
 * user visits, since a browser sends a simple POST or opens a WebSocket to any address. The API sends
 * no CORS headers: it serves its own page, and the pages of `allowedOrigins`.
 */
export const originPlugin = fp(
  async (app, o: OriginOptions) => {
    const allowed = new Set(o.allowedOrigins ?? []);
    const hint =
      allowed.size === 0
        ? "list the page's origin in --api-allowed-origins / PW_API_ALLOWED_ORIGINS to allow it"
        : `allowed origins besides this server's: ${[...allowed].join(', ')}`;
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const refusal = crossOriginRefusal(req.headers, req.method, allowed);
      if (refusal === undefined) return;
      req.log.warn(
        { origin: req.headers.origin, secFetchSite: req.headers['sec-fetch-site'], url: redactUrl(req.url) },
        'request refused: cross-origin',
      );
      closeRefusedUpgrade(req, reply);
      throw new PipelineError(
        'CROSS_ORIGIN',
        `cross-origin request refused: ${refusal}. The API serves its own page only; ${hint}`,
      );
    });
  },
  { name: 'pulsewatch-origin' },
);
