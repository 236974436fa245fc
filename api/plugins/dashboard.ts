import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

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

/**
 * Serves the built-in live page from the Vite build: index.html at `/` (revalidated every time, so a
 * new build shows at once) and its hashed assets under /assets/. Everything comes from this server,
 * nothing from a CDN, so the page works offline. Without a build, `/` says how to make one.
 */
export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, o) => {
  const route = { config: { scope: 'public' }, schema: { hide: true } } as const;
  const index = join(o.dir, 'index.html');
  if (!existsSync(index)) {
    const message = `The live page is not built: ${index} is missing. Run \`npm run build\` (it writes dist/web).`;
    app.log.warn(message);
    app.get('/', route, async (_req, reply) =>
      reply
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(message + '\n'),
    );
    return;
  }
  const send = (reply: FastifyReply, file: string, body: Buffer, cache: string) =>
    reply
      .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
      .header('cache-control', cache)
      .send(body);

  const html = await readFile(index);
  app.get('/', route, async (_req, reply) => send(reply, index, html, 'no-cache'));

  const assets = join(o.dir, 'assets');
  const names = existsSync(assets) ? await readdir(assets) : [];
  for (const name of names) {
    const file = join(assets, name);
    const body = await readFile(file);
    app.get(`/assets/${name}`, route, async (_req, reply) => send(reply, file, body, IMMUTABLE));
  }
};
