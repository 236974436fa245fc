import t, { type Test } from 'tap';
import { EmailChannel, type DeliveryEvent } from '../../api/alerts/index.js';
import type { AlertRecord } from '../../stream/index.js';
import {
  alertRecord,
  closedPort,
  smtpServer,
  subscriptionOf,
  testNotifier,
} from '../helpers/alert-delivery.js';

/**
 * A notifier with the e-mail channel and one subscription (two recipients) on the SMTP server at
 * `url`, once it has handled `alert` to the end of its deliveries; with the delivery events it reported.
 */
async function deliver(t: Test, url: string, alert: AlertRecord = alertRecord()) {
  const email = new EmailChannel({ url, from: 'Pulsewatch <alerts@pulsewatch.test>', timeoutMs: 2000 });
  t.teardown(() => email.close());
  const h = testNotifier(t, { channels: { email } });
  const sub = subscriptionOf({ target: { type: 'email', to: ['ops@example.com', 'pr@example.com'] } });
  await h.store.createSubscription(sub);
  const seen: DeliveryEvent[] = [];
  h.events.on('delivery', (e) => seen.push(e));
  await h.notifier.handle(alert);
  await h.notifier.idle();
  return { ...h, sub, seen, outcomes: () => seen.map((e) => `${e.outcome}@${e.attempt}`) };
}

t.test('an alert e-mail reaches the SMTP server, with its subject, body and ids', async (t) => {
  const smtp = await smtpServer(t);
  const h = await deliver(t, smtp.url, alertRecord({ severity: 'high' }));
  t.same(h.outcomes(), ['delivered@1']);
  t.equal(smtp.messages.length, 1);
  const m = smtp.messages[0]!;
  t.equal(m.from, 'alerts@pulsewatch.test');
  t.same(m.to, ['ops@example.com', 'pr@example.com']);
  t.match(m.raw, /^Subject: \[Pulsewatch\] HIGH Negative share spike: Northwind Coffee\r$/m);
  t.match(m.raw, /^X-Pulsewatch-Alert-Id: northwind-coffee:negative_share:1795480000000\r$/im);
  t.match(m.raw, /^X-Pulsewatch-Event: alert\.opened\r$/im);
  t.match(m.raw, /^Message-ID: <dlv_[0-9a-f]{32}@pulsewatch>\r$/im, 'the same on every attempt');
  t.match(m.raw, '42.0%');
  t.match(m.raw, 'Top negative terms: cold, refund, burnt');
  t.match(m.raw, 'Burnt coffee <again> & cold');
});

t.test('a server that refuses for now (451) is retried, then dead-lettered', async (t) => {
  const smtp = await smtpServer(t, {
    onRcptTo(_address, _session, done) {
      done(Object.assign(new Error('Try again later'), { responseCode: 451 }));
    },
  });
  const h = await deliver(t, smtp.url);
  t.same(h.outcomes(), ['failed@1', 'retried@1', 'failed@2', 'retried@2', 'failed@3', 'dead_lettered@3']);
  t.equal(smtp.messages.length, 0);
  t.equal(h.deadLetters.sent.length, 1);
  t.match(h.deadLetters.sent[0], {
    stage: 'alert-delivery',
    reason: 'delivery_failed',
    source: 'email',
    payload: { channel: 'email', target: 'ops@example.com, pr@example.com', attempts: 3 },
  });
  t.match(h.deadLetters.sent[0]!.detail, /451/);
  t.same(h.events.counts.email, { delivered: 0, failed: 3, retried: 2, dead_lettered: 1 });
});

t.test('a permanent refusal (550) is not retried', async (t) => {
  const smtp = await smtpServer(t, {
    onRcptTo(_address, _session, done) {
      done(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
    },
  });
  const h = await deliver(t, smtp.url);
  t.same(h.outcomes(), ['failed@1', 'dead_lettered@1']);
});

t.test('an SMTP server that refuses connections is retried, then dead-lettered', async (t) => {
  const h = await deliver(t, `smtp://127.0.0.1:${await closedPort()}`);
  t.same(h.outcomes(), ['failed@1', 'retried@1', 'failed@2', 'retried@2', 'failed@3', 'dead_lettered@3']);
  t.match(h.seen[0]!.error, /ECONNREFUSED/);
});
