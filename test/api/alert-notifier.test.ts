import t, { type Test } from 'tap';
import {
  DeliveryError,
  DeliveryQueue,
  type Delivery,
  type DeliveryChannel,
  type SkipEvent,
} from '../../api/alerts/index.js';
import { AlertFeed } from '../../app/roles/alerts.js';
import {
  encodeJson,
  Instrumentation,
  MemoryAlertStateStore,
  MemoryBus,
  pipelineStreams,
  Subjects,
  type AlertSubscription,
} from '../../stream/index.js';
import { alertRecord, subscriptionOf, testNotifier } from '../helpers/alert-delivery.js';
import { eventually } from '../helpers/async.js';

/** A webhook channel that records what it is asked to send, and can be held or made to fail. */
function recordingChannel(o: { fail?: (d: Delivery) => DeliveryError | undefined } = {}) {
  const sent: Delivery[] = [];
  const holds = new Map<string, () => void>();
  const held = new Set<string>();
  const channel: DeliveryChannel = {
    name: 'webhook',
    async send(d) {
      if (held.has(d.subscription.id)) await new Promise<void>((r) => holds.set(d.subscription.id, r));
      const err = o.fail?.(d);
      if (err) throw err;
      sent.push(d);
    },
  };
  return {
    channel,
    sent,
    /** Deliveries to this subscription wait until released. */
    hold: (id: string) => held.add(id),
    release: (id: string) => {
      held.delete(id);
      holds.get(id)?.();
    },
    waiting: (id: string) => holds.has(id),
  };
}

async function setup(
  t: Test,
  subs: Partial<AlertSubscription>[],
  now = { t: 1_000_000 },
  fail?: (d: Delivery) => DeliveryError | undefined,
) {
  const rec = recordingChannel({ ...(fail && { fail }) });
  const store = new MemoryAlertStateStore({ now: () => now.t });
  const h = testNotifier(t, { store, channels: { webhook: rec.channel }, now: () => now.t });
  const created: AlertSubscription[] = [];
  for (const over of subs) {
    const s = subscriptionOf(over);
    await store.createSubscription(s);
    created.push(s);
  }
  const skipped: SkipEvent[] = [];
  h.events.on('skipped', (e) => skipped.push(e));
  const handle = async (...alerts: Parameters<typeof alertRecord>[0][]) => {
    for (const a of alerts) await h.notifier.handle(alertRecord(a));
    await h.notifier.idle();
  };
  /** What each subscription was sent, as `kind:severity@update`. */
  const sentTo = (s: AlertSubscription) =>
    rec.sent
      .filter((d) => d.subscription.id === s.id)
      .map((d) => `${d.notification}:${d.alert.severity}@${d.alert.update}`);
  return { ...h, rec, subs: created, skipped, handle, sentTo, now };
}

t.test('filters: brand by name or id, kinds, minimum severity', async (t) => {
  const s = await setup(t, [
    { brands: ['northwind-coffee'] },
    { brands: ['contoso-tea'] },
    { kinds: ['volume'] },
    { kinds: ['negative_share', 'negative_count'], min_severity: 'high' },
    { brands: [], kinds: [] },
  ]);
  const [byBrand, otherBrand, volumeOnly, highOnly, everything] = s.subs as [
    AlertSubscription,
    AlertSubscription,
    AlertSubscription,
    AlertSubscription,
    AlertSubscription,
  ];
  await s.handle({ brand: 'Northwind Coffee' }, { brand: 'northwind-coffee', id: 'b', kind: 'volume' });
  t.same(s.sentTo(byBrand), ['opened:medium@0', 'opened:medium@0'], 'the name and the id both match');
  t.same(s.sentTo(otherBrand), []);
  t.same(s.sentTo(volumeOnly), ['opened:medium@0']);
  t.same(s.sentTo(highOnly), [], 'medium is below high');
  t.same(s.sentTo(everything).length, 2);

  await s.handle({ update: 1, severity: 'critical' });
  t.same(
    s.sentTo(highOnly),
    ['opened:critical@1'],
    'told once the alert reaches its minimum: opened, for it',
  );
  t.same(s.sentTo(byBrand), ['opened:medium@0', 'opened:medium@0', 'escalated:critical@1']);
});

