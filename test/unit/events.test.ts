import t from 'tap';
import {
  eventKey,
  feedbackKey,
  MAX_TEXT_LENGTH,
  validateFeedbackEvent,
  validateSocialEvent,
} from '../../stream/index.js';
import { parseNdjson } from '../../ingest/index.js';

const valid = { id: 'p1', source: 'test', ts: Date.UTC(2026, 0, 1), author: { id: 'a' }, text: 'hello' };

t.test('a minimal social event validates and gets defaults', async (t) => {
  const v = validateSocialEvent(valid, 123_000_000_000_0);
  t.ok(v.ok);
  if (!v.ok) return;
  t.same(v.value.engagement, { likes: 0, shares: 0, replies: 0 });
  t.same(v.value.tags, { hashtags: [], mentions: [], urls: [] });
  t.equal(v.value.author.followers, 0);
  t.equal(v.value.received_ts, 1_230_000_000_000);
});

t.test('missing, mistyped and unknown fields are refused with the path', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ ...valid, id: undefined }, /id/],
    [{ ...valid, id: '' }, /\/id/],
    [{ ...valid, ts: '2026-01-01' }, /\/ts/],
    [{ ...valid, ts: 1.5 }, /\/ts/],
    [{ ...valid, ts: 12 }, /\/ts/],
    [{ ...valid, author: { id: 'a', followers: -1 } }, /\/author\/followers/],
    [{ ...valid, author: { id: 'a', followers: 1e308 } }, /\/author\/followers/],
    [{ ...valid, engagement: { likes: 2 ** 53 } }, /\/engagement\/likes/],
    [{ ...valid, engagement: { likes: 'many' } }, /\/engagement\/likes/],
    [{ ...valid, colour: 'red' }, /colour|additional/i],
    [null, /\//],
    [[1, 2], /\//],
    ['text', /\//],
  ];
  for (const [value, path] of cases) {
    const v = validateSocialEvent(value);
    t.notOk(v.ok, JSON.stringify(value));
    if (!v.ok) {
      t.equal(v.reason, 'schema');
      t.match(v.detail, path);
    }
  }
});

t.test('texts over the limit are refused as text_too_long', async (t) => {
  const v = validateSocialEvent({ ...valid, text: 'x'.repeat(MAX_TEXT_LENGTH + 1) });
  t.notOk(v.ok);
  if (!v.ok) t.equal(v.reason, 'text_too_long');
  t.ok(validateSocialEvent({ ...valid, text: 'x'.repeat(MAX_TEXT_LENGTH) }).ok);
});

t.test('feedback events', async (t) => {
  t.ok(validateFeedbackEvent({ campaign: 'c', arm: 'a', kind: 'click', ts: Date.UTC(2026, 0, 1) }).ok);
  const bad = validateFeedbackEvent({ campaign: 'c', arm: 'a', kind: 'like', ts: Date.UTC(2026, 0, 1) });
  t.notOk(bad.ok);
});

t.test('NDJSON lines are decoded one by one', async (t) => {
  const body = Buffer.concat([
    Buffer.from('{"a":1}\r\n\n   \n{"b":\n'),
    Buffer.from([0xc3, 0x28, 0x0a]), // invalid UTF-8
    Buffer.from('"x".repeat\n'),
    Buffer.from('{"c":"' + 'y'.repeat(100) + '"}'),
  ]);
  const lines = [...parseNdjson(body, 64)];
  t.same(
    lines.map((l) => [l.line, l.ok ? 'ok' : l.reason]),
    [
      [1, 'ok'],
      [4, 'invalid_json'],
      [5, 'invalid_utf8'],
      [6, 'invalid_json'],
      [7, 'line_too_long'],
    ],
  );
  t.same(lines[0]!.ok && lines[0]!.value, { a: 1 });
  t.same([...parseNdjson(Buffer.alloc(0), 10)], []);
});

t.test('dedup keys: different pairs never make one key; usual ones are as before', async (t) => {
  t.not(eventKey({ source: 'a:b', id: 'c' }), eventKey({ source: 'a', id: 'b:c' }));
  t.not(eventKey({ source: 'a%3Ab', id: 'c' }), eventKey({ source: 'a:b', id: 'c' }));
  t.equal(
    eventKey({ source: 'mastodon', id: '1:2' }),
    'mastodon:1:2',
    'keys of earlier releases still match',
  );
  const fb = (campaign: string, decision_id: string | undefined) =>
    feedbackKey({ campaign, decision_id, kind: 'click' });
  t.not(fb('a:b', 'c'), fb('a', 'b:c'));
  t.equal(fb('spring', 'd1'), 'spring:d1:click');
  t.equal(fb('spring', undefined), undefined, 'nothing to tell a repeat by');
});
