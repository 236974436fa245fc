import t, { type Test } from 'tap';
import type { InjectOptions } from 'fastify';
import { loadConfig } from '../../app/config.js';
import { metricValue, ndjson, post, startTestApp } from '../helpers/app.js';
import { subscribed, upgrade } from '../helpers/ws.js';

// The embedded default: no API keys, the API open to whoever reaches it, and so to any web page the
// user's browser shows, unless the API refuses other sites' requests.
const running = await startTestApp(['--api-allowed-origins', 'https://Dash.Example.com:443/']);
t.teardown(() => running.stop());
const { app } = running;
const own = new URL(running.url);
const FOREIGN = 'http://evil.example';

const eventsRequest = (headers: Record<string, string>): InjectOptions => ({
  method: 'POST',
  url: '/v1/events',
  // what a page can send without asking: a simple POST, as text/plain
  headers: { host: own.host, 'content-type': 'text/plain', ...headers },
  payload: ndjson([post({ text: 'Harbor Brew is awful, worst coffee ever' })]),
});
const alertUrl = (action: 'ack' | 'resolve') =>
  `/v1/alerts/${encodeURIComponent('Northwind Coffee:negative_share:1796646780000')}/${action}`;
const ackRequest = (headers: Record<string, string>): InjectOptions => ({
  method: 'POST',
  url: alertUrl('ack'),
  headers: { host: own.host, ...headers },
});

/** The reply is the documented 403 CROSS_ORIGIN. */
function refused(t: Test, res: { statusCode: number; json: () => unknown }, what: string) {
  t.equal(res.statusCode, 403, what);
  t.match(
    res.json(),
    {
      error: {
        code: 'CROSS_ORIGIN',
        message: /^cross-origin request refused: .*(another site|is not this server's)/,
        retryable: false,
      },
    },
    what,
  );
  t.same(Object.keys(res.json() as object), ['error'], 'the documented shape');
}

t.test('a foreign Origin is refused on ingest and alert actions; nothing is ingested', async (t) => {
  const before = await metricValue(running, 'pulsewatch_events_in_total');
  const errorsBefore = await metricValue(running, 'pulsewatch_http_errors_total', { code: 'CROSS_ORIGIN' });
  for (const origin of [
    FOREIGN,
    'null', // a sandboxed frame, a file: page
    `http://${own.hostname}:1`, // the same host, another port: another origin
    `http://${own.hostname}.evil.example:${own.port}`,
    'chrome-extension://abc',
  ]) {
    refused(t, await app.inject(eventsRequest({ origin })), `POST /v1/events from ${origin}`);
    refused(t, await app.inject(ackRequest({ origin })), `ack from ${origin}`);
  }
  refused(t, await app.inject({ ...ackRequest({ origin: FOREIGN }), url: alertUrl('resolve') }), 'resolve');
  refused(
    t,
    await app.inject({ ...eventsRequest({ origin: FOREIGN }), url: '/v1/feedback' }),
    'POST /v1/feedback',
  );
  t.equal(await metricValue(running, 'pulsewatch_events_in_total'), before, 'no event taken');
  t.equal(
    (await metricValue(running, 'pulsewatch_http_errors_total', { code: 'CROSS_ORIGIN' })) - errorsBefore,
    12,
    'refusals counted by code',
  );
});

t.test('without Origin, Sec-Fetch-Site: cross-site is refused but for a followed link', async (t) => {
  const crossSite = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' };
  refused(t, await app.inject(eventsRequest(crossSite)), 'POST /v1/events');
  refused(t, await app.inject(ackRequest(crossSite)), 'ack');
  refused(t, await app.inject({ url: '/v1/brands', headers: crossSite }), 'a GET from a script or an image');
  const link = await app.inject({
    url: '/',
    headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
  });
  t.equal(link.statusCode, 200, 'a link to the live page from another site opens it');
  for (const site of ['same-origin', 'none'])
    t.equal(
      (await app.inject(eventsRequest({ 'sec-fetch-site': site }))).statusCode,
      202,
      `Sec-Fetch-Site: ${site}`,
    );
});

t.test('requests without Origin and the own page origin are served', async (t) => {
  const none = await app.inject(eventsRequest({}));
  t.equal(none.statusCode, 202, 'no Origin (curl, connectors): ingested');
  t.equal(none.json().accepted, 1);
  for (const origin of [
    running.url, // the live page, served by this server
    `https://${own.host}`, // an https page whose TLS proxy forwards Host as is
    'https://dash.example.com', // listed in --api-allowed-origins (as given: upper case, default port)
  ]) {
    const res = await app.inject(eventsRequest({ origin, 'sec-fetch-site': 'same-origin' }));
    t.equal(res.statusCode, 202, `POST /v1/events from ${origin}`);
    t.equal(res.json().accepted, 1);
    const ack = await app.inject(ackRequest({ origin }));
    t.not(ack.statusCode, 403, `ack from ${origin}: past the origin check`);
    t.equal(ack.statusCode, (await app.inject(ackRequest({}))).statusCode, 'as without Origin');
  }
  // over a real connection, as the page's own POST sends it
  const res = await fetch(`${running.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', origin: running.url },
    body: ndjson([post()]),
  });
  t.equal(res.status, 202);
  const foreign = await fetch(`${running.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', origin: FOREIGN },
    body: ndjson([post()]),
  });
  t.equal(foreign.status, 403);
  t.equal(((await foreign.json()) as { error: { code: string } }).error.code, 'CROSS_ORIGIN');
});

const wsUrl = `${running.url.replace(/^http/, 'ws')}/v1/stream`;

/** Opens a real WebSocket with `origin`: the upgrade's status (and error code), the socket if open. */
const connect = (origin?: string) => upgrade(wsUrl, origin === undefined ? {} : { origin });

t.test('the WebSocket refuses a foreign Origin and serves its own page', async (t) => {
  for (const origin of [FOREIGN, 'null', `http://${own.hostname}:1`])
    t.match(await connect(origin), { status: 403, code: 'CROSS_ORIGIN' }, `Origin ${origin}`);
  for (const origin of [running.url, 'https://dash.example.com', undefined]) {
    const c = await connect(origin);
    t.equal(c.status, 101, `Origin ${origin ?? '(none)'}: open`);
    t.same(await subscribed(c.ws!, 'brand:harbor-brew'), ['brand:harbor-brew']);
    c.ws!.close();
  }
});

t.test('--api-allowed-origins takes origins only', async (t) => {
  const parse = (v: string) => loadConfig(['--api-allowed-origins', v], {}).apiAllowedOrigins;
  t.same(loadConfig([], {}).apiAllowedOrigins, [], 'none by default');
  t.same(parse('https://A.example, http://b.example:8080,https://a.example:443'), [
    'https://a.example',
    'http://b.example:8080',
  ]);
  t.same(loadConfig([], { PW_API_ALLOWED_ORIGINS: 'http://c.example' }).apiAllowedOrigins, [
    'http://c.example',
  ]);
  for (const bad of ['c.example', 'https://c.example/page', 'ftp://c.example', 'https://u:p@c.example', '*'])
    t.throws(
      () => parse(bad),
      { name: 'ConfigError', message: /^--api-allowed-origins \/ PW_API_ALLOWED_ORIGINS: / },
      bad,
    );
});