t.test('the same update handled twice, or concurrently, is notified once', async (t) => {
  const s = await setup(t, [{}, { kinds: ['negative_share'] }]);
  await s.handle({}, {});
  await Promise.all(
    Array.from({ length: 10 }, () => s.notifier.handle(alertRecord({ update: 1, severity: 'high' }))),
  );
  await s.notifier.idle();
  for (const sub of s.subs) t.same(s.sentTo(sub), ['opened:medium@0', 'escalated:high@1'], sub.id);
  t.equal(
    s.skipped.filter((e) => e.reason === 'duplicate').length,
    2 + 18,
    'the others are counted as duplicates',
  );
  t.equal(new Set(s.rec.sent.map((d) => d.id)).size, 4, 'one delivery id per (subscription, alert, update)');
});

t.test(
  'cooldown: one notification per alert; escalations at once; a new alert waits out the cooldown',
  async (t) => {
    const now = { t: 1_000_000 };
    const s = await setup(t, [{}], now);
    const sub = s.subs[0]!;
    await s.handle(
      {},
      { update: 1, severity: 'medium', peak: 0.5 },
      { update: 2, severity: 'high' },
      { update: 3, severity: 'medium' },
    );
    t.same(
      s.sentTo(sub),
      ['opened:medium@0', 'escalated:high@2'],
      'a new peak or a lower severity is not notified',
    );
    await s.handle({ update: 4, state: 'resolved', resolved_at: 1_795_480_300_000 });
    t.same(s.sentTo(sub).length, 2, 'the resolve is not notified without notify_resolved');

    // The cooldown (60 s here) runs in event time, from the notified update's updated_at.
    const at = 1_795_480_120_000 + 30_000;
    const next = 'northwind-coffee:negative_share:1795480900000';
    await s.handle(
      { id: next, severity: 'medium', updated_at: at },
      { id: next, update: 1, severity: 'high', updated_at: at },
    );
    t.same(
      s.sentTo(sub).length,
      2,
      'a new alert of the same brand and kind within the cooldown, at or below the last severity',
    );
    await s.handle({ id: next, update: 2, severity: 'critical', updated_at: at });
    t.same(s.sentTo(sub).at(-1), 'opened:critical@2', 'but a more severe one is told at once');

    const third = 'northwind-coffee:negative_share:1795490000000';
    await s.handle({ id: third, severity: 'low', updated_at: at + 60_000 });
    t.same(s.sentTo(sub).at(-1), 'opened:low@0', 'after the cooldown, any new alert is told');
    await s.handle({ id: third, update: 1, kind: 'volume', severity: 'low', updated_at: at + 60_000 });
    t.same(
      s.skipped.map((e) => e.reason),
      ['no_change', 'no_change', 'not_notified', 'cooldown', 'cooldown'],
    );
  },
);

t.test(
  'cooldown in event time: a backlog handled seconds apart still tells spikes hours apart',
  async (t) => {
    const s = await setup(t, [{}]);
    const sub = s.subs[0]!;
    const HOUR = 3_600_000;
    const first = 'northwind-coffee:negative_share:1795480000000';
    const later = 'northwind-coffee:negative_share:1795490800000';
    await s.handle(
      { id: first, updated_at: 1_795_480_000_000 },
      { id: first, update: 1, state: 'resolved', updated_at: 1_795_480_000_000 + HOUR / 3 },
      { id: later, opened_at: 1_795_490_800_000, updated_at: 1_795_490_800_000 },
    );
    t.same(s.sentTo(sub), ['opened:medium@0', 'opened:medium@0'], 'both spikes are told');
    t.same(
      s.skipped.map((e) => e.reason),
      ['not_notified'],
    );
  },
);

