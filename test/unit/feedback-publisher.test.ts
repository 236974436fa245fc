import t from 'tap';
import type { Bus } from '../../stream/bus/bus.js';
import { FeedbackPublisher } from '../../stream/campaigns/feedback-publisher.js';
import type { FeedbackEvent } from '../../stream/model/events.js';

/**
 * A bus that keeps one message per message id, as JetStream's duplicate window does, and whose
 * publish can fail before storing (the bus down) or after (the acknowledgement lost).
 */
function dedupBus() {
  const stored = new Map<string, { subject: string; lines: string[] }>();
  const attempts: string[] = [];
  let failures: ('before' | 'after')[] = [];
  const bus = {
    async publish(subject: string, data: Uint8Array, options?: { msgId?: string }) {
      const id = options!.msgId!;
      attempts.push(id);
      const failure = failures.shift();
      if (failure === 'before') throw new Error('no responders');
      if (!stored.has(id)) stored.set(id, { subject, lines: new TextDecoder().decode(data).split('\n') });
      if (failure === 'after') throw new Error('timeout waiting for the acknowledgement');
      return { stream: 'FEEDBACK', seq: stored.size, duplicate: false };
    },
  } as unknown as Bus;
  return {
    bus,
    stored,
    attempts,
    fail: (...f: ('before' | 'after')[]) => (failures = f),
    /** The events the stream holds, in order, by their values. */
    values: () =>
      [...stored.values()].flatMap((m) => m.lines.map((l) => (JSON.parse(l) as FeedbackEvent).value)),
  };
}

const event = (value: number): FeedbackEvent => ({
  campaign: 'spring',
  arm: 'a',
  kind: 'reward',
  value,
  ts: 1_780_000_000_000 + value,
});

t.test(
  'a failed publish is sent again as the same message: a lost acknowledgement counts nothing twice',
  async (t) => {
    const b = dedupBus();
    const errors: unknown[] = [];
    const p = new FeedbackPublisher({
      bus: b.bus,
      partitions: 1,
      flushMs: 60_000,
      onError: (e) => errors.push(e),
    });
    t.teardown(() => p.stop());
    p.add(event(1));
    p.add(event(2));
    b.fail('after');
    await p.flush();
    t.equal(errors.length, 1, 'the failure is reported');
    p.add(event(3));
    b.fail('before');
    await p.flush();
    await p.flush();
    t.same(b.values(), [1, 2, 3], 'each event once, in order');
    t.equal(b.attempts[0], b.attempts[1], 'the first batch was retried under its own id');
    t.equal(b.attempts[1], b.attempts[2], '… twice');
    t.not(b.attempts[3], b.attempts[0], 'the event added meanwhile went out in a message of its own');
    t.equal(b.attempts.length, 4);
  },
);

t.test('while the bus is down, events still go in batches of maxBatch', async (t) => {
  const b = dedupBus();
  const p = new FeedbackPublisher({ bus: b.bus, partitions: 1, flushMs: 60_000, maxBatch: 10 });
  t.teardown(() => p.stop());
  b.fail(...Array<'before'>(100).fill('before'));
  for (let v = 0; v < 35; v++) p.add(event(v));
  await p.flush();
  b.fail();
  await p.flush();
  t.same(
    [...b.stored.values()].map((m) => m.lines.length),
    [10, 10, 10, 5],
  );
  t.same(
    b.values(),
    Array.from({ length: 35 }, (_, v) => v),
  );
});

t.test('while the bus is down, the oldest events go past maxPending, and are counted', async (t) => {
  const b = dedupBus();
  const p = new FeedbackPublisher({ bus: b.bus, partitions: 1, flushMs: 60_000, maxPending: 3 });
  t.teardown(() => p.stop());
  b.fail('before', 'before');
  for (const v of [1, 2]) p.add(event(v));
  await p.flush();
  for (const v of [3, 4, 5]) p.add(event(v));
  await p.flush();
  t.equal(p.dropped, 2);
  await p.flush();
  t.same(b.values(), [3, 4, 5], 'the newest maxPending events are kept');
});
