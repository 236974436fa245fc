import t from 'tap';
import { eventually, metricValue, ndjson, ndjsonRequest, post, startTestApp } from '../helpers/app.js';

const running = await startTestApp();
t.teardown(() => running.stop());
const { app } = running;
const postEvents = (body: string | Buffer, headers: Record<string, string> = {}) =>
  app.inject(ndjsonRequest('/v1/events', body, headers));

t.test('GET /v1/brands lists the configured brands with ids', async (t) => {
  const res = await app.inject({ url: '/v1/brands' });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.brands.length, 4);
  t.match(body.brands[0], { id: 'northwind-coffee', name: 'Northwind Coffee', kind: 'own' });
});

t.test('POST /v1/events accepts valid lines, rejects bad ones one by one, and keeps serving', async (t) => {
  const big = 'x'.repeat(1024 * 1024);
  const lines = [
    post(),
    '{"id": "broken", ',
    post({ ts: 'yesterday' }),
    { ...post(), author: undefined },
    post({ text: big }),
    post({ text: 'a'.repeat(25_000) }),
    post({ extra: 1 }),
    '',
    post({ text: 'Bluebird Roasters was fine' }),
  ];
  const body = Buffer.concat([
    Buffer.from(ndjson(lines)),
    Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), // {"\xff\xfe"} invalid UTF-8
  ]);
  const before = await metricValue(running, 'pulsewatch_events_rejected_total');
  const res = await postEvents(body);
  t.equal(res.statusCode, 202);
  const r = res.json();
  t.equal(r.accepted, 2, 'the valid lines of a mixed batch are kept');
  t.equal(r.rejected, 7);
  t.same(
    r.errors.map((e: { line: number; reason: string }) => [e.line, e.reason]),
    [
      [2, 'invalid_json'],
      [3, 'schema'],
      [4, 'schema'],
      [5, 'line_too_long'],
      [6, 'text_too_long'],
      [7, 'schema'],
      [10, 'invalid_utf8'],
    ],
  );
  t.match(r.errors[1].detail, /\/ts/, 'the detail names the field');
  t.match(r.errors[2].detail, /\/author/);
  t.equal(
    (await metricValue(running, 'pulsewatch_events_rejected_total')) - before,
    7,
    'every rejection is counted',
  );
  t.ok(
    (await metricValue(running, 'pulsewatch_dead_letters_total', { stage: 'ingest' })) >= 7,
    'and dead-lettered',
  );
  const health = await app.inject({ url: '/healthz' });
  t.equal(health.statusCode, 200, 'still serving');
});

