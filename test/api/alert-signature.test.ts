import t from 'tap';
import { createHmac } from 'node:crypto';
import { signPayload, verifySignature } from '../../api/alerts/index.js';

const secret = 'whsec-0123456789abcdef';
const body = JSON.stringify({ type: 'alert.opened', alert: { id: 'northwind-coffee:volume:1795480000000' } });
const now = 1_795_480_123_000;
const ts = Math.floor(now / 1000);

t.test('the signature is HMAC-SHA256 over "<timestamp>.<body>", as v1=<hex>', async (t) => {
  const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  t.equal(signPayload(secret, ts, body), `v1=${expected}`);
});

t.test('a good signature verifies, from a string or the raw bytes', async (t) => {
  const sig = signPayload(secret, ts, body);
  t.ok(verifySignature(secret, String(ts), body, sig, 300, now));
  t.ok(verifySignature(secret, ts, Buffer.from(body), sig, 300, now));
  t.ok(verifySignature(secret, String(ts), body, `v1=${'0'.repeat(64)}, ${sig}`, 300, now), 'one of several');
});

t.test('a tampered body, a wrong secret or another timestamp fails', async (t) => {
  const sig = signPayload(secret, ts, body);
  t.notOk(verifySignature(secret, String(ts), body.replace('opened', 'resolved'), sig, 300, now), 'body');
  t.notOk(verifySignature(`${secret}x`, String(ts), body, sig, 300, now), 'secret');
  t.notOk(verifySignature(secret, String(ts + 1), body, sig, 300, now), 'timestamp is signed too');
  t.notOk(verifySignature(secret, String(ts), body, sig.slice(0, -2), 300, now), 'truncated');
  t.notOk(verifySignature(secret, String(ts), body, sig.replace('v1=', 'v0='), 300, now), 'version');
  t.notOk(verifySignature(secret, 'yesterday', body, sig, 300, now), 'not a number');
});

t.test('a stale or future timestamp fails, even when correctly signed', async (t) => {
  const old = ts - 301;
  t.notOk(verifySignature(secret, String(old), body, signPayload(secret, old, body), 300, now), 'stale');
  t.ok(
    verifySignature(secret, String(old), body, signPayload(secret, old, body), 600, now),
    'within a wider tolerance',
  );
  const ahead = ts + 301;
  t.notOk(verifySignature(secret, String(ahead), body, signPayload(secret, ahead, body), 300, now), 'future');
});
