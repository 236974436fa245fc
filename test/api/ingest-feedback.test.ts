import t from 'tap';
import { gzipSync } from 'node:zlib';
import { eventually, metricValue, ndjson, ndjsonRequest, startTestApp } from '../helpers/app.js';

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
      feedback({ decision_id: undefined, id: '' }),
      feedback({ decision_id: undefined, id: 'x'.repeat(257) }),
    ]),
  );
  t.equal(res.statusCode, 202);
  const r = res.json();
  t.equal(r.accepted, 1, 'the valid line of a mixed batch is kept');
  t.equal(r.rejected, 8);
  t.same(
    r.errors.map((e: { line: number; reason: string }) => [e.line, e.reason]),
    [
      [2, 'schema'],
      [3, 'invalid_json'],
      [4, 'schema'],
      [5, 'schema'],
      [6, 'schema'],
      [7, 'schema'],
      [8, 'schema'],
      [9, 'schema'],
    ],
  );
  t.match(r.errors[0].detail, /\/kind/, 'the detail names the field');
  t.match(r.errors[2].detail, /campaign/);
  t.match(r.errors[6].detail, /^\/id: /, 'an empty id');
  t.match(r.errors[7].detail, /^\/id: /, 'an id over 256 characters');
  t.equal((await metricValue(running, 'pulsewatch_events_rejected_total')) - rejectedBefore, 8, 'counted');
  t.equal(
    (await metricValue(running, 'pulsewatch_dead_letters_total', { stage: 'ingest' })) - lettersBefore,
    8,
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

t.test('POST /v1/feedback counts repeats of an id (lines without a decision id) as duplicates', async (t) => {
  const campaign = `c-ids-${process.pid}`;
  const created = await app.inject({
    method: 'POST',
    url: '/v1/campaigns',
    payload: { id: campaign, arms: ['a', 'b'] },
  });
  t.equal(created.statusCode, 201, created.body);
  const line = (over: Record<string, unknown>) =>
    feedback({ campaign, arm: 'a', decision_id: undefined, kind: 'impression', ...over });
  // odd ids too: their keys are NATS message ids (no CR/LF, not trimmed)
  const ids = ['imp-1', 'imp 2\n', 'imp 2'];
  const first = await send(ndjson(ids.map((id) => line({ id }))));
  t.same(first.json(), { accepted: 3, duplicates: 0, rejected: 0, errors: [] });
  const retry = await send(ndjson([...ids.map((id) => line({ id })), line({ id: 'imp-1', kind: 'click' })]));
  t.same(
    retry.json(),
    { accepted: 4, duplicates: 4, rejected: 0, errors: [] },
    'a retry is accepted and counted as duplicates; the same id with another kind is the same event',
  );
  t.same(
    (await send(ndjson([line({ campaign: 'other', id: 'imp-1' })]))).json(),
    { accepted: 1, duplicates: 0, rejected: 0, errors: [] },
    'ids are per campaign',
  );
  // Then one more impression, of arm b: once stage 2 has counted it, it has counted what came before.
  await send(ndjson([line({ arm: 'b', id: 'imp-b' })]));
  const arms = await eventually(
    async () => {
      const s = (await app.inject({ url: `/v1/campaigns/${campaign}` })).json();
      const roi = (await app.inject({ url: `/v1/campaigns/${campaign}/roi` })).json();
      const b = (x: { arms?: { arm: string; pulls?: number; impressions?: number }[] }) =>
        x.arms?.find((a) => a.arm === 'b');
      return b(s)?.pulls === 1 && b(roi)?.impressions === 1 ? { s, roi } : undefined;
    },
    10_000,
    'the impression of arm b in the arm statistics and the windows',
  );
  const a = (x: { arms: { arm: string }[] }) => x.arms.find((r) => r.arm === 'a');
  t.match(a(arms.s), { pulls: 3, observations: 3 }, 'stored once: each id one pull');
  t.match(a(arms.roi), { impressions: 3, clicks: 0 }, 'and one impression in the windows');
});

t.test('POST /v1/feedback de-duplicates by decision id before id: decision keys are as before', async (t) => {
  const decision_id = `d-${process.pid}-${++n}`;
  const first = await send(ndjson([feedback({ decision_id, id: 'x-1' })]));
  t.match(first.json(), { accepted: 1, duplicates: 0 });
  const again = await send(ndjson([feedback({ decision_id, id: 'x-2' }), feedback({ decision_id })]));
  t.match(again.json(), { accepted: 2, duplicates: 2 }, 'the decision and kind decide, whatever the id');
  const other = await send(ndjson([feedback({ decision_id: `${decision_id}-b`, id: 'x-1' })]));
  t.match(other.json(), { accepted: 1, duplicates: 0 }, 'another decision with the same id is not a repeat');
});

t.test('POST /v1/feedback takes gzip and has the same content checks as /v1/events', async (t) => {
  const accepted = () =>
    metricValue(running, 'pulsewatch_ingest_requests_total', { route: 'feedback', key: '-', status: '202' });
  const before = await accepted();
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
  t.equal((await accepted()) - before, 2, 'feedback requests are counted by route and status');
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
