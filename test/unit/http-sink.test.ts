import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { HttpSink, SinkRefusedError, type HttpSinkOptions } from '../../ingest/http-sink.js';
import { metricValue, post, startTestApp } from '../helpers/app.js';

const KEYS = {
  split: 'split-0123456789abcdef',
  rate: 'rate-0123456789abcdef',
  gzip: 'gzip-0123456789abcdef',
};

// A real listening Pulsewatch with keys, a batch limit of 3 events and 3 events/s (burst 6) per key.
const running = await startTestApp([
  '--ingest-api-keys',
  Object.entries(KEYS)
    .map(([name, key]) => `${name}:${key}`)
    .join(','),
  '--ingest-max-batch-events',
  '3',
  '--ingest-rate-limit',
  '3',
  '--ingest-rate-burst',
  '6',
]);
t.teardown(() => running.stop());

interface Call {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** An HttpSink on the running app that records each HTTP exchange. */
function sink(options: Partial<HttpSinkOptions> = {}) {
  const calls: Call[] = [];
  const retries: { reason: string; delayMs: number }[] = [];
  const s = new HttpSink({
    url: running.url,
    retries: 5,
    initialBackoffMs: 5,
    onRetry: (reason, _attempt, delayMs) => retries.push({ reason, delayMs }),
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      calls.push({
        status: res.status,
        headers: init?.headers as Record<string, string>,
        body: Buffer.from(init?.body as Uint8Array),
      });
      return res;
    },
    ...options,
  });
  return { s, calls, retries };
}

t.test('401: a missing or wrong key is a SinkRefusedError, not retried', async (t) => {
  for (const apiKey of [undefined, 'not-one-of-the-keys-at-all']) {
    const { s, calls } = sink(apiKey ? { apiKey } : {});
    const err = await s.submit([post()]).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(err, SinkRefusedError, apiKey ?? 'no key');
    t.match(err, { status: 401, code: 'UNAUTHORIZED' });
    t.equal(calls.length, 1, 'one attempt');
  }
});

t.test('413: a batch over the server limit is split until it fits; indexes stay right', async (t) => {
  const { s, calls } = sink({ apiKey: KEYS.split });
  const events = [post(), post(), post(), { ...post(), ts: 'soon' }, post()];
  const r = await s.submit(events);
  t.match(r, { accepted: 4, rejected: 1 });
  t.same(
    r.errors.map((e) => [e.index, e.reason]),
    [[3, 'schema']],
    'the error points at the event of the whole batch',
  );
  t.same(
    calls.map((c) => c.status),
    [413, 202, 202],
    'five events: 413 BATCH_TOO_LARGE, then three and two',
  );
});

t.test('429: retried after the Retry-After the server gives, then accepted', async (t) => {
  const { s, calls, retries } = sink({ apiKey: KEYS.rate });
  const three = () => [post(), post(), post()];
  t.match(await s.submit(three()), { accepted: 3 });
  t.match(await s.submit(three()), { accepted: 3 }, 'the burst of 6 is used up');
  const r = await s.submit(three());
  t.match(r, { accepted: 3 }, 'accepted after waiting');
  t.ok(retries.length >= 1, 'it was refused first');
  for (const retry of retries) {
    t.equal(retry.reason, 'HTTP 429 RATE_LIMITED');
    t.equal(retry.delayMs, 1000, "the wait is the server's Retry-After (3 events at 3/s), not the backoff");
  }
  t.equal(calls.at(-1)?.status, 202);
  t.ok(
    (await metricValue(running, 'pulsewatch_ingest_requests_total', { key: 'rate', status: '429' })) >= 1,
    'the server counted the 429 under the key name',
  );
});

t.test('gzip: bodies go compressed and the server takes them', async (t) => {
  const { s, calls } = sink({ apiKey: KEYS.gzip, gzip: true });
  const events = [post(), post()];
  t.match(await s.submit(events), { accepted: 2, rejected: 0 });
  t.equal(calls.length, 1);
  t.equal(calls[0]!.headers['content-encoding'], 'gzip');
  t.same(
    gunzipSync(calls[0]!.body)
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown),
    events,
    'the body is the gzip of the NDJSON lines',
  );
  const r = await s.submit([post(), post(), post(), post()]);
  t.match(r, { accepted: 4 }, 'the 413 split works on gzip bodies too');
});
