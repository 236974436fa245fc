import t from 'tap';
import { verifySignature, WebhookHeaders } from '../../api/index.js';
import { eventually, startTestApp } from '../helpers/app.js';
import { receiver, smtpServer } from '../helpers/alert-delivery.js';
import { postLines, spikeTraffic } from '../helpers/spike-traffic.js';

/**
 * Delivery end to end in the embedded default: subscriptions over REST, a spike in posted traffic,
 * and the alert arrives at a signed webhook and by e-mail, once per alert update.
 */
t.test('a spike reaches a signed webhook and an e-mail subscriber, once per update', async (t) => {
  const hook = await receiver(t, (_req, res) => res.writeHead(204).end());
  const smtp = await smtpServer(t);
  const running = await startTestApp([
    '--partitions',
    '2',
    '--smtp-url',
    smtp.url,
    '--smtp-from',
    'alerts@pulsewatch.test',
  ]);
  t.teardown(() => running.stop());
  const { app } = running;
  const secret = 'a-webhook-secret-long-enough';
  const created = await app.inject({
    method: 'POST',
    url: '/v1/alerts/subscriptions',
    payload: {
      brands: ['bluebird-roasters'],
      kinds: ['negative_share'],
      target: { type: 'webhook', url: hook.url, secret },
    },
  });
  t.equal(created.statusCode, 201, created.body);
  const mail = await app.inject({
    method: 'POST',
    url: '/v1/alerts/subscriptions',
    payload: {
      kinds: ['negative_count'],
      min_severity: 'low',
      target: { type: 'email', to: ['oncall@example.test'] },
    },
  });
  t.equal(mail.statusCode, 201, mail.body);
  const other = await app.inject({
    method: 'POST',
    url: '/v1/alerts/subscriptions',
    payload: { brands: ['northwind-coffee'], target: { type: 'webhook', url: `${hook.url}?other`, secret } },
  });
  t.equal(other.statusCode, 201);

  await postLines(app, spikeTraffic(Date.now(), 1).lines);

  const request = await eventually(async () => hook.requests[0], 30_000, 'the webhook to be called');
  const ts = Number(request.headers[WebhookHeaders.timestamp.toLowerCase()]);
  const signature = String(request.headers[WebhookHeaders.signature.toLowerCase()]);
  t.ok(verifySignature(secret, ts, request.body, signature, 300), 'the signature verifies');
  t.notOk(
    verifySignature('another-secret-entirely', ts, request.body, signature, 300),
    'not with another secret',
  );
  const body = JSON.parse(request.body) as { alert: { brand: string; kind: string; top_terms: string[] } };
  t.match(body.alert, { brand: 'Bluebird Roasters', kind: 'negative_share' });
  t.ok(
    hook.requests.every((r) => !r.url.includes('other')),
    'the other brand’s subscriber hears nothing',
  );

  const letter = await eventually(async () => smtp.messages[0], 30_000, 'the e-mail');
  t.same(letter.to, ['oncall@example.test']);
  t.match(letter.raw, /Bluebird Roasters/);

  // Posting the same traffic again (a client retrying) changes nothing: ids de-duplicate.
  const calls = hook.requests.length;
  const { alerts } = (
    await app.inject({ url: '/v1/alerts?brand=bluebird-roasters&kind=negative_share' })
  ).json() as {
    alerts: { id: string; update: number }[];
  };
  t.equal(alerts.length, 1, 'one alert for the spike and kind');
  const ids = hook.requests.map((r) => `${r.headers[WebhookHeaders.alertId.toLowerCase()]}`);
  t.equal(new Set(ids).size, 1, 'all webhook calls are about that one alert');
  t.ok(calls <= alerts[0]!.update + 1, 'at most one call per update');

  const acked = await app.inject({
    method: 'POST',
    url: `/v1/alerts/${encodeURIComponent(alerts[0]!.id)}/ack`,
    payload: { by: 'tester' },
  });
  t.equal(acked.statusCode, 200, acked.body);
  const after = (
    await app.inject({ url: '/v1/alerts?brand=bluebird-roasters&kind=negative_share' })
  ).json() as {
    alerts: { acked_by?: string }[];
  };
  t.equal(after.alerts[0]!.acked_by, 'tester', 'the acknowledgement shows in the history');
});
