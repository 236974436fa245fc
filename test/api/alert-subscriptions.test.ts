import t, { type Test } from 'tap';
import type { FastifyInstance, InjectOptions } from 'fastify';
import {
  alertSubscriptionRoutes,
  ApiKeys,
  BrandDirectory,
  buildApi,
  Metrics,
  plainKeyRecords,
  type AlertSubscriptionRoutesOptions,
} from '../../api/index.js';
import { redactedUrl } from '../../api/routes/alert-subscriptions.js';
import { MemoryAlertStateStore, type AlertActions } from '../../stream/index.js';

const KEYS = { admin: 'admin-0123456789abcdef', read: 'read-0123456789abcdef' };
const brands = new BrandDirectory([
  { name: 'Northwind Coffee' },
  { name: 'Contoso Tea', kind: 'competitor' },
]);

async function api(t: Test, over: Partial<AlertSubscriptionRoutesOptions> = {}) {
  const store = new MemoryAlertStateStore({ now: () => 1_795_480_000_000 });
  const app = await buildApi({
    version: 'test',
    metrics: new Metrics({ defaultMetrics: false }),
    notReady: () => null,
    apiKeys: new ApiKeys([
      ...plainKeyRecords([{ name: 'ops', key: KEYS.admin }], ['admin']),
      ...plainKeyRecords([{ name: 'dash', key: KEYS.read }], ['read']),
    ]),
  });
  await app.register(alertSubscriptionRoutes, {
    store,
    brands,
    emailEnabled: true,
    now: () => 1_795_480_000_000,
    ...over,
  });
  await app.ready();
  t.teardown(() => app.close());
  const as = (key: string | undefined) => (o: InjectOptions) =>
    app.inject({ ...o, headers: { ...(key && { authorization: `Bearer ${key}` }), ...o.headers } });
  return { app, store, admin: as(KEYS.admin), read: as(KEYS.read), anonymous: as(undefined) };
}

const webhook = {
  type: 'webhook',
  url: 'https://hooks.example.com/pulsewatch',
  secret: 'whsec-0123456789abcdef',
};

t.test('create, list, get and delete a subscription', async (t) => {
  let clock = 1_795_480_000_000;
  const { admin } = await api(t, { now: () => clock++ });
  const res = await admin({
    method: 'POST',
    url: '/v1/alerts/subscriptions',
    payload: {
      brands: ['Northwind Coffee', 'contoso-tea', 'northwind-coffee'],
      kinds: ['volume'],
      min_severity: 'high',
      target: webhook,
    },
  });
  t.equal(res.statusCode, 201, res.body);
  const created = res.json();
  t.match(created.id, /^sub_[0-9a-f]{24}$/);
  t.equal(res.headers.location, `/v1/alerts/subscriptions/${created.id}`);
  t.same(
    created,
    {
      id: created.id,
      brands: ['northwind-coffee', 'contoso-tea'],
      kinds: ['volume'],
      min_severity: 'high',
      target: { type: 'webhook', url: webhook.url, format: 'json', secret: webhook.secret },
      notify_resolved: false,
      created_at: 1_795_480_000_000,
    },
    'brands by name or id, as ids, once each; the secret once',
  );

  const generated = (
    await admin({
      method: 'POST',
      url: '/v1/alerts/subscriptions',
      payload: { target: { type: 'webhook', url: 'http://127.0.0.1:9000/x', format: 'slack' } },
    })
  ).json();
  t.match(generated.target.secret, /^whsec_[A-Za-z0-9_-]{32}$/, 'a secret is generated when none is given');
  t.same(
    [generated.brands, generated.kinds, generated.min_severity],
    [[], [], 'low'],
    'defaults: everything',
  );
  const mail = await admin({
    method: 'POST',
    url: '/v1/alerts/subscriptions',
    payload: {
      target: { type: 'email', to: ['ops@example.com', 'pr@example.co.uk'] },
      notify_resolved: true,
    },
  });
  t.equal(mail.statusCode, 201);
  const live = await admin({
    method: 'POST',
    url: '/v1/alerts/subscriptions',
    payload: { target: { type: 'websocket' } },
  });
  t.same(live.json().target, { type: 'websocket' });

  const list = (await admin({ url: '/v1/alerts/subscriptions' })).json().subscriptions;
  t.equal(list.length, 4);
  t.equal(list[0].id, created.id);
  t.notOk(JSON.stringify(list).includes('whsec'), 'secrets are never listed');
  const one = await admin({ url: `/v1/alerts/subscriptions/${created.id}` });
  t.same(
    one.json().target,
    { type: 'webhook', url: 'https://hooks.example.com/pulsewatch', format: 'json' },
    'a one-segment path is shown whole',
  );

  t.equal((await admin({ method: 'DELETE', url: `/v1/alerts/subscriptions/${created.id}` })).statusCode, 204);
  const gone = await admin({ url: `/v1/alerts/subscriptions/${created.id}` });
  t.equal(gone.statusCode, 404);
  t.equal(gone.json().error.code, 'UNKNOWN_SUBSCRIPTION');
  t.equal(
    (await admin({ method: 'DELETE', url: `/v1/alerts/subscriptions/${created.id}` })).json().error.code,
    'UNKNOWN_SUBSCRIPTION',
  );
});

