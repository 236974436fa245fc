import t from 'tap';
import {
  eventKey,
  FEEDBACK_ID_KEY_PREFIX,
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

t.test('feedback ids: validated as other ids; empty or over 256 characters refused', async (t) => {
  const line = { campaign: 'c', arm: 'a', kind: 'click', ts: Date.UTC(2026, 0, 1) };
  for (const id of ['x', 'imp-42:retry', 'é 😀\n', 'x'.repeat(256)])
    t.ok(validateFeedbackEvent({ ...line, id }).ok, JSON.stringify(id));
  for (const id of ['', 'x'.repeat(257), 42, null]) {
    const v = validateFeedbackEvent({ ...line, id });
    t.notOk(v.ok, JSON.stringify(id));
    if (!v.ok) {
      t.equal(v.reason, 'schema');
      t.match(v.detail, /^\/id: /);
    }
  }
  // the id's limits are SocialEvent's
  t.notOk(validateSocialEvent({ ...valid, id: 'x'.repeat(257) }).ok);
  t.ok(validateSocialEvent({ ...valid, id: 'x'.repeat(256) }).ok);
});

t.test('feedback keys: decision id first (as before), then the id, then none', async (t) => {
  const base = { campaign: 'spring', kind: 'click' };
  t.equal(feedbackKey({ ...base, decision_id: 'd1' }), 'spring:d1:click');
  t.equal(
    feedbackKey({ ...base, decision_id: 'd1', id: 'e-7' }),
    'spring:d1:click',
    'with a decision id, the id changes nothing: keys saved before still match',
  );
  t.equal(feedbackKey({ campaign: 'a:b%', decision_id: 'x:y', kind: 'reward' }), 'a%3Ab%25:x:y:reward');
  t.equal(feedbackKey({ ...base, id: 'e-7' }), '%id:spring:e-7');
  t.equal(feedbackKey({ campaign: 'a:b', kind: 'click', id: 'c:d' }), '%id:a%3Ab:c:d');
  t.equal(FEEDBACK_ID_KEY_PREFIX, '%id:');
  t.equal(feedbackKey({ ...base, kind: 'impression', id: 'e-7' }), '%id:spring:e-7', 'whatever the kind');
  t.not(feedbackKey({ ...base, id: 'e-7' }), feedbackKey({ campaign: 'autumn', kind: 'click', id: 'e-7' }));
  t.equal(feedbackKey(base), undefined, 'nothing to tell a repeat by');
  t.equal(feedbackKey({ ...base, id: 'a:b/c_d.e-1' }), '%id:spring:a:b/c_d.e-1', 'usual ids as they are');
  t.equal(feedbackKey({ ...base, id: 'a %\n\u00e9\u{1f600}' }), '%id:spring:a%20%25%0A%E9%uD83D%uDE00');
});

t.test(
  'feedback keys: no two identities make one key, and every id key is a NATS header value',
  async (t) => {
    // Pieces that could fool a naive key: separators, escapes, prefixes, whitespace, non-ASCII.
    const pieces = [
      '',
      'a',
      ':',
      '%',
      '%3A',
      '%25',
      '%id',
      'id',
      'fb',
      ' ',
      '\n',
      '\r',
      'é',
      '\ud800',
      'click',
    ];
    let x = 7; // mulberry32
    const rnd = (n: number) => {
      x = (x + 0x6d2b79f5) | 0;
      let r = Math.imul(x ^ (x >>> 15), 1 | x);
      r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
      return Math.floor((((r ^ (r >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    const str = () => {
      let s = '';
      for (let i = 1 + rnd(4); i > 0; i--) s += pieces[rnd(pieces.length)];
      return s.length > 0 ? s : 'z';
    };
    const kinds = ['impression', 'click', 'conversion', 'reward'];
    const byKey = new Map<string, string>();
    let collisions = 0;
    for (let i = 0; i < 20_000; i++) {
      const campaign = str();
      const e =
        rnd(2) === 0
          ? { campaign, decision_id: str(), kind: kinds[rnd(4)]! }
          : { campaign, id: str(), kind: kinds[rnd(4)]! };
      // what the line is: the decision and kind, or the id whatever the kind
      const identity = JSON.stringify(
        'decision_id' in e ? [e.campaign, e.decision_id, e.kind] : [e.campaign, e.id],
      );
      const key = feedbackKey(e)!;
      const seen = byKey.get(key);
      if (seen !== undefined && seen !== identity) collisions++;
      byKey.set(key, identity);
      if ('id' in e && !/^%id:[\x21-\x7e]+$/.test(key)) t.fail(`not a header value: ${JSON.stringify(key)}`);
      // stage 2's position keys: fb:<partition>:<seq>:<line>
      if (/^fb:\d+:\d+:\d+$/.test(key)) t.fail(`looks like a position key: ${key}`);
    }
    t.equal(collisions, 0, `${byKey.size} keys, no collision`);
    t.ok(byKey.size > 10_000, 'many distinct identities tried');
  },
);
