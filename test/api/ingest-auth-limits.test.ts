import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  ApiKeys,
  buildApi,
  Metrics,
  parsePlainKeys,
  plainKeyRecords,
  presentedKey,
} from '../../api/index.js';
import { loadApiKeys } from '../../app/api-keys.js';
import { loadConfig } from '../../app/config.js';
import { httpIngest } from '../../ingest/http.js';
import { EventIngestor } from '../../ingest/publisher.js';
import { RateLimiter } from '../../ingest/rate-limit.js';
import { DeadLetters, Instrumentation, MemoryBus, pipelineStreams } from '../../stream/index.js';
import { ndjson, post } from '../helpers/app.js';

const KEYS = { crm: 'crm-0123456789abcdef-secret', etl: 'etl-fedcba9876543210-secret' };
const KEY_LIST = Object.entries(KEYS)
  .map(([name, key]) => `${name}:${key}`)
  .join(',');

/** Keys in the `name:key` form kept from before scoped keys: each gets scope `ingest`. */
const plainKeys = (list: string) => new ApiKeys(plainKeyRecords(parsePlainKeys(list), ['ingest']));

/**
 * The API with HTTP ingest on an in-process bus, built by hand so that the test owns the log
 * output and the rate limiter's clock.
 */
async function build(o: {
  keys?: string;
  rate?: { ratePerSec: number; burst: number };
  maxBatchEvents?: number;
}) {
  const bus = new MemoryBus();
  for (const s of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(s);
  const instrumentation = new Instrumentation();
  const deadLetters = new DeadLetters(bus, instrumentation);
  const ingestor = new EventIngestor({ bus, partitions: 2, deadLetters, instrumentation });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const metrics = new Metrics({ defaultMetrics: false });
  const app = await buildApi({
    version: 'test',
    metrics,
    notReady: () => null,
    apiKeys: plainKeys(o.keys ?? ''),
    logger: pino({ level: 'trace' }, sink),
  });
  let now = 1_000_000;
  const published = { events: 0 };
  instrumentation.on('event.accepted', () => published.events++);
  instrumentation.on('event.rejected', () => published.events++);
  await app.register(httpIngest, {
    ingestor,
    bodyLimit: 1024 * 1024,
    maxLineBytes: 64 * 1024,
    maxBatchEvents: o.maxBatchEvents ?? 100,
    rateLimiter: o.rate && new RateLimiter({ ...o.rate, now: () => now }),
    onReply: (r) => metrics.ingestRequests.inc({ route: r.route, key: r.key, status: String(r.status) }),
  });
  await app.ready();
  const requests = async (labels: Record<string, string>) => {
    let total = 0;
    for (const v of (await metrics.ingestRequests.get()).values)
      if (Object.entries(labels).every(([k, want]) => String(v.labels[k as 'key']) === want))
        total += v.value;
    return total;
  };
  return {
    app,
    logs,
    published,
    requests,
    metrics,
    advance: (ms: number) => (now += ms),
  };
}

const postEvents = (
  app: Awaited<ReturnType<typeof build>>['app'],
  events: unknown[],
  headers: Record<string, string> = {},
  url = '/v1/events',
) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    body: ndjson(events),
  });

