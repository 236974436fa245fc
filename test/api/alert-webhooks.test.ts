import t from 'tap';
import { verifySignature, WebhookChannel, type DeliveryEvent } from '../../api/alerts/index.js';
import { retryAfter, type AlertRecord } from '../../stream/index.js';
import {
  alertRecord,
  closedPort,
  receiver,
  subscriptionOf,
  type ReceivedRequest,
  testNotifier,
} from '../helpers/alert-delivery.js';

const secret = 'whsec-0123456789abcdef';

/**
 * A notifier with the webhook channel and one subscription to `url`, once it has handled one alert
 * (`alert`, default alertRecord()) to the end of its deliveries; with the delivery events it reported.
 */
async function deliver(
  url: string,
  o: {
    format?: 'json' | 'slack';
    maxAttempts?: number;
    retryMaxMs?: number;
    alert?: AlertRecord;
    random?: () => number;
  } = {},
) {
  const h = testNotifier(t, {
    channels: { webhook: new WebhookChannel({ timeoutMs: 300 }) },
    ...(o.random && { random: o.random }),
    ...(o.maxAttempts !== undefined && { maxAttempts: o.maxAttempts }),
    ...(o.retryMaxMs !== undefined && { retryMaxMs: o.retryMaxMs }),
  });
  const sub = subscriptionOf({
    target: { type: 'webhook', url, secret, ...(o.format && { format: o.format }) },
  });
  await h.store.createSubscription(sub);
  const seen: DeliveryEvent[] = [];
  h.events.on('delivery', (e) => seen.push(e));
  await h.notifier.handle(o.alert ?? alertRecord());
  await h.notifier.idle();
  return { ...h, sub, seen };
}

const outcomes = (seen: DeliveryEvent[]) => seen.map((e) => `${e.outcome}@${e.attempt}`);
/** Whether a request's signature headers verify its body with the subscription's secret. */
const signed = (q: ReceivedRequest) =>
  verifySignature(
    secret,
    String(q.headers['x-pulsewatch-timestamp']),
    q.body,
    String(q.headers['x-pulsewatch-signature']),
  );

t.test('a JSON webhook: signed body, documented headers, verifiable by the receiver', async (t) => {
  const r = await receiver(t, (_req, res) => res.writeHead(204).end());
  const h = await deliver(r.url);
  t.equal(r.requests.length, 1);
  const req = r.requests[0]!;
  t.equal(req.method, 'POST');
  t.equal(req.headers['content-type'], 'application/json');
  t.equal(req.headers['x-pulsewatch-alert-id'], alertRecord().id);
  t.match(req.headers['x-pulsewatch-delivery'], /^dlv_[0-9a-f]{32}$/);
  t.equal(req.headers['x-pulsewatch-event'], 'alert.opened');
  t.equal(req.headers['x-pulsewatch-attempt'], '1');
  const ts = String(req.headers['x-pulsewatch-timestamp']);
  const sig = String(req.headers['x-pulsewatch-signature']);
  t.ok(verifySignature(secret, ts, req.body, sig, 300), 'the receiver can verify it');
  t.notOk(verifySignature('another-secret-entirely', ts, req.body, sig, 300));
  const body = JSON.parse(req.body);
  t.equal(body.type, 'alert.opened');
  t.equal(body.delivery_id, req.headers['x-pulsewatch-delivery']);
  t.equal(body.subscription_id, h.sub.id);
  t.same(body.alert, { ...alertRecord(), brand_id: 'northwind-coffee' });
  t.same(outcomes(h.seen), ['delivered@1']);
  t.equal(h.events.counts.webhook.delivered, 1);
});

t.test('500 then 200: retried, delivered once, the same delivery id on both attempts', async (t) => {
  const r = await receiver(t, (_req, res, i) => res.writeHead(i === 0 ? 500 : 200).end());
  const h = await deliver(r.url);
  t.equal(r.requests.length, 2);
  t.same(
    r.requests.map((q) => q.headers['x-pulsewatch-attempt']),
    ['1', '2'],
  );
  t.equal(r.requests[0]!.headers['x-pulsewatch-delivery'], r.requests[1]!.headers['x-pulsewatch-delivery']);
  for (const q of r.requests) t.ok(signed(q), 'each attempt is signed');
  t.same(outcomes(h.seen), ['failed@1', 'retried@1', 'delivered@2']);
  t.same(h.deadLetters.sent, []);
});

