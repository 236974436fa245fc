import t from 'tap';
import { Readable } from 'node:stream';
import { deflateSync, gzipSync } from 'node:zlib';
import { readBody } from '../../ingest/body.js';
import { ndjson, post, startTestApp } from '../helpers/app.js';

const LIMIT = 1024 * 1024;
const running = await startTestApp(['--ingest-body-limit', String(LIMIT)]);
t.teardown(() => running.stop());
const { app } = running;

/** gzip of 1 MiB of zeros: about 1 kB. Concatenated members are one valid gzip body. */
const BOMB_MEMBER = gzipSync(Buffer.alloc(1024 * 1024));

/** A body of `members` bomb members that counts how many of them were read. */
function bomb(members: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const stream = new Readable({
    read() {
      pulled++;
      this.push(pulled > members ? null : BOMB_MEMBER);
    },
  });
  return { stream, pulled: () => Math.min(pulled, members) };
}

const ingest = (body: Buffer | Readable, encoding?: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: {
      'content-type': 'application/x-ndjson',
      ...(encoding !== undefined && { 'content-encoding': encoding }),
    },
    payload: body,
  });

t.test('gzip and deflate bodies are accepted', async (t) => {
  const lines = ndjson([post(), post(), '{broken']);
  for (const [encoding, body] of [
    ['gzip', gzipSync(lines)],
    ['x-gzip', gzipSync(lines)],
    ['GZIP', gzipSync(lines)],
    ['deflate', deflateSync(lines)],
    ['identity', Buffer.from(lines)],
  ] as const) {
    const res = await ingest(body, encoding);
    t.equal(res.statusCode, 202, encoding);
    t.match(
      res.json(),
      { accepted: 2, rejected: 1, errors: [{ line: 3, reason: 'invalid_json' }] },
      encoding,
    );
  }
  const empty = await ingest(Buffer.alloc(0), 'gzip');
  t.equal(empty.statusCode, 202, 'an empty gzip body is an empty batch');
});

t.test('gzip over a real connection, as a client sends it', async (t) => {
  const res = await fetch(`${running.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    body: gzipSync(ndjson([post(), post()])),
  });
  t.equal(res.status, 202);
  t.match(await res.json(), { accepted: 2, rejected: 0 });
});

t.test('a corrupt or truncated compressed body is a 400', async (t) => {
  const good = gzipSync(ndjson([post()]));
  for (const [what, body, encoding] of [
    ['not gzip at all', Buffer.from(ndjson([post()])), 'gzip'],
    ['truncated gzip', good.subarray(0, good.length - 10), 'gzip'],
    ['gzip sent as deflate', good, 'deflate'],
  ] as const) {
    const res = await ingest(body, encoding);
    t.equal(res.statusCode, 400, what);
    t.equal(res.json().error.code, 'BAD_REQUEST', what);
    t.match(res.json().error.message, /body is corrupt/, what);
  }
});

t.test('an unknown Content-Encoding is a 415 with its own code', async (t) => {
  for (const encoding of ['br', 'compress', 'gzip, gzip', 'zstd']) {
    const res = await ingest(Buffer.from(ndjson([post()])), encoding);
    t.equal(res.statusCode, 415, encoding);
    t.equal(res.json().error.code, 'UNSUPPORTED_CONTENT_ENCODING', encoding);
  }
});

t.test('a gzip bomb gets 413 and is not inflated past the limit', async (t) => {
  const members = 1024; // 1 GiB inflated from about 1 MiB sent
  const body = bomb(members);
  const res = await ingest(body.stream, 'gzip');
  t.equal(res.statusCode, 413);
  t.equal(res.json().error.code, 'BODY_TOO_LARGE');
  t.match(res.json().error.message, /decompressed/);
  t.ok(body.pulled() < members / 8, `reading stopped early: ${body.pulled()} of ${members} members read`);

  const direct = bomb(members);
  await t.rejects(readBody(direct.stream, 'gzip', LIMIT), { code: 'BODY_TOO_LARGE' });
  t.ok(direct.pulled() < members / 8, `readBody stopped early: ${direct.pulled()} of ${members} read`);
  t.equal(direct.stream.destroyed, false, 'the request stream is left to answer on');

  const sane = await app.inject({ url: '/healthz' });
  t.equal(sane.statusCode, 200, 'still serving');
});

t.test('the limit applies to the body as sent, too', async (t) => {
  const res = await ingest(Buffer.alloc(LIMIT + 1, 0x20), 'identity');
  t.equal(res.statusCode, 413);
  t.equal(res.json().error.code, 'BODY_TOO_LARGE');
  const streamed = await ingest(Readable.from([Buffer.alloc(LIMIT), Buffer.alloc(10)]));
  t.equal(streamed.statusCode, 413, 'also without a Content-Length');
});
