import type { FastifyPluginAsync } from 'fastify';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface DashboardOptions {
  /** Folder with index.html, app.js and style.css. */
  dir: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves the built-in live page and its charting library from the installed package: no CDN. */
export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, o) => {
  const require = createRequire(import.meta.url);
  const files: Record<string, string> = {
    '/': join(o.dir, 'index.html'),
    '/app.js': join(o.dir, 'app.js'),
    '/style.css': join(o.dir, 'style.css'),
    '/vendor/uplot.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
    '/vendor/uplot.css': require.resolve('uplot/dist/uPlot.min.css'),
  };
  for (const [path, file] of Object.entries(files)) {
    const body = await readFile(file);
    const type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
    app.get(path, { config: { scope: 'public' }, schema: { hide: true } }, async (_req, reply) =>
      reply.header('content-type', type).header('cache-control', 'no-cache').send(body),
    );
  }
};