t.test('always 500: dead-lettered after the last attempt, with the reason and no secret', async (t) => {
  const r = await receiver(t, (_req, res) => res.writeHead(503).end('busy'));
  const h = await deliver(r.url.replace('/hook', '/services/T0/B0/secret-path'), { maxAttempts: 3 });
  t.equal(r.requests.length, 3);
  t.same(outcomes(h.seen), ['failed@1', 'retried@1', 'failed@2', 'retried@2', 'failed@3', 'dead_lettered@3']);
  t.equal(h.deadLetters.sent.length, 1);
  const letter = h.deadLetters.sent[0]!;
  t.equal(letter.stage, 'alert-delivery');
  t.equal(letter.reason, 'delivery_failed');
  t.equal(letter.source, 'webhook');
  t.match(letter.detail, /after 3 attempt\(s\): HTTP 503/);
  t.match(letter.payload, {
    subscription_id: h.sub.id,
    channel: 'webhook',
    alert_id: alertRecord().id,
    update: 0,
    notification: 'opened',
    attempts: 3,
    error: 'HTTP 503',
  });
  t.equal(letter.payload.target, new URL(r.url).origin, 'the URL path (a Slack secret) is left out');
  t.notMatch(JSON.stringify(letter), secret);
  t.equal(letter.msgId, `delivery:${letter.payload.delivery_id}`, 'a replayed dead letter is de-duplicated');
  t.same(h.events.counts.webhook, { delivered: 0, failed: 3, retried: 2, dead_lettered: 1 });
});

t.test(
  'a receiver down for the open (dead-lettered), then back: the next update is told as alert.opened',
  async (t) => {
    // The cooldown mark said the subscriber was told: the update after the receiver came back was
    // skipped as no change, and the subscriber never heard of the alert.
    let up = false;
    const r = await receiver(t, (_req, res) => (up ? res.writeHead(204).end() : res.writeHead(503).end()));
    const h = await deliver(r.url, { maxAttempts: 2 });
    t.same(outcomes(h.seen), ['failed@1', 'retried@1', 'failed@2', 'dead_lettered@2']);
    up = true;
    await h.notifier.handle(alertRecord({ update: 1, peak: 0.5 }));
    await h.notifier.idle();
    t.equal(r.requests.length, 3, 'the update after the receiver came back is sent');
    const req = r.requests[2]!;
    t.equal(req.headers['x-pulsewatch-event'], 'alert.opened');
    t.match(JSON.parse(req.body), { type: 'alert.opened', alert: { update: 1, severity: 'medium' } });
    t.same(outcomes(h.seen).slice(4), ['delivered@1']);
  },
);

t.test('a webhook that hangs times out, is retried, then dead-lettered', async (t) => {
  const r = await receiver(t, () => undefined);
  const h = await deliver(r.url, { maxAttempts: 2 });
  t.equal(r.requests.length, 2);
  t.same(outcomes(h.seen), ['failed@1', 'retried@1', 'failed@2', 'dead_lettered@2']);
  t.match(h.seen[0]!.error, /no response within 300 ms/);
});

t.test('a redirect is not followed: a failure, not retried', async (t) => {
  const elsewhere = await receiver(t, (_req, res) => res.writeHead(200).end());
  const r = await receiver(t, (_req, res) => res.writeHead(302, { location: elsewhere.url }).end());
  const h = await deliver(r.url);
  t.equal(r.requests.length, 1);
  t.equal(elsewhere.requests.length, 0, 'the redirect target is never called');
  t.same(outcomes(h.seen), ['failed@1', 'dead_lettered@1']);
  t.match(h.seen[0]!.error, /HTTP 302: redirect to .* not followed/);
});

t.test('another 4xx is not retried', async (t) => {
  const r = await receiver(t, (_req, res) => res.writeHead(410).end());
  const h = await deliver(r.url);
  t.equal(r.requests.length, 1);
  t.same(outcomes(h.seen), ['failed@1', 'dead_lettered@1']);
});

t.test('a connection refused is retried, then dead-lettered', async (t) => {
  const h = await deliver(`http://127.0.0.1:${await closedPort()}/hook`, { maxAttempts: 2 });
  t.same(outcomes(h.seen), ['failed@1', 'retried@1', 'failed@2', 'dead_lettered@2']);
  t.match(h.seen[0]!.error, /request failed: ECONNREFUSED/);
});

t.test("429 waits for the receiver's Retry-After (capped by the longest wait), then retries", async (t) => {
  const r = await receiver(t, (_req, res, i) =>
    i === 0
      ? res.writeHead(429, { 'retry-after': '0.05' }).end()
      : i === 1
        ? res.writeHead(429, { 'retry-after': '3600' }).end()
        : res.writeHead(200).end(),
  );
  const h = await deliver(r.url, { retryMaxMs: 80 });
  t.equal(r.requests.length, 3);
  t.same(outcomes(h.seen), ['failed@1', 'retried@1', 'failed@2', 'retried@2', 'delivered@3']);
  const waits = h.seen.filter((e) => e.outcome === 'retried').map((e) => e.delayMs);
  t.same(waits, [50, 80], 'Retry-After: 0.05 s is waited; an hour is capped at --alert-retry-max-ms');
});

