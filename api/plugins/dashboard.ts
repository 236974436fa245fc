import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { sendError } from '../errors.js';

export interface DashboardOptions {
  /** The built page (`npm run build` writes it): index.html and assets/ with content-hashed names. */
  dir: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Asset names carry a hash of their content, so a browser may keep them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A built asset's name: what Vite writes (name-hash.ext), never a path. */
const ASSET_NAME = /^[\w.-]+$/;

/**
 * Serves the built-in live page from the Vite build: index.html at `/` (revalidated every time) and
 * its hashed assets under /assets/. index.html is read on each request (a few kB), so a new build
 * shows at once, without a restart; an asset is read once and then served from memory, since its
 * name changes with its content. Reads are synchronous on purpose: under load the libuv pool is
 * busy with the app's own file work, and a queued read of the page took 100 ms or more. Everything
 * comes from this server, nothing from a CDN, so the page works offline. Without a build, `/` says
 * how to make one.
 */
export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, o) => {
  const route = { config: { scope: 'public' }, schema: { hide: true } } as const;
  const index = join(o.dir, 'index.html');
  const missing = `The live page is not built: ${index} is missing. Run \`npm run build\` (it writes dist/web).`;
  if (!existsSync(index)) app.log.warn(missing);

  const send = (reply: FastifyReply, file: string, body: Buffer, cache: string) =>
    reply
      .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
      .header('cache-control', cache)
      .send(body);
  /** A file of the build, or undefined when there is none by that name. */
  const read = (file: string): Buffer | undefined => {
    try {
      return readFileSync(file);
    } catch {
      return undefined;
    }
  };
  /** Assets read so far, by name (a build holds a handful; a rebuild adds its new names). */
  const assets = new Map<string, Buffer>();

  app.get('/', route, async (_req, reply) => {
    const html = read(index);
    if (html) return send(reply, index, html, 'no-cache');
    return reply
      .code(503)
      .header('content-type', 'text/plain; charset=utf-8')
      .send(missing + '\n');
  });

  app.get('/assets/*', route, async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    const file = join(o.dir, 'assets', name);
    let body = assets.get(name);
    if (!body && ASSET_NAME.test(name)) {
      body = read(file);
      if (body) assets.set(name, body);
    }
    if (!body) return sendError(reply, 'NOT_FOUND', `no asset ${name} in this build`);
    return send(reply, file, body, IMMUTABLE);
  });
};
