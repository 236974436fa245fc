import type { Test } from 'tap';
import Fastify, { type FastifyInstance } from 'fastify';
import { websocketPlugin, type WebSocketOptions } from '../../api/plugins/websocket.js';

/**
 * A real server with the WebSocket plugin alone, on a free port, closed when `t` ends: the app and
 * the `ws://` URL of its `/v1/stream`.
 */
export async function websocketServer(
  t: Test,
  options: WebSocketOptions,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  await app.register(websocketPlugin, options);
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws') + '/v1/stream';
  t.teardown(() => app.close());
  return { app, url };
}