t.test('POST /v1/events: limits and content types', async (t) => {
  const tooBig = await postEvents(Buffer.alloc(11 * 1024 * 1024, 0x20));
  t.equal(tooBig.statusCode, 413);
  t.equal(tooBig.json().error.code, 'BODY_TOO_LARGE');
  const form = await postEvents('<a/>', { 'content-type': 'application/xml' });
  t.equal(form.statusCode, 415);
  t.equal(form.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
  const empty = await postEvents('');
  t.equal(empty.statusCode, 202);
  t.same(empty.json(), { accepted: 0, duplicates: 0, rejected: 0, errors: [] });
});

t.test('POST /v1/events: an event dated too far ahead is rejected, not let move the watermark', async (t) => {
  const now = Date.now();
  const res = await postEvents(
    ndjson([post({ ts: now + 10 * 365 * 86_400_000 }), post({ ts: now + 60_000 }), post({ ts: now })]),
  );
  t.equal(res.statusCode, 202);
  const r = res.json();
  t.equal(r.accepted, 2, 'a minute ahead (a fast clock) is accepted');
  t.same(
    r.errors.map((e: { line: number; reason: string }) => [e.line, e.reason]),
    [[1, 'future_timestamp']],
  );
  t.match(r.errors[0].detail, /\/ts: .* ahead of the server clock/);
});

t.test('POST /v1/events: a repeated id is stored once, in one request or across requests', async (t) => {
  const p = post({ text: 'Cafe Aurora is ok' });
  const before = await metricValue(running, 'pulsewatch_events_duplicate_total');
  const first = await postEvents(ndjson([p, p]));
  t.match(
    first.json(),
    { accepted: 2, duplicates: 1 },
    'a repeat inside one request is counted in the reply',
  );
  const again = await postEvents(ndjson([p]));
  t.match(again.json(), { accepted: 1, duplicates: 0 }, 'a repeat across requests is dropped by stage 2');
  const dropped = await eventually(async () => {
    const n = (await metricValue(running, 'pulsewatch_events_duplicate_total')) - before;
    return n >= 2 ? n : undefined;
  });
  t.equal(dropped, 2, 'one repeat dropped at ingest, one in stage 2');
});

t.test('GET /v1/brands/:brand/metrics returns the aggregates of posted events', async (t) => {
  // Event time near now: earlier tests moved the partitions' watermarks to now.
  const from = Math.floor(Date.now() / 60_000) * 60_000;
  const ts = from + 1000;
  const lines = [
    post({ ts, text: 'Harbor Brew is awesome, love it', author: { id: 'hb1' } }),
    post({ ts: ts + 1000, text: 'Harbor Brew is terrible, worst coffee', author: { id: 'hb2' } }),
    post({
      ts: ts + 2000,
      text: '#harborbrew opens at 9',
      author: { id: 'hb1' },
      engagement: { likes: 4, shares: 2, replies: 1 },
    }),
  ];
  await postEvents(ndjson(lines));
  const w = await eventually(async () => {
    const res = await app.inject({
      url: `/v1/brands/harbor-brew/metrics?window=1m&from=${from}&to=${from + 60_000}`,
    });
    const windows = res.json().windows;
    return windows.length === 1 && windows[0].posts === 3 ? windows[0] : undefined;
  });
  t.match(w, {
    brand: 'Harbor Brew',
    window: '1m',
    start: from,
    posts: 3,
    positive: 1,
    negative: 1,
    neutral: 1,
    authors: 2,
    likes: 6,
    shares: 2,
    replies: 1,
  });
  const hour = Math.floor(from / 3_600_000) * 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const byName = await app.inject({
    url: `/v1/brands/Harbor%20Brew/metrics?window=1h&from=${iso(hour)}&to=${iso(hour + 3_600_000)}`,
  });
  t.equal(byName.statusCode, 200, 'a brand can be named by its name and times given as ISO 8601');
  t.equal(byName.json().windows[0]?.posts, 3);
});

t.test('metrics query errors carry stable codes', async (t) => {
  const cases: [string, number, string][] = [
    ['/v1/brands/nope/metrics', 404, 'UNKNOWN_BRAND'],
    ['/v1/brands/harbor-brew/metrics?window=7m', 400, 'INVALID_WINDOW'],
    ['/v1/brands/harbor-brew/metrics?from=yesterday', 400, 'INVALID_RANGE'],
    ['/v1/brands/harbor-brew/metrics?from=2000&to=1000', 400, 'INVALID_RANGE'],
    ['/v1/brands/harbor-brew/metrics?window=1m&from=0&to=1790000000000', 400, 'INVALID_RANGE'],
    ['/v1/nothing-here', 404, 'NOT_FOUND'],
  ];
  for (const [url, status, code] of cases) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, status, url);
    t.equal(res.json().error.code, code, url);
    t.type(res.json().error.message, 'string');
  }
  t.ok(
    (await metricValue(running, 'pulsewatch_http_errors_total', { code: 'UNKNOWN_BRAND' })) >= 1,
    'errors counted by code',
  );
});