for (const when of ['before', 'after'] as const)
  t.test(
    `a store error ${when} the cooldown mark is written does not lose the notification of the update handled again`,
    async (t) => {
      const s = await setup(t, [{}]);
      const sub = s.subs[0]!;
      const updateMark = s.store.updateMark.bind(s.store);
      let failures = 1;
      // Before: the claim is given back. After (the mark's reply lost): the mark says what it decided.
      s.store.updateMark = async (key, decide) => {
        if (when === 'before' && failures-- > 0) throw new Error('Connection is closed.');
        const mark = await updateMark(key, decide);
        if (when === 'after' && failures-- > 0) throw new Error('Connection is closed.');
        return mark;
      };
      await t.rejects(s.handle({}), /Connection is closed/, 'the first handling fails (not acked)');
      await s.handle({});
      t.same(s.sentTo(sub), ['opened:medium@0'], 'the update handled again is notified');
      t.same(s.skipped, [], 'not skipped as a duplicate or as no change');
      await s.handle({});
      t.same(s.sentTo(sub).length, 1, 'a third handling is a duplicate');
    },
  );

t.test(
  'the store down for the cooldown mark and for giving the claim back: the update handled again is notified',
  async (t) => {
    // Redis going away between the claim and the mark fails the mark, and the claim cannot be given
    // back either: the update handled again (the message comes back) found it taken, as a duplicate.
    const s = await setup(t, [{}]);
    const sub = s.subs[0]!;
    const updateMark = s.store.updateMark.bind(s.store);
    const unclaim = s.store.unclaim.bind(s.store);
    let down = true;
    s.store.updateMark = async (key, decide) => {
      if (down) throw new Error('Connection is closed.');
      return updateMark(key, decide);
    };
    s.store.unclaim = async (...args) => {
      if (down) throw new Error('Connection is closed.');
      return unclaim(...args);
    };
    await t.rejects(s.handle({}), /Connection is closed/, 'the first handling fails (not acked)');
    await t.rejects(s.handle({}), /Connection is closed/, 'and again while the store is down');
    down = false;
    await s.handle({});
    t.same(
      s.sentTo(sub),
      ['opened:medium@0'],
      'once the store is back, the update handled again is notified',
    );
    t.same(s.skipped, [], 'not skipped as a duplicate');
    await s.handle({});
    t.same(s.sentTo(sub).length, 1, 'and then it is a duplicate');
  },
);

