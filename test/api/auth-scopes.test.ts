import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { addKey, buildApi, Metrics, SCOPES, type RouteAccess, type Scope } from '../../api/index.js';
import { DASHBOARD_DIR } from '../../app/paths.js';
import { ndjson, ndjsonRequest, post, startTestApp } from '../helpers/app.js';
import { subscribed, upgrade } from '../helpers/ws.js';

const dir = await mkdtemp(join(tmpdir(), 'pw-auth-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const keyFile = join(dir, 'api-keys.json');
/** One key per scope, named after it. */
const KEYS = {} as Record<Scope, string>;
for (const scope of SCOPES) KEYS[scope] = await addKey(keyFile, scope, [scope]);

const running = await startTestApp(['--api-keys-file', keyFile]);
t.teardown(() => running.stop());
const { app } = running;

/** The name of a file the page's build wrote (npm run build, which the suite's pretest runs). */
function builtAsset(): string {
  const name = readdirSync(join(DASHBOARD_DIR, 'assets')).find((n) => n.endsWith('.js'));
  if (!name) throw new Error(`no built page in ${DASHBOARD_DIR}: run npm run build`);
  return name;
}

const feedback = () => ({ campaign: 'spring-sale', arm: 'a', kind: 'click', ts: Date.now() });
/** A route reached by a plain GET of `url`, answering `ok` with its scope. */
const get = (scope: RouteAccess, url: string, ok = 200) => ({ scope, request: () => ({ url }), ok });
/** A route reached by `method` on `url`, with a JSON `payload` if given, answering `ok` with its scope. */
const call = (
  scope: RouteAccess,
  method: 'POST' | 'PUT' | 'DELETE',
  url: string,
  ok: number,
  payload?: Record<string, unknown>,
) => ({ scope, request: (): InjectOptions => ({ method, url, ...(payload && { payload }) }), ok });

/**
 * Every route of the API, with the scope it needs and a request that succeeds with it. A route
 * added without a line here fails the first test.
 */
let campaigns = 0;
const ROUTES: Record<string, { scope: RouteAccess; request: () => InjectOptions; ok: number }> = {
  'GET /': get('public', '/'),
  'GET /assets/*': get('public', `/assets/${builtAsset()}`),
  'GET /healthz': get('public', '/healthz'),
  'GET /readyz': get('public', '/readyz'),
  'GET /metrics': get('admin', '/metrics'),
  'GET /v1/brands': get('read', '/v1/brands'),
  'GET /v1/brands/:brand/metrics': get('read', '/v1/brands/northwind-coffee/metrics?window=1m'),
  'GET /v1/brands/:brand/activity': get('read', '/v1/brands/northwind-coffee/activity'),
  'GET /v1/brands/:brand/topics': get('read', '/v1/brands/northwind-coffee/topics'),
  'GET /v1/brands/:brand/trends': get('read', '/v1/brands/northwind-coffee/trends'),
  'GET /v1/brands/:brand/share-of-voice': get('read', '/v1/brands/northwind-coffee/share-of-voice'),
  'GET /v1/brands/:brand/influencers': get('read', '/v1/brands/northwind-coffee/influencers'),
  'GET /v1/brands/:brand/best-times': get('read', '/v1/brands/northwind-coffee/best-times'),
  'GET /v1/segments': get('read', '/v1/segments'),
  'GET /v1/alerts': get('read', '/v1/alerts'),
  'POST /v1/alerts/subscriptions': call('admin', 'POST', '/v1/alerts/subscriptions', 201, {
    target: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-enough-length' },
  }),
  'GET /v1/alerts/subscriptions': get('admin', '/v1/alerts/subscriptions'),
  'GET /v1/alerts/subscriptions/:id': get('admin', '/v1/alerts/subscriptions/nope', 404),
  'DELETE /v1/alerts/subscriptions/:id': call('admin', 'DELETE', '/v1/alerts/subscriptions/nope', 404),
  'POST /v1/alerts/:id/ack': call('admin', 'POST', '/v1/alerts/nope/ack', 404, {}),
  'POST /v1/alerts/:id/resolve': call('admin', 'POST', '/v1/alerts/nope/resolve', 404, {}),
  'POST /v1/campaigns': {
    scope: 'decide',
    request: () => ({
      method: 'POST',
      url: '/v1/campaigns',
      payload: { id: `c-${++campaigns}`, arms: ['a'] },
    }),
    ok: 201,
  },
  'PUT /v1/campaigns/:id': call('decide', 'PUT', '/v1/campaigns/nope', 404, { arms: ['a'] }),
  'GET /v1/campaigns': get('read', '/v1/campaigns'),
  'GET /v1/campaigns/:id': get('read', '/v1/campaigns/nope', 404),
  'GET /v1/campaigns/:id/roi': get('read', '/v1/campaigns/nope/roi', 404),
  'POST /v1/campaigns/:id/decide': call('decide', 'POST', '/v1/campaigns/nope/decide', 404, {}),
  'POST /v1/campaigns/:id/reward': call('decide', 'POST', '/v1/campaigns/nope/reward', 404, {
    decision_id: 'd',
    value: 1,
  }),
  'GET /v1/live': get('read', '/v1/live'),
  'POST /v1/events': {
    scope: 'ingest',
    request: () => ndjsonRequest('/v1/events', ndjson([post()])),
    ok: 202,
  },
  'POST /v1/feedback': {
    scope: 'ingest',
    request: () => ndjsonRequest('/v1/feedback', ndjson([feedback()])),
    ok: 202,
  },
  // the WebSocket: see the tests over a real connection below
  'GET /v1/stream': get('read', '/v1/stream', 404),
};

const bearer = (scope: Scope) => ({ authorization: `Bearer ${KEYS[scope]}` });
const send = (route: string, headers: Record<string, string> = {}) => {
  const r = ROUTES[route]!.request();
  return app.inject({ ...r, headers: { ...(r.headers as Record<string, string>), ...headers } });
};

t.test('every route declares a scope, and this test knows each of them', async (t) => {
  const declared = Object.fromEntries(app.routeScopes.map((r) => [`${r.method} ${r.url}`, r.scope]));
  t.same(declared, Object.fromEntries(Object.entries(ROUTES).map(([route, r]) => [route, r.scope])));
});

t.test(
  'each route: 401 without a valid key, 403 with another scope, allowed with its own or admin',
  async (t) => {
    for (const [route, r] of Object.entries(ROUTES)) {
      if (r.scope === 'public') {
        t.equal((await send(route)).statusCode, r.ok, `${route} is public`);
        continue;
      }
      const missing = await send(route);
      t.equal(missing.statusCode, 401, `${route} without a key`);
      t.equal(missing.json().error.code, 'UNAUTHORIZED');
      t.match(missing.headers['www-authenticate'], /^Bearer realm="pulsewatch"$/);
      const unknown = await send(route, { authorization: 'Bearer pw_not-a-key-of-ours-at-all' });
      t.equal(unknown.statusCode, 401, `${route} with an unknown key`);
      t.match(unknown.headers['www-authenticate'], /error="invalid_token"/);

      for (const other of SCOPES.filter((s) => s !== r.scope && s !== 'admin')) {
        const res = await send(route, bearer(other));
        t.equal(res.statusCode, 403, `${route} with a ${other} key`);
        t.equal(res.json().error.code, 'FORBIDDEN');
        t.equal(res.json().error.retryable, false);
        t.match(res.json().error.message, `needs ${r.scope}`, 'the message names the scope');
        t.match(res.headers['www-authenticate'], `error="insufficient_scope", scope="${r.scope}"`);
      }
      t.equal((await send(route, bearer(r.scope as Scope))).statusCode, r.ok, `${route} with its scope`);
      t.equal((await send(route, { 'x-api-key': KEYS[r.scope as Scope] })).statusCode, r.ok, 'as X-API-Key');
      t.equal((await send(route, bearer('admin'))).statusCode, r.ok, `${route} with admin`);
    }
  },
);

t.test('a key in the query string counts on the WebSocket only', async (t) => {
  const res = await app.inject({ url: `/v1/brands?api_key=${KEYS.read}` });
  t.equal(res.statusCode, 401, 'REST routes want the key in a header, out of URLs and proxy logs');
  t.equal(
    (await app.inject({ url: `/v1/stream?api_key=${KEYS.read}` })).statusCode,
    404,
    'accepted, not upgraded',
  );
});

t.test('an unknown route is a 404 with or without a key', async (t) => {
  const res = await app.inject({ url: '/v1/nothing-here' });
  t.equal(res.statusCode, 404);
  t.equal(res.json().error.code, 'NOT_FOUND');
});

t.test('the decide scope: campaign systems define, decide and reward, but read nothing else', async (t) => {
  t.ok(SCOPES.includes('decide'));
  t.equal((await send('GET /v1/brands', bearer('decide'))).statusCode, 403, 'decide does not imply read');
  t.equal((await send('POST /v1/events', bearer('decide'))).statusCode, 403, 'nor ingest');
});

const wsUrl = `${running.url.replace(/^http/, 'ws')}/v1/stream`;

/** Opens a real WebSocket: the upgrade's answer, and the open socket when it was accepted. */
const connect = (url: string, headers: Record<string, string> = {}) => upgrade(url, { headers });

t.test('WebSocket: 401 without a key, 403 without scope read', async (t) => {
  const missing = await connect(wsUrl);
  t.match(missing, { status: 401, code: 'UNAUTHORIZED', authenticate: /^Bearer/ });
  t.match(await connect(`${wsUrl}?api_key=pw_not-a-key-of-ours`), { status: 401, code: 'UNAUTHORIZED' });
  for (const scope of ['ingest', 'decide'] as const) {
    t.match(await connect(wsUrl, bearer(scope)), { status: 403, code: 'FORBIDDEN' }, `${scope} key`);
    t.match(await connect(`${wsUrl}?api_key=${KEYS[scope]}`), { status: 403 }, `${scope} key in the URL`);
  }
});

t.test('WebSocket: a read or admin key in a header, ?api_key= or ?access_token= opens it', async (t) => {
  const ways: [string, string, Record<string, string>][] = [
    ['read key, Authorization', wsUrl, bearer('read')],
    ['read key, X-API-Key', wsUrl, { 'x-api-key': KEYS.read }],
    ['read key, ?api_key=', `${wsUrl}?api_key=${encodeURIComponent(KEYS.read)}`, {}],
    ['read key, ?access_token=', `${wsUrl}?access_token=${encodeURIComponent(KEYS.read)}`, {}],
    ['admin key, ?api_key=', `${wsUrl}?api_key=${encodeURIComponent(KEYS.admin)}`, {}],
    ['admin key, Authorization', wsUrl, bearer('admin')],
  ];
  for (const [what, url, headers] of ways) {
    const c = await connect(url, headers);
    t.equal(c.status, 101, what);
    t.same(await subscribed(c.ws!, 'brands'), ['brands'], `${what}: subscribed`);
    c.ws!.close();
  }
});

t.test('--metrics-public opens /metrics and nothing else', async (t) => {
  const open = await startTestApp(['--api-keys-file', keyFile, '--metrics-public']);
  t.teardown(() => open.stop());
  t.equal((await open.app.inject({ url: '/metrics' })).statusCode, 200);
  t.equal((await open.app.inject({ url: '/v1/brands' })).statusCode, 401);
});

t.test('without keys (the embedded default) every route is open', async (t) => {
  const open = await startTestApp();
  t.teardown(() => open.stop());
  for (const route of Object.keys(ROUTES)) {
    const r = ROUTES[route]!.request();
    t.equal((await open.app.inject(r)).statusCode, ROUTES[route]!.ok, route);
  }
  const c = await connect(`${open.url.replace(/^http/, 'ws')}/v1/stream`);
  t.equal(c.status, 101, 'the WebSocket too');
  c.ws!.close();
});

t.test('a route without a known scope stops the server at start', async (t) => {
  const routes: [string, Record<string, unknown>, RegExp][] = [
    ['/forgotten', {}, /route GET \/forgotten declares no scope: add config: \{ scope: 'ingest' \| /],
    ['/misspelt', { config: { scope: 'reed' } }, /route GET \/misspelt declares an unknown scope "reed"/],
  ];
  for (const [url, options, message] of routes) {
    const api = await buildApi({
      version: 'test',
      metrics: new Metrics({ defaultMetrics: false }),
      notReady: () => null,
    });
    t.teardown(() => api.close());
    await t.rejects(
      async () => {
        await api.register(async (child) => {
          child.get(url, options, async () => ({ open: true }));
        });
        await api.ready();
      },
      { message },
      url,
    );
  }
});

t.test('the OpenAPI document says which routes need a key', async (t) => {
  const doc = (await app.inject({ url: '/docs/json' })).json();
  t.match(doc.components.securitySchemes, {
    bearer: { type: 'http', scheme: 'bearer' },
    apiKey: { in: 'header' },
  });
  t.ok(doc.paths['/v1/brands'].get.security, 'GET /v1/brands needs a key');
  t.match(doc.paths['/v1/brands'].get.description, /scope `read`/);
  t.match(doc.paths['/v1/events'].post.description, /scope `ingest`/);
  t.match(doc.paths['/metrics'].get.description, /scope `admin`/);
  t.notOk(doc.paths['/healthz'].get.security, '/healthz is public');
});