t.test('format slack: a Slack-compatible { text, blocks } body, signed the same way', async (t) => {
  const r = await receiver(t, (_req, res) => res.writeHead(200).end('ok'));
  await deliver(r.url, { format: 'slack', alert: alertRecord({ severity: 'high' }) });
  const req = r.requests[0]!;
  t.ok(signed(req));
  const body = JSON.parse(req.body);
  t.same(Object.keys(body).sort(), ['blocks', 'text']);
  t.match(body.text, /^:rotating_light: HIGH Negative share spike: Northwind Coffee$/);
  t.equal(body.blocks[0].type, 'header');
  const all = JSON.stringify(body.blocks);
  t.match(all, '42.0%', 'the observed share');
  t.match(all, '10.0%', 'the baseline');
  t.match(all, 'cold, refund, burnt', 'top terms');
  t.match(all, 'Burnt coffee &lt;again&gt; &amp; cold', "a sample, escaped for Slack's mrkdwn");
  for (const b of body.blocks) t.ok(['header', 'section', 'context'].includes(b.type), `block ${b.type}`);
});

t.test(
  'a brand whose name is not Latin-1 (Škoda): delivered, its alert id percent-encoded in the header',
  async (t) => {
    const r = await receiver(t, (_req, res) => res.writeHead(204).end());
    const id = 'Škoda Auto 🚗:negative_share:1795480000000';
    const h = await deliver(r.url, { alert: alertRecord({ id, brand: 'Škoda Auto 🚗' }) });
    t.same(outcomes(h.seen), ['delivered@1'], 'not a failed request, retried and dead-lettered');
    t.equal(r.requests.length, 1);
    const header = String(r.requests[0]!.headers['x-pulsewatch-alert-id']);
    t.equal(
      header,
      '%C5%A0koda Auto %F0%9F%9A%97:negative_share:1795480000000',
      'ASCII as it is, the rest as UTF-8',
    );
    t.equal(decodeURIComponent(header), id, 'decodeURIComponent gives the id back');
    t.equal(JSON.parse(r.requests[0]!.body).alert.id, id, 'the body has it as it is');
    t.ok(signed(r.requests[0]!));
  },
);

t.test(
  'an ASCII alert id is sent as it is, but a % in it is encoded, so that decoding is exact',
  async (t) => {
    const r = await receiver(t, (_req, res) => res.writeHead(204).end());
    const id = '100% Juice:volume:1795480000000';
    await deliver(r.url, { alert: alertRecord({ id, brand: '100% Juice', kind: 'volume' }) });
    const header = String(r.requests[0]!.headers['x-pulsewatch-alert-id']);
    t.equal(header, '100%25 Juice:volume:1795480000000');
    t.equal(decodeURIComponent(header), id);
  },
);

t.test('429 with a Retry-After of "-1", or sent twice ("5, 5"): not called again at once', async (t) => {
  // Date.parse read both as dates in 2001: in the past, so a rate-limited receiver was called
  // again at once, attempt after attempt.
  const values = ['-1', '5, 5'];
  const r = await receiver(t, (_req, res, i) =>
    i < values.length ? res.writeHead(429, { 'retry-after': values[i]! }).end() : res.writeHead(200).end(),
  );
  const h = await deliver(r.url, { retryMaxMs: 80, random: () => 1 });
  t.equal(r.requests.length, 3);
  const waits = h.seen.filter((e) => e.outcome === 'retried').map((e) => e.delayMs);
  t.same(waits, [5, 80], '"-1": the backoff (5 ms here); "5, 5": 5 s, capped at 80 ms here');
});

t.test('retryAfter: seconds or an HTTP date; nothing else is taken for a date', async (t) => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  t.equal(retryAfter('120', now), 120_000);
  t.equal(retryAfter(' 0.5 ', now), 500);
  t.equal(retryAfter('5, 5', now), 5000, 'a header sent twice, joined');
  t.equal(retryAfter('Wed, 21 Oct 2015 07:29:00 GMT', now), 60_000, 'IMF-fixdate');
  t.equal(retryAfter('Wednesday, 21-Oct-15 07:29:00 GMT', now), 60_000, 'RFC 850');
  t.equal(retryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0, 'a date past: now');
  for (const bad of ['-1', '-0', '+5', '3600, -5', '1e3', 'soon', '', null])
    t.equal(retryAfter(bad, now), undefined, `${JSON.stringify(bad)} is unreadable: the backoff decides`);
});

t.test(
  'a URL with credentials (stored before they were refused): one failure, no password or path in the reports',
  async (t) => {
    // fetch refuses such a URL with an error that quotes it whole: every attempt failed, was retried,
    // and the dead letter, the delivery events and the log carried the password and the path.
    const r = await receiver(t, (_req, res) => res.writeHead(204).end());
    const url = r.url
      .replace('http://', 'http://ops:s3cret@')
      .replace('/hook', '/services/T0/B0/secret-path');
    const h = await deliver(url);
    t.equal(r.requests.length, 0);
    t.same(outcomes(h.seen), ['failed@1', 'dead_lettered@1'], 'a retry cannot change it');
    t.match(h.seen[0]!.error, /user name or password/);
    const reports = JSON.stringify([h.seen, h.deadLetters.sent]);
    t.notMatch(reports, 's3cret');
    t.notMatch(reports, 'secret-path');
  },
);