t.test('validation: brands, webhook URLs and secrets, e-mail addresses, the body', async (t) => {
  const { admin, store } = await api(t);
  const create = (payload: unknown) =>
    admin({ method: 'POST', url: '/v1/alerts/subscriptions', payload: payload as object });
  const cases: [string, unknown, number, string, RegExp?][] = [
    [
      'an unknown brand',
      { brands: ['Northwind Coffee', 'Fabrikam'], target: webhook },
      400,
      'INVALID_BRAND',
      /"Fabrikam"/,
    ],
    [
      'a file URL',
      { target: { ...webhook, url: 'file:///etc/passwd' } },
      400,
      'INVALID_TARGET',
      /http or https/,
    ],
    ['not a URL', { target: { ...webhook, url: 'hooks.example.com' } }, 400, 'INVALID_TARGET', /not a URL/],
    [
      'a URL with a user name and password (fetch refuses it: never delivered)',
      { target: { ...webhook, url: 'https://ops:s3cret@hooks.example.com/pulsewatch' } },
      400,
      'INVALID_TARGET',
      /user name or password/,
    ],
    [
      'a URL with a user name',
      { target: { ...webhook, url: 'https://ops@hooks.example.com/pulsewatch' } },
      400,
      'INVALID_TARGET',
      /user name or password/,
    ],
    ['a short secret', { target: { ...webhook, secret: 'short' } }, 400, 'INVALID_TARGET', /16 characters/],
    [
      'a bad address',
      { target: { type: 'email', to: ['ops@example.com', 'not-an-address'] } },
      400,
      'INVALID_TARGET',
      /"not-an-address"/,
    ],
    [
      'an address without a domain dot',
      { target: { type: 'email', to: ['ops@localhost'] } },
      400,
      'INVALID_TARGET',
    ],
    ['no recipients', { target: { type: 'email', to: [] } }, 400, 'BAD_REQUEST'],
    ['an unknown kind', { kinds: ['joy'], target: webhook }, 400, 'BAD_REQUEST'],
    ['an unknown severity', { min_severity: 'urgent', target: webhook }, 400, 'BAD_REQUEST'],
    ['an unknown target type', { target: { type: 'pager', number: '123' } }, 400, 'BAD_REQUEST'],
    ['no target', { brands: [] }, 400, 'BAD_REQUEST'],
  ];
  for (const [what, payload, status, code, message] of cases) {
    const res = await create(payload);
    t.equal(res.statusCode, status, what);
    t.equal(res.json().error.code, code, what);
    if (message) t.match(res.json().error.message, message, what);
    t.notMatch(res.body, 's3cret', `${what}: the reply does not repeat a password`);
  }
  t.same(await store.listSubscriptions(), [], 'nothing was created');
});

t.test('e-mail targets are refused while SMTP is off', async (t) => {
  const { admin } = await api(t, { emailEnabled: false });
  const res = await admin({
    method: 'POST',
    url: '/v1/alerts/subscriptions',
    payload: { target: { type: 'email', to: ['ops@example.com'] } },
  });
  t.equal(res.statusCode, 400);
  t.equal(res.json().error.code, 'INVALID_TARGET');
  t.match(res.json().error.message, /--smtp-url/);
});

t.test('--alert-max-subscriptions: one more is refused until one is deleted', async (t) => {
  const { admin, store } = await api(t, { maxSubscriptions: 2 });
  const create = () =>
    admin({ method: 'POST', url: '/v1/alerts/subscriptions', payload: { target: { type: 'websocket' } } });
  const first = await create();
  t.equal((await create()).statusCode, 201);
  const refused = await create();
  t.equal(refused.statusCode, 409);
  t.match(refused.json().error, { code: 'SUBSCRIPTION_LIMIT', message: /--alert-max-subscriptions/ });
  t.equal((await store.listSubscriptions()).length, 2, 'nothing was created');
  const del = await admin({ method: 'DELETE', url: `/v1/alerts/subscriptions/${first.json().id}` });
  t.equal(del.statusCode, 204);
  t.equal((await create()).statusCode, 201, 'room again');
});