t.test('a malformed URL gets the API error body, not the one of Fastify', async (t) => {
  const before = await metricValue(running, 'pulsewatch_http_errors_total', { code: 'BAD_REQUEST' });
  // over a real connection too: Fastify answers these before routing
  for (const url of ['/v1/brands/%ZZ/metrics', '/v1/brands/harbor-brew%E0%A4%A/metrics']) {
    const res = await fetch(`${running.url}${url}`);
    t.equal(res.status, 400, url);
    t.match(res.headers.get('content-type'), /^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    t.same(Object.keys(body), ['error'], 'only the documented shape');
    t.match(body, {
      error: {
        code: 'BAD_REQUEST',
        message: /the URL is malformed: .* is not a valid url component/,
        retryable: false,
      },
    });
  }
  const injected = await app.inject({ url: '/v1/brands/%ZZ/metrics' });
  t.equal(injected.statusCode, 400);
  t.equal(injected.json().error.code, 'BAD_REQUEST');
  t.equal(
    (await metricValue(running, 'pulsewatch_http_errors_total', { code: 'BAD_REQUEST' })) - before,
    3,
    'counted by code',
  );
});

t.test('health, readiness, metrics and docs', async (t) => {
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  const ready = await app.inject({ url: '/readyz' });
  t.equal(ready.statusCode, 200);
  const metrics = await app.inject({ url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  for (const name of [
    'pulsewatch_events_in_total',
    'pulsewatch_events_rejected_total',
    'pulsewatch_events_late_total',
    'pulsewatch_window_updates_total',
    'pulsewatch_ws_clients',
    'pulsewatch_processing_lag_seconds',
  ]) {
    t.match(metrics.body, new RegExp(`# TYPE ${name} `), name);
  }
  const docs = await app.inject({ url: '/docs/json' });
  t.equal(docs.statusCode, 200);
  const spec = docs.json();
  t.ok(spec.paths['/v1/events'], 'ingest is documented');
  t.ok(spec.paths['/v1/brands/{brand}/metrics'], 'metrics query is documented');
  const ui = await app.inject({ url: '/docs/' });
  t.equal(ui.statusCode, 200);
  t.notMatch(ui.body, /https?:\/\/(cdn|unpkg)/, 'the docs page loads nothing from a CDN');
});

t.test('the live page and its chart library are served by the app', async (t) => {
  const page = await app.inject({ url: '/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.notMatch(page.body, /src="https?:/, 'no external scripts');
  const scripts = [...page.body.matchAll(/src="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  t.ok(scripts.length > 0, 'the page loads its script from /assets/');
  for (const src of scripts) {
    const js = await app.inject({ url: src });
    t.equal(js.statusCode, 200, src);
    t.match(js.headers['content-type'], /javascript/);
    t.match(js.headers['cache-control'], /immutable/, 'hashed names: cached for good');
  }
  const bundle = (await Promise.all(scripts.map((src) => app.inject({ url: src })))).map((r) => r.body);
  // uPlot's own class names survive minifying
  t.ok(
    bundle.some((b) => b.includes('u-legend')),
    'the chart library (uPlot, from npm) is bundled in',
  );
  for (const bad of ['/assets/nope.js', '/assets/..%2Fweb.tsbuildinfo', '/assets/a/b.js'])
    t.equal((await app.inject({ url: bad })).statusCode, 404, `${bad}: 404`);
});

t.test(
  'GET /v1/brands/:brand/activity: posts by hour of the week, through the activity operator',
  async (t) => {
    // A Wednesday 14:30 UTC a few weeks back; hour of week = 2 * 24 + 14.
    const wed = Date.UTC(2026, 10, 11, 14, 30);
    const before = (await app.inject({ url: '/v1/brands/bluebird-roasters/activity' })).json().hours[62];
    await postEvents(
      ndjson([
        post({
          ts: wed,
          text: 'Bluebird Roasters is awful, terrible service',
          engagement: { likes: 2, shares: 1, replies: 0 },
        }),
        post({
          ts: wed + 60_000,
          text: 'Bluebird Roasters is great',
          engagement: { likes: 4, shares: 0, replies: 1 },
        }),
      ]),
    );
    const hour = await eventually(async () => {
      const h = (await app.inject({ url: '/v1/brands/bluebird-roasters/activity' })).json().hours[62];
      return h.posts === before.posts + 2 ? h : undefined;
    });
    t.match(hour, { hour: 62, day: 'Wed', hour_of_day: 14 });
    t.equal(hour.negative - before.negative, 1, 'the negative post');
    t.equal(hour.engagement - before.engagement, 8, 'likes, shares and replies added up');
    const res = await app.inject({ url: '/v1/brands/bluebird-roasters/activity' });
    t.equal(res.json().hours.length, 168, 'every hour of the week, empty ones too');
    const unknown = await app.inject({ url: '/v1/brands/nobody/activity' });
    t.equal(unknown.statusCode, 404);
    t.equal(unknown.json().error.code, 'UNKNOWN_BRAND');
  },
);

t.test('--operators windows: no activity operator, no activity route', async (t) => {
  const only = await startTestApp(['--operators', 'windows']);
  t.teardown(() => only.stop());
  t.equal((await only.app.inject({ url: '/v1/brands/bluebird-roasters/activity' })).statusCode, 404);
  t.equal((await only.app.inject({ url: '/v1/brands/bluebird-roasters/metrics' })).statusCode, 200);
});

t.test('late events are counted and dead-lettered', async (t) => {
  // Its own server, which takes events two hours ahead: it moves one partition's watermark an hour
  // ahead of now.
  const running = await startTestApp(['--ingest-max-future-skew-s', '7200']);
  t.teardown(() => running.stop());
  const { app } = running;
  const postEvents = (body: string) => app.inject(ndjsonRequest('/v1/events', body));
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;
  const author = { id: 'late-author' }; // one author: one partition, one watermark
  await postEvents(ndjson([post({ ts: base + 10 * 60_000, text: 'Bluebird Roasters rocks', author })]));
  const before = await metricValue(running, 'pulsewatch_events_late_total', { window: '1m' });
  await postEvents(ndjson([post({ ts: base, text: 'Bluebird Roasters late post', author })]));
  await eventually(async () =>
    (await metricValue(running, 'pulsewatch_events_late_total', { window: '1m' })) > before
      ? true
      : undefined,
  );
  t.ok(
    await metricValue(running, 'pulsewatch_dead_letters_total', { stage: 'aggregate', reason: 'late_event' }),
  );
  const hour = await app.inject({
    url: `/v1/brands/bluebird-roasters/metrics?window=1h&from=${base}&to=${base + 3_600_000}`,
  });
  t.equal(hour.json().windows[0]?.posts, 2, 'the hour window was still open and counts it');
});
