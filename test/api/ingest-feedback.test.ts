import t from 'tap';
import { gzipSync } from 'node:zlib';
import { metricValue, ndjson, ndjsonRequest, startTestApp } from '../helpers/app.js';

const running = await startTestApp();
t.teardown(() => running.stop());
const { app } = running;

let n = 0;
const feedback = (over: Record<string, unknown> = {}) => ({
  campaign: 'spring-sale',
  arm: 'banner-b',
  decision_id: `d-${process.pid}-${++n}`,
  kind: 'click',
  ts: Date.now(),
  ...over,
});

const send = (body: string | Buffer, headers: Record<string, string> = {}) =>
  app.inject(ndjsonRequest('/v1/feedback', body, headers));

t.test('POST /v1/feedback accepts each kind of FeedbackEvent', async (t) => {
  const before = await metricValue(running, 'pulsewatch_events_in_total', { kind: 'feedback' });
  const res = await send(
    ndjson([
      feedback({ kind: 'impression' }),
      feedback({ kind: 'click' }),
      feedback({ kind: 'conversion', value: 19.9 }),
      feedback({ kind: 'reward', value: 1, decision_id: undefined }),
    ]),
  );
  t.equal(res.statusCode, 202);
  t.same(res.json(), { accepted: 4, duplicates: 0, rejected: 0, errors: [] });
  t.equal(
    (await metricValue(running, 'pulsewatch_events_in_total', { kind: 'feedback' })) - before,
    4,
    'all four reached the bus',
  );
});

t.test('POST /v1/feedback rejects bad lines one by one with reasons, and dead-letters them', async (t) => {
  const rejectedBefore = await metricValue(running, 'pulsewatch_events_rejected_total');
  const lettersBefore = await metricValue(running, 'pulsewatch_dead_letters_total', { stage: 'ingest' });
  const res = await send(
    ndjson([
      feedback(),
      feedback({ kind: 'like' }),
      '{"campaign": ',
      { arm: 'a', kind: 'click', ts: 1 },
      feedback({ value: 'lots' }),
      { id: 'p1', source: 'x', ts: 1, text: 'a social event on the feedback route' },
      feedback({ value: 1e300 }),
    ]),
  );
  t.equal(res.statusCode, 202);
  const r = res.json();
  t.equal(r.accepted, 1, 'the valid line of a mixed batch is kept');
  t.equal(r.rejected, 6);
  t.same(
    r.errors.map((e: { line: number; reason: string }) => [e.line, e.reason]),
    [
      [2, 'schema'],
      [3, 'invalid_json'],
      [4, 'schema'],
      [5, 'schema'],
      [6, 'schema'],
      [7, 'schema'],
    ],
  );
  t.match(r.errors[0].detail, /\/kind/, 'the detail names the field');
  t.match(r.errors[2].detail, /campaign/);
  t.equal((await metricValue(running, 'pulsewatch_events_rejected_total')) - rejectedBefore, 6, 'counted');
  t.equal(
    (await metricValue(running, 'pulsewatch_dead_letters_total', { stage: 'ingest' })) - lettersBefore,
    6,
    'and dead-lettered',
  );
});

t.test('POST /v1/feedback counts repeats of a decision as duplicates', async (t) => {
  const once = feedback({ kind: 'conversion' });
  const first = await send(ndjson([once]));
  t.match(first.json(), { accepted: 1, duplicates: 0 });
  const again = await send(ndjson([once]));
  t.match(again.json(), { accepted: 1, duplicates: 1 }, 'the same decision and kind is stored once');
});

t.test('POST /v1/feedback takes gzip and has the same content checks as /v1/events', async (t) => {
  const gz = await send(gzipSync(ndjson([feedback(), feedback()])), { 'content-encoding': 'gzip' });
  t.equal(gz.statusCode, 202);
  t.equal(gz.json().accepted, 2);
  const xml = await send('<a/>', { 'content-type': 'application/xml' });
  t.equal(xml.statusCode, 415);
  t.equal(xml.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
  const empty = await send('');
  t.equal(empty.statusCode, 202);
  t.same(empty.json(), { accepted: 0, duplicates: 0, rejected: 0, errors: [] });
  for (const url of ['/v1/events', '/v1/feedback']) {
    const big = await app.inject(ndjsonRequest(url, Buffer.alloc(11 * 1024 * 1024, 0x20)));
    t.equal(big.statusCode, 413, `${url}: over the default 10 MiB`);
    t.equal(big.json().error.code, 'BODY_TOO_LARGE');
  }
  t.equal(
    await metricValue(running, 'pulsewatch_ingest_requests_total', {
      route: 'feedback',
      key: '-',
      status: '202',
    }),
    6,
    'feedback requests are counted by route and status',
  );
});

t.test('both ingest routes are in the OpenAPI document with their error replies', async (t) => {
  const spec = (await app.inject({ url: '/docs/json' })).json();
  for (const path of ['/v1/events', '/v1/feedback']) {
    const op = spec.paths[path]?.post;
    t.ok(op, `${path} is documented`);
    for (const status of ['202', '400', '401', '413', '415', '429'])
      t.ok(op?.responses?.[status], `${path} ${status}`);
  }
  t.match(spec.paths['/v1/feedback'].post.description, /FeedbackEvent/);
});