t.test('API keys: 401 without a valid key, 202 with either header form; health stays open', async (t) => {
  const s = await build({ keys: KEY_LIST });
  t.teardown(() => s.app.close());

  for (const url of ['/v1/events', '/v1/feedback']) {
    const missing = await postEvents(s.app, [post()], {}, url);
    t.equal(missing.statusCode, 401, `${url} without a key`);
    t.equal(missing.json().error.code, 'UNAUTHORIZED');
    t.equal(missing.json().error.retryable, false);
    t.match(missing.headers['www-authenticate'], /^Bearer/);
    t.match(missing.json().error.message, /Authorization: Bearer/, 'the message says what to send');
  }

  const wrong = await postEvents(s.app, [post()], { authorization: 'Bearer not-a-key-of-ours-at-all' });
  t.equal(wrong.statusCode, 401, 'a wrong key');
  t.match(wrong.headers['www-authenticate'], /error="invalid_token"/);
  const wrongHeader = await postEvents(s.app, [post()], { 'x-api-key': `${KEYS.crm}x` });
  t.equal(wrongHeader.statusCode, 401, 'a wrong X-API-Key');
  const basic = await postEvents(s.app, [post()], { authorization: `Basic ${KEYS.crm}` });
  t.equal(basic.statusCode, 401, 'another scheme is no key');
  t.equal(s.published.events, 0, 'nothing of a refused request is published or dead-lettered');

  const bearer = await postEvents(s.app, [post()], { authorization: `Bearer ${KEYS.crm}` });
  t.equal(bearer.statusCode, 202, 'Authorization: Bearer');
  t.equal(bearer.json().accepted, 1);
  const lower = await postEvents(s.app, [post()], { authorization: `bearer ${KEYS.etl}` });
  t.equal(lower.statusCode, 202, 'the scheme is case-insensitive');
  const header = await postEvents(s.app, [post()], { 'x-api-key': KEYS.etl });
  t.equal(header.statusCode, 202, 'X-API-Key');

  for (const url of ['/healthz', '/readyz', '/docs/json']) {
    t.equal((await s.app.inject({ url })).statusCode, 200, `${url} needs no key`);
  }
  const metrics = await s.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${KEYS.crm}` } });
  t.equal(metrics.statusCode, 403, '/metrics needs scope admin, which an ingest key lacks');
  t.equal(metrics.json().error.code, 'FORBIDDEN');

  t.equal(await s.requests({ key: '-', status: '401' }), 5, '401s are counted without a key name');
  t.equal(await s.requests({ key: 'crm', status: '202' }), 1, 'accepted requests by key name');
  t.equal(await s.requests({ key: 'etl', status: '202' }), 2);
  t.equal(await s.requests({ route: 'feedback', status: '401' }), 1, 'by route');
  const exposition = await s.metrics.registry.metrics();
  t.match(exposition, /pulsewatch_http_errors_total\{code="UNAUTHORIZED"\} 5/);
  t.notMatch(exposition, KEYS.crm, 'no key in /metrics');
});

t.test('logs name the key, never the key itself', async (t) => {
  const s = await build({ keys: KEY_LIST });
  t.teardown(() => s.app.close());
  const wrongKey = 'wrong-key-that-must-not-be-logged';
  await postEvents(s.app, [post()], { authorization: `Bearer ${KEYS.crm}` });
  await postEvents(s.app, [post()], { 'x-api-key': KEYS.etl });
  await postEvents(s.app, [post()], { authorization: `Bearer ${wrongKey}` });
  const inUrl = 'url-key-that-must-not-be-logged';
  const res = await postEvents(s.app, [post()], {}, `/v1/events?api_key=${inUrl}`);
  t.equal(res.statusCode, 401, 'a key in the URL does not count on ingest');
  const text = s.logs.join('');
  t.match(text, /"apiKey":"crm"/, 'the name of the key is logged');
  t.match(text, /"apiKey":"etl"/);
  t.match(text, /request refused: an unknown API key/, 'a refused request is logged');
  t.match(text, /"url":"\/v1\/events\?api_key=\[redacted\]"/, 'the request log leaves the key out');
  for (const secret of [...Object.values(KEYS), wrongKey, inUrl])
    t.notMatch(text, secret, 'no key in the logs');
});

t.test('without keys ingest is open and limits by client address', async (t) => {
  const s = await build({ rate: { ratePerSec: 10, burst: 10 } });
  t.teardown(() => s.app.close());
  const res = await postEvents(
    s.app,
    Array.from({ length: 10 }, () => post()),
  );
  t.equal(res.statusCode, 202, 'no key needed');
  const other = await s.app.inject({
    method: 'POST',
    url: '/v1/events',
    remoteAddress: '10.9.8.7',
    headers: { 'content-type': 'application/x-ndjson' },
    body: ndjson([post()]),
  });
  t.equal(other.statusCode, 202, 'another address has its own bucket');
  const again = await postEvents(s.app, [post()]);
  t.equal(again.statusCode, 429, 'the first address is out of tokens');
  t.equal(await s.requests({ key: '-', status: '429' }), 1);
});

t.test('rate limit: 429 with Retry-After, nothing published, accepted once the clock advances', async (t) => {
  const s = await build({ keys: KEY_LIST, rate: { ratePerSec: 5, burst: 10 } });
  t.teardown(() => s.app.close());
  const crm = { authorization: `Bearer ${KEYS.crm}` };
  const first = await postEvents(
    s.app,
    Array.from({ length: 8 }, () => post()),
    crm,
  );
  t.equal(first.statusCode, 202, '8 of a burst of 10');
  const before = s.published.events;

  const over = await postEvents(
    s.app,
    Array.from({ length: 7 }, () => post()),
    crm,
  );
  t.equal(over.statusCode, 429, '7 more do not fit in the 2 left');
  t.equal(over.json().error.code, 'RATE_LIMITED');
  t.equal(over.json().error.retryable, true);
  t.equal(over.headers['retry-after'], '1', '5 missing tokens at 5/s: 1 s');
  t.match(over.json().error.message, /key "crm"/, 'the message names the key');
  t.equal(s.published.events, before, 'nothing of the refused request was published');

  const bigger = await postEvents(
    s.app,
    Array.from({ length: 10 }, () => post()),
    crm,
  );
  t.equal(bigger.headers['retry-after'], '2', '8 missing tokens at 5/s: 1.6 s, rounded up');

  const etl = await postEvents(
    s.app,
    Array.from({ length: 10 }, () => post()),
    { 'x-api-key': KEYS.etl },
  );
  t.equal(etl.statusCode, 202, 'each key has its own bucket');

  s.advance(500);
  t.equal(
    (
      await postEvents(
        s.app,
        Array.from({ length: 7 }, () => post()),
        crm,
      )
    ).statusCode,
    429,
    'not yet',
  );
  s.advance(500);
  const later = await postEvents(
    s.app,
    Array.from({ length: 7 }, () => post()),
    crm,
  );
  t.equal(later.statusCode, 202, 'accepted once the clock has advanced by Retry-After');
  t.equal(later.json().accepted, 7);
  t.equal(await s.requests({ key: 'crm', status: '429' }), 3, 'every 429 is counted');
});

t.test('batch limit: a request over --ingest-max-batch-events is refused whole with 413', async (t) => {
  const s = await build({ maxBatchEvents: 5 });
  t.teardown(() => s.app.close());
  const five = await postEvents(s.app, [post(), '', post(), post(), '{bad', post()]);
  t.equal(five.statusCode, 202, 'five events (bad lines count, blank lines do not)');
  t.match(five.json(), { accepted: 4, rejected: 1 });
  const before = s.published.events;
  const six = await postEvents(
    s.app,
    Array.from({ length: 6 }, () => post()),
  );
  t.equal(six.statusCode, 413);
  t.equal(six.json().error.code, 'BATCH_TOO_LARGE');
  t.match(six.json().error.message, /limit is 5 /, 'the message says the limit');
  t.equal(s.published.events, before, 'nothing of it is published');
  const feedback = await postEvents(
    s.app,
    Array.from({ length: 6 }, () => ({})),
    {},
    '/v1/feedback',
  );
  t.equal(feedback.statusCode, 413, 'the same limit on /v1/feedback');
});

t.test(
  'a rate burst below the batch limit caps the events per request (413, so clients split)',
  async (t) => {
    const s = await build({ rate: { ratePerSec: 1, burst: 3 }, maxBatchEvents: 100 });
    t.teardown(() => s.app.close());
    const res = await postEvents(
      s.app,
      Array.from({ length: 4 }, () => post()),
    );
    t.equal(res.statusCode, 413, 'a request that could never fit the bucket');
    t.equal(res.json().error.code, 'BATCH_TOO_LARGE');
    t.match(res.json().error.message, /limit is 3 /);
  },
);

t.test('plain ingest key lists: flag and file forms, clear errors that never echo a key', async (t) => {
  t.same(parsePlainKeys(' crm : abcdefghijklmnop:q , etl:0123456789abcdef '), [
    { name: 'crm', key: 'abcdefghijklmnop:q' },
    { name: 'etl', key: '0123456789abcdef' },
  ]);
  t.same(parsePlainKeys(''), [], 'empty: no keys');
  t.throws(() => parsePlainKeys('crm-0123456789abcdef'), /expected name:key/);
  t.throws(() => parsePlainKeys('crm:short'), /at least 16 characters/);
  t.throws(() => parsePlainKeys('bad name:0123456789abcdef'), /key name/);
  t.throws(() => plainKeys('a:0123456789abcdef,a:0123456789abcdeg'), /listed twice/);
  t.throws(() => plainKeys('a:0123456789abcdef,b:0123456789abcdef'), /same key/);
  try {
    parsePlainKeys('secret-0123456789abcdef-without-name');
  } catch (err) {
    t.notMatch((err as Error).message, 'secret', 'the error does not echo the entry');
  }

  const dir = await mkdtemp(join(tmpdir(), 'pw-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'keys');
  await writeFile(
    file,
    '# ingest keys\n\ncrm:0123456789abcdef-crm\n  # rotated 2026-01\netl:0123456789abcdef-etl\n',
  );
  const settings = (ingestApiKeys: string, ingestApiKeysFile: string) =>
    loadApiKeys({ mode: 'embedded', insecure: false, apiKeysFile: '', ingestApiKeys, ingestApiKeysFile });
  const keys = await settings('web:0123456789abcdef-web', file);
  t.same(keys.names.sort(), ['crm', 'etl', 'web'], 'the flag and the file together');
  t.same(keys.find('0123456789abcdef-etl'), { name: 'etl', scopes: ['ingest'] }, 'scope ingest');
  t.equal(keys.find('0123456789abcdef-et'), undefined);
  await writeFile(file, 'crm:0123456789abcdef-crm\nnot a key line\n');
  await t.rejects(settings('', file), {
    name: 'ConfigError',
    message: new RegExp(`--ingest-api-keys-file ${file}: line 2: `),
  });
  await t.rejects(settings('', join(dir, 'missing')), { message: /cannot read/ });
  t.equal((await settings('', '')).size, 0);

  t.throws(
    () => loadConfig(['--ingest-api-keys', 'crm:0123456789abcdef,etl:tooshort'], {}),
    { name: 'ConfigError', message: /^--ingest-api-keys \/ PW_INGEST_API_KEYS: the key of "etl"/ },
    'a bad key list stops the start with a clear error',
  );
  t.throws(() => loadConfig([], { PW_INGEST_API_KEYS: 'a:0123456789abcdef,a:0123456789abcdeg' }), {
    message: /listed twice/,
  });
  t.match(
    loadConfig([], {}),
    {
      ingestApiKeys: '',
      ingestApiKeysFile: '',
      ingestMaxBatchEvents: 10_000,
      ingestRateLimit: 0,
      ingestRateBurst: 0,
    },
    'defaults: open, 10,000 events per request, no rate limit',
  );

  t.equal(presentedKey({ authorization: 'Bearer abc' }), 'abc');
  t.equal(presentedKey({ authorization: 'Bearer abc', 'x-api-key': 'def' }), 'abc', 'Authorization first');
  t.equal(presentedKey({ authorization: 'Basic abc', 'x-api-key': 'def' }), 'def');
  t.equal(presentedKey({}), undefined);
});