t.test(
  'the alert feed: an update the notifier could not take (the store down) is handled again at once, before the updates behind it',
  async (t) => {
    // It was left to the ack wait (30 s): the resolve behind it came first, and was not notified
    // (nothing was yet); the open came 30 s later, and the subscriber never heard of the resolve.
    // After five such failures (2.5 minutes of Redis away) the update was dead-lettered, never notified.
    const s = await setup(t, [{ notify_resolved: true }]);
    const sub = s.subs[0]!;
    const listSubscriptions = s.store.listSubscriptions.bind(s.store);
    let failures = 1;
    s.store.listSubscriptions = async () => {
      if (failures-- > 0) throw new Error('Connection is closed.');
      return listSubscriptions();
    };
    const bus = new MemoryBus();
    for (const stream of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(stream);
    const feed = new AlertFeed({ bus, instrumentation: new Instrumentation(), notifier: s.notifier });
    await feed.start();
    t.teardown(() => feed.stop());
    const publish = (over: Parameters<typeof alertRecord>[0]) => {
      const a = alertRecord(over);
      return bus.publish(Subjects.alerts('northwind-coffee'), encodeJson(a), {
        msgId: `${a.id}:${a.update}`,
      });
    };
    await publish({});
    await eventually(async () => (failures <= 0 ? true : undefined), 5000, 'the first handling to fail');
    await publish({ update: 1, state: 'resolved', resolved_at: 1_795_480_300_000 });
    await eventually(
      async () => (s.rec.sent.length >= 2 ? true : undefined),
      5000,
      'two notifications',
    ).catch(() => undefined);
    await s.notifier.idle();
    t.same(s.sentTo(sub), ['opened:medium@0', 'resolved:medium@1'], 'both, within seconds and in order');
  },
);

t.test(
  'the alert feed: a broken message is not tried again in place, so it holds nothing behind it',
  async (t) => {
    // with a brand filter, the notifier fails on an update without a brand
    const s = await setup(t, [{ brands: ['northwind-coffee'] }]);
    const bus = new MemoryBus();
    for (const stream of pipelineStreams({ retention: 'limits' })) await bus.ensureStream(stream);
    const warned: unknown[] = [];
    const feed = new AlertFeed({
      bus,
      instrumentation: new Instrumentation(),
      notifier: s.notifier,
      log: { warn: (o) => warned.push(o) },
    });
    await feed.start();
    t.teardown(() => feed.stop());
    await bus.publish(Subjects.alerts('northwind-coffee'), encodeJson({ not: 'an alert' }), {
      msgId: 'broken',
    });
    await new Promise((r) => setTimeout(r, 200));
    await bus.publish(Subjects.alerts('northwind-coffee'), encodeJson(alertRecord()), { msgId: 'good' });
    await eventually(async () => (s.rec.sent.length > 0 ? true : undefined), 5000, 'the notification');
    t.same(s.sentTo(s.subs[0]!), ['opened:medium@0']);
    t.same(warned, [], 'not retried');
  },
);

/** A receiver that answers 503 to every attempt while `down.on`. */
function downWhile(down: { on: boolean }) {
  return () => (down.on ? new DeliveryError('HTTP 503', { retryable: true }) : undefined);
}

t.test(
  'a notification given up (dead-lettered): the next update of the alert is told as opened',
  async (t) => {
    // The mark, written before the send, said the subscriber was told: the next update at the same
    // severity was skipped as no change, and the subscriber never heard of the alert.
    const down = { on: true };
    const s = await setup(t, [{ notify_resolved: true }], undefined, downWhile(down));
    const sub = s.subs[0]!;
    await s.handle({});
    t.same(
      s.deadLetters.sent.map((l) => [l.payload.update, l.payload.notification]),
      [[0, 'opened']],
      'every attempt failed: dead-lettered',
    );
    t.equal(
      await s.store.getMark({ subscription: sub.id, brand: 'northwind-coffee', kind: 'negative_share' }),
      undefined,
      'no mark: nothing was told',
    );
    down.on = false;
    await s.handle({ update: 1, peak: 0.5 });
    t.same(s.sentTo(sub), ['opened:medium@1'], 'the next update, at the same severity, is told as opened');
    await s.handle({ update: 1, peak: 0.5 });
    t.same(s.sentTo(sub).length, 1, 'once: the claim still holds');
    await s.handle({ update: 2, state: 'resolved', resolved_at: 1_795_480_300_000 });
    t.same(s.sentTo(sub), ['opened:medium@1', 'resolved:medium@2'], 'and its resolve');
    t.same(
      s.skipped.map((e) => e.reason),
      ['duplicate'],
    );
  },
);

t.test(
  'a notification given up: its resolve alone is not told (the subscriber never heard of it)',
  async (t) => {
    const down = { on: true };
    const s = await setup(t, [{ notify_resolved: true }], undefined, downWhile(down));
    await s.handle({});
    down.on = false;
    await s.handle({ update: 1, state: 'resolved', resolved_at: 1_795_480_300_000 });
    t.same(s.sentTo(s.subs[0]!), [], 'not resolved for an alert never opened to it');
    t.same(
      s.skipped.map((e) => e.reason),
      ['not_notified'],
    );
  },
);

t.test('a notification given up does not hold back a new alert by the cooldown', async (t) => {
  const down = { on: true };
  const s = await setup(t, [{}], undefined, downWhile(down));
  const sub = s.subs[0]!;
  await s.handle({}); // dead-lettered
  down.on = false;
  const next = 'northwind-coffee:negative_share:1795480900000';
  await s.handle({ id: next, updated_at: 1_795_480_120_000 + 30_000 });
  t.same(s.sentTo(sub), ['opened:medium@0'], 'within the cooldown of the one that reached nobody: told');
  t.same(s.skipped, []);
});

t.test(
  'a notification given up puts back the mark it replaced: the cooldown of the one told stays',
  async (t) => {
    const down = { on: false };
    const s = await setup(t, [{}], undefined, downWhile(down));
    const sub = s.subs[0]!;
    const key = { subscription: sub.id, brand: 'northwind-coffee', kind: 'negative_share' as const };
    await s.handle({});
    const told = await s.store.getMark(key);
    down.on = true;
    const second = 'northwind-coffee:negative_share:1795490000000';
    await s.handle({ id: second, updated_at: 1_795_490_000_000 }); // past the cooldown: opened, dead-lettered
    t.same(await s.store.getMark(key), told, 'the mark of the alert told, as it was');
    down.on = false;
    const third = 'northwind-coffee:negative_share:1795480150000';
    await s.handle({ id: third, updated_at: 1_795_480_120_000 + 30_000 });
    t.same(s.sentTo(sub), ['opened:medium@0'], 'a new alert within its cooldown is still held back');
    t.same(
      s.skipped.map((e) => e.reason),
      ['cooldown'],
    );
  },
);

t.test('several updates given up in turn (the receiver down throughout): none counts', async (t) => {
  const down = { on: true };
  const s = await setup(t, [{ notify_resolved: true }], undefined, downWhile(down));
  const sub = s.subs[0]!;
  await s.notifier.handle(alertRecord());
  await s.notifier.handle(alertRecord({ update: 1, severity: 'high' }));
  await s.notifier.idle();
  t.same(
    s.deadLetters.sent.map((l) => [l.payload.update, l.payload.notification]),
    [
      [0, 'opened'],
      [1, 'escalated'],
    ],
    'both decided before the first was given up, both dead-lettered',
  );
  down.on = false;
  await s.handle({ update: 2, severity: 'high' });
  t.same(s.sentTo(sub), ['opened:high@2'], 'the next one is told as opened');
});

t.test(
  'three updates given up after all were decided: the mark goes back to the one told, not to one given up',
  async (t) => {
    // Each mark kept only the one it replaced, without that one's own: the first given up was no
    // longer found, the second put it back under the third, and the third's undo brought it back.
    const down = { on: false };
    const s = await setup(t, [{}], undefined, downWhile(down));
    const sub = s.subs[0]!;
    const key = { subscription: sub.id, brand: 'northwind-coffee', kind: 'negative_share' as const };
    await s.handle({ severity: 'low' });
    t.same(s.sentTo(sub), ['opened:low@0']);
    const told = await s.store.getMark(key);
    down.on = true;
    s.rec.hold(sub.id);
    await s.notifier.handle(alertRecord({ update: 1, severity: 'medium' }));
    await s.notifier.handle(alertRecord({ update: 2, severity: 'high' }));
    await s.notifier.handle(alertRecord({ update: 3, severity: 'critical' }));
    s.rec.release(sub.id);
    await s.notifier.idle();
    t.same(
      s.deadLetters.sent.map((l) => l.payload.update),
      [1, 2, 3],
      'all three decided before the first was given up, all dead-lettered',
    );
    t.same(await s.store.getMark(key), told, 'the mark of the one told, as it was');
    down.on = false;
    await s.handle({ update: 4, severity: 'medium' });
    t.same(s.sentTo(sub), ['opened:low@0', 'escalated:medium@4'], 'the next step up is told');
  },
);

t.test(
  'a notification given up after its mark was written and the update handled again: the mark is still put back',
  async (t) => {
    // The second handling takes the mark the first wrote as its own decision: what it replaced is
    // in the mark, not in what this handling saw.
    const down = { on: true };
    const s = await setup(t, [{}], undefined, downWhile(down));
    const sub = s.subs[0]!;
    const key = { subscription: sub.id, brand: 'northwind-coffee', kind: 'negative_share' as const };
    const updateMark = s.store.updateMark.bind(s.store);
    let failures = 1;
    s.store.updateMark = async (k, decide) => {
      const mark = await updateMark(k, decide);
      if (failures-- > 0) throw new Error('Connection is closed.');
      return mark;
    };
    await t.rejects(s.handle({}), /Connection is closed/);
    await s.handle({});
    t.equal(s.deadLetters.sent.length, 1, 'dead-lettered');
    t.equal(await s.store.getMark(key), undefined, 'the mark is removed');
    down.on = false;
    await s.handle({ update: 1 });
    t.same(s.sentTo(sub), ['opened:medium@1']);
  },
);

t.test('a newer mark written meanwhile by another process is not undone', async (t) => {
  const s = await setup(t, [{}], undefined, (d) =>
    d.alert.update === 0 ? new DeliveryError('HTTP 503', { retryable: true }) : undefined,
  );
  const sub = s.subs[0]!;
  const key = { subscription: sub.id, brand: 'northwind-coffee', kind: 'negative_share' as const };
  // another process on the same store, whose delivery goes through
  const other = recordingChannel();
  const b = testNotifier(t, { store: s.store, channels: { webhook: other.channel }, now: () => s.now.t });
  s.rec.hold(sub.id);
  await s.notifier.handle(alertRecord()); // opened, held, then failing
  await b.notifier.handle(alertRecord({ update: 1, severity: 'high' }));
  await b.notifier.idle();
  t.same(
    other.sent.map((d) => `${d.notification}:${d.alert.severity}@${d.alert.update}`),
    ['escalated:high@1'],
  );
  s.rec.release(sub.id);
  await s.notifier.idle();
  t.equal(s.deadLetters.sent.length, 1, 'the first is given up');
  t.match(
    await s.store.getMark(key),
    { update: 1, notified: 'escalated', severity: 'high' },
    'the newer mark stays',
  );
  t.notOk((await s.store.getMark(key))!.before, 'and would go back to no mark: the first reached nobody');
  await s.handle({ update: 2, severity: 'high' });
  t.same(s.sentTo(sub), [], 'the next update at the same severity: no change');
  t.same(
    s.skipped.map((e) => e.reason),
    ['no_change'],
  );
});

t.test('notify_resolved: the resolve of an alert the subscriber was told about', async (t) => {
  const s = await setup(t, [{ notify_resolved: true, min_severity: 'high' }]);
  const sub = s.subs[0]!;
  await s.handle({ id: 'quiet' }, { id: 'quiet', update: 1, state: 'resolved' });
  t.same(s.sentTo(sub), [], 'never told of it (below the minimum), so not of its resolve');
  await s.handle({ severity: 'high' }, { update: 1, state: 'resolved', severity: 'high' });
  t.same(s.sentTo(sub), ['opened:high@0', 'resolved:high@1']);
});

t.test('an alert resolved by hand gets no more notifications; an acknowledge changes nothing', async (t) => {
  const s = await setup(t, [{}]);
  const sub = s.subs[0]!;
  await s.handle({});
  await s.store.ack(alertRecord().id, 'alice');
  await s.handle({ update: 1, severity: 'high' });
  t.same(s.sentTo(sub), ['opened:medium@0', 'escalated:high@1']);
  await s.store.resolve(alertRecord().id, 'alice');
  await s.handle({ update: 2, severity: 'critical' });
  t.same(s.sentTo(sub).length, 2);
  t.equal(s.skipped.at(-1)?.reason, 'resolved_by_hand');
});

t.test('websocket subscriptions are not delivered; e-mail without SMTP is dead-lettered', async (t) => {
  const s = await setup(t, [
    { target: { type: 'websocket' } },
    { target: { type: 'email', to: ['ops@example.com'] } },
  ]);
  await s.handle({});
  t.same(s.rec.sent, []);
  t.same(s.skipped, [], 'nothing skipped either: a websocket subscription has nothing to deliver');
  t.equal(s.deadLetters.sent.length, 1);
  t.match(s.deadLetters.sent[0], {
    reason: 'delivery_failed',
    source: 'email',
    payload: { target: 'ops@example.com' },
  });
  t.match(s.deadLetters.sent[0]!.detail, 'e-mail is off');
  t.equal(s.events.counts.email.dead_lettered, 1);
});

t.test('a slow receiver holds its own lane only: the others are delivered meanwhile', async (t) => {
  const s = await setup(t, [{}, {}, {}]);
  const [slow, b, c] = s.subs as [AlertSubscription, AlertSubscription, AlertSubscription];
  s.rec.hold(slow.id);
  await s.notifier.handle(alertRecord());
  await s.notifier.handle(alertRecord({ update: 1, severity: 'high' }));
  while (s.rec.sent.length < 4 || s.notifier.backlog.running > 1) await new Promise((r) => setImmediate(r));
  t.same(s.sentTo(b), ['opened:medium@0', 'escalated:high@1']);
  t.same(s.sentTo(c), ['opened:medium@0', 'escalated:high@1']);
  t.ok(s.rec.waiting(slow.id), 'the slow one is still on its first');
  t.same(s.notifier.backlog, { queued: 1, running: 1 }, 'its second waits behind it, in order');
  s.rec.release(slow.id);
  await s.notifier.idle();
  t.same(s.sentTo(slow), ['opened:medium@0', 'escalated:high@1'], 'in order');
});

t.test('a programming error in a channel is not retried', async (t) => {
  const rec = recordingChannel({ fail: () => new DeliveryError('boom', { retryable: false }) });
  const h = testNotifier(t, { channels: { webhook: rec.channel } });
  await h.store.createSubscription(subscriptionOf());
  await h.notifier.handle(alertRecord());
  await h.notifier.idle();
  t.same(h.events.counts.webhook, { delivered: 0, failed: 1, retried: 0, dead_lettered: 1 });
});

t.test('stop: what has not started is dead-lettered, not dropped', async (t) => {
  const rec = recordingChannel();
  const h = testNotifier(t, { channels: { webhook: rec.channel }, concurrency: 1 });
  const sub = subscriptionOf();
  await h.store.createSubscription(sub);
  rec.hold(sub.id);
  await h.notifier.handle(alertRecord());
  await h.notifier.handle(alertRecord({ update: 1, severity: 'critical' }));
  const stopped = h.notifier.stop(0);
  while (h.deadLetters.sent.length === 0) await new Promise((r) => setImmediate(r));
  rec.release(sub.id);
  await stopped;
  t.equal(rec.sent.length, 1, 'the one in flight finished');
  t.same(
    h.deadLetters.sent.map((l) => [l.payload.update, l.payload.error]),
    [[1, 'stopped before delivery']],
  );
  await t.rejects(h.notifier.handle(alertRecord({ update: 2 })), /stopped/);
});

t.test('the queue: bounded (a push waits for room), lanes in order, a concurrency limit', async (t) => {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const q = new DeliveryQueue<string>(
    (item) =>
      new Promise<void>((r) => {
        started.push(item);
        finish.set(item, r);
      }),
    { concurrency: 2, maxQueued: 2 },
  );
  await q.push('a', 'a1');
  await q.push('a', 'a2');
  await q.push('b', 'b1');
  t.same(started, ['a1', 'b1'], 'one per lane, two at once');
  await q.push('c', 'c1');
  t.same([q.queued, q.running], [2, 2]);
  let pushed = false;
  const waiting = q.push('d', 'd1').then(() => (pushed = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(pushed, 'full: the push waits');
  finish.get('a1')!();
  await waiting;
  t.same(started, ['a1', 'b1', 'c1'], 'the freed slot goes to the lane that was ready first');
  for (const item of ['b1', 'c1']) finish.get(item)!();
  await new Promise((r) => setImmediate(r));
  t.same(started, ['a1', 'b1', 'c1', 'a2', 'd1']);
  finish.get('a2')!();
  finish.get('d1')!();
  await q.drain();
  t.same([q.queued, q.running], [0, 0]);
});