t.test('acknowledge and resolve by hand: who and when, the first one kept', async (t) => {
  const told: [string, AlertActions][] = [];
  const { admin, store } = await api(t, { onAction: (id, a) => told.push([id, a]) });
  const id = 'Northwind Coffee:negative_share:1795480000000';
  const ack = await admin({
    method: 'POST',
    url: '/v1/alerts/Northwind%20Coffee:negative_share:1795480000000/ack',
  });
  t.equal(ack.statusCode, 200, ack.body);
  t.same(ack.json(), { id, acked_at: 1_795_480_000_000, acked_by: 'ops' }, 'by the API key name');
  const again = await admin({
    method: 'POST',
    url: `/v1/alerts/${encodeURIComponent(id)}/ack`,
    payload: { by: 'bob' },
  });
  t.equal(again.json().acked_by, 'ops', 'the first acknowledge stays');
  const resolved = await admin({
    method: 'POST',
    url: `/v1/alerts/${encodeURIComponent(id)}/resolve`,
    payload: { by: 'Alice (on call)' },
  });
  t.same(resolved.json(), {
    id,
    acked_at: 1_795_480_000_000,
    acked_by: 'ops',
    resolved_at: 1_795_480_000_000,
    resolved_by: 'Alice (on call)',
  });
  t.same((await store.actions([id])).get(id), {
    acked_at: 1_795_480_000_000,
    acked_by: 'ops',
    resolved_at: 1_795_480_000_000,
    resolved_by: 'Alice (on call)',
  });
  t.same(
    told.map(([i]) => i),
    [id, id, id],
    'each action is told to onAction',
  );
  const bad = await admin({
    method: 'POST',
    url: `/v1/alerts/${encodeURIComponent(id)}/ack`,
    payload: { by: '' },
  });
  t.equal(bad.json().error.code, 'BAD_REQUEST');
});

t.test('with alertExists, an unknown alert is a 404 and nothing is recorded', async (t) => {
  const { admin, store } = await api(t, { alertExists: async (id) => id === 'known' });
  const res = await admin({ method: 'POST', url: '/v1/alerts/unknown/resolve' });
  t.equal(res.statusCode, 404);
  t.equal(res.json().error.code, 'UNKNOWN_ALERT');
  t.same(await store.actions(['unknown']), new Map());
  t.equal((await admin({ method: 'POST', url: '/v1/alerts/known/resolve' })).statusCode, 200);
});

t.test('every route needs scope admin: 401 without a key, 403 with read', async (t) => {
  const { app, admin, read, anonymous } = await api(t);
  const routes = (app as FastifyInstance).routeScopes.filter((r) => r.url.startsWith('/v1/alerts'));
  t.same(routes.map((r) => `${r.method} ${r.url} ${r.scope}`).sort(), [
    'DELETE /v1/alerts/subscriptions/:id admin',
    'GET /v1/alerts/subscriptions admin',
    'GET /v1/alerts/subscriptions/:id admin',
    'POST /v1/alerts/:id/ack admin',
    'POST /v1/alerts/:id/resolve admin',
    'POST /v1/alerts/subscriptions admin',
  ]);
  const requests: InjectOptions[] = [
    { method: 'POST', url: '/v1/alerts/subscriptions', payload: { target: { type: 'websocket' } } },
    { method: 'GET', url: '/v1/alerts/subscriptions' },
    { method: 'GET', url: '/v1/alerts/subscriptions/sub_x' },
    { method: 'DELETE', url: '/v1/alerts/subscriptions/sub_x' },
    { method: 'POST', url: '/v1/alerts/a1/ack' },
    { method: 'POST', url: '/v1/alerts/a1/resolve' },
  ];
  for (const r of requests) {
    t.equal((await anonymous(r)).json().error.code, 'UNAUTHORIZED', `${r.method} ${r.url} without a key`);
    t.equal((await read(r)).json().error.code, 'FORBIDDEN', `${r.method} ${r.url} with a read key`);
    t.not((await admin(r)).statusCode, 403, `${r.method} ${r.url} with admin`);
  }
});

t.test('lists show a webhook URL without the path and query that may be its credential', async (t) => {
  const { admin } = await api(t);
  const slack = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET';
  const res = await admin({
    method: 'POST',
    url: '/v1/alerts/subscriptions',
    payload: { target: { type: 'webhook', url: slack, format: 'slack' } },
  });
  t.equal(res.json().target.url, slack, 'the creator sees it whole, with the secret');
  const listed = (await admin({ url: '/v1/alerts/subscriptions' })).body;
  const one = (await admin({ url: `/v1/alerts/subscriptions/${res.json().id}` })).json();
  t.notOk(listed.includes('XXXXSECRET') || listed.includes('T000'), 'not in the list');
  t.equal(one.target.url, 'https://hooks.slack.com/services/…', 'nor in GET');
  t.equal(
    redactedUrl('https://hooks.slack.com/services/T000/B000/XXXXSECRET'),
    'https://hooks.slack.com/services/…',
  );
  t.equal(redactedUrl('https://example.com/hook?token=abc'), 'https://example.com/hook?…');
  t.equal(redactedUrl('https://example.com:8443/'), 'https://example.com:8443/');
  t.equal(redactedUrl('not a url'), '…');
});
