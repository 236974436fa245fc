import type { Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { decodeJson, encodeJson, type Bus, type BusMessage } from '../../stream/index.js';

/**
 * The Bus contract: every implementation (in-process, NATS JetStream) must pass it. Each test
 * uses its own random stream and subject names, so implementations backed by a shared server
 * can run it in parallel.
 */
export function busContract(t: Test, name: string, makeBus: () => Promise<Bus>): void {
  t.test(`${name}: bus contract`, async (t) => {
    const bus = await makeBus();
    t.teardown(() => bus.close());

    const fresh = async (extra: Partial<Parameters<Bus['ensureStream']>[0]> = {}) => {
      const id = randomUUID().replace(/-/g, '').slice(0, 12);
      const prefix = `t${id}`;
      await bus.ensureStream({ name: `S_${id}`, subjects: [`${prefix}.*`], ...extra });
      return { stream: `S_${id}`, subject: (p: number | string) => `${prefix}.${p}`, prefix };
    };
    const drain = async (c: Awaited<ReturnType<Bus['consumer']>>, n: number, waitMs = 2000) => {
      const got: BusMessage[] = [];
      const deadline = Date.now() + waitMs * 5;
      while (got.length < n && Date.now() < deadline) got.push(...(await c.fetch(n - got.length, waitMs)));
      return got;
    };

    t.test('publish returns increasing sequences; a consumer reads them in order', async (t) => {
      const s = await fresh();
      const acks = [];
      const before = Date.now();
      for (let i = 0; i < 5; i++) acks.push(await bus.publish(s.subject(0), encodeJson({ i })));
      const after = Date.now();
      t.same(
        acks.map((a) => a.seq),
        [1, 2, 3, 4, 5],
      );
      t.ok(acks.every((a) => a.stream === s.stream && !a.duplicate));
      const c = await bus.consumer({ stream: s.stream, durable: 'c1' });
      const msgs = await drain(c, 5);
      t.same(
        msgs.map((m) => decodeJson<{ i: number }>(m.data).i),
        [0, 1, 2, 3, 4],
      );
      t.same(
        msgs.map((m) => m.seq),
        [1, 2, 3, 4, 5],
      );
      t.ok(msgs.every((m) => m.deliveryCount === 1 && m.subject === s.subject(0)));
      t.ok(
        msgs.every((m) => m.timestamp >= before - 1000 && m.timestamp <= after + 1000),
        'each message carries the time the stream stored it',
      );
      for (const m of msgs) m.ack();
      await c.stop();
    });

    t.test('a repeated message id inside the duplicate window is stored once', async (t) => {
      const s = await fresh();
      const a = await bus.publish(s.subject(0), encodeJson({ v: 1 }), { msgId: 'src:1' });
      const b = await bus.publish(s.subject(0), encodeJson({ v: 2 }), { msgId: 'src:1' });
      const c = await bus.publish(s.subject(0), encodeJson({ v: 3 }), { msgId: 'src:2' });
      t.equal(a.duplicate, false);
      t.equal(b.duplicate, true);
      t.equal(b.seq, a.seq, 'the duplicate reports the original sequence');
      t.equal(c.seq, a.seq + 1);
      const cons = await bus.consumer({ stream: s.stream, durable: 'dedup' });
      const msgs = await drain(cons, 2);
      t.same(
        msgs.map((m) => decodeJson<{ v: number }>(m.data).v),
        [1, 3],
      );
      msgs.forEach((m) => m.ack());
      t.same(await cons.fetch(10, 200), [], 'nothing else');
      await cons.stop();
    });

    t.test('filter subjects split partitions between consumers', async (t) => {
      const s = await fresh();
      for (let i = 0; i < 6; i++) await bus.publish(s.subject(i % 2), encodeJson({ i }));
      const c0 = await bus.consumer({ stream: s.stream, durable: 'p0', filterSubject: s.subject(0) });
      const c1 = await bus.consumer({ stream: s.stream, durable: 'p1', filterSubject: s.subject(1) });
      const m0 = await drain(c0, 3);
      const m1 = await drain(c1, 3);
      t.same(
        m0.map((m) => decodeJson<{ i: number }>(m.data).i),
        [0, 2, 4],
      );
      t.same(
        m1.map((m) => decodeJson<{ i: number }>(m.data).i),
        [1, 3, 5],
      );
      [...m0, ...m1].forEach((m) => m.ack());
      await c0.stop();
      await c1.stop();
    });

    t.test('a nak or an expired ack wait delivers again, with a higher delivery count', async (t) => {
      const s = await fresh();
      await bus.publish(s.subject(0), encodeJson({ x: 1 }));
      await bus.publish(s.subject(0), encodeJson({ x: 2 }));
      const c = await bus.consumer({ stream: s.stream, durable: 'redeliver', ackWaitMs: 1000 });
      const first = await drain(c, 2);
      t.equal(first.length, 2);
      // Back after 1.3 s, so that neither comes back twice before both are in: a redelivered
      // message has its own ack wait, and JetStream redelivers what expired together in
      // sequence order, not in deadline order.
      first[0]!.nak(1300);
      // first[1] is neither acked nor naked: it comes back after the ack wait.
      const again = await drain(c, 2, 3000);
      t.same(again.map((m) => m.seq).sort(), [first[0]!.seq, first[1]!.seq].sort());
      t.ok(
        again.every((m) => m.deliveryCount === 2),
        'delivery count 2',
      );
      const timeOf = new Map(first.map((m) => [m.seq, m.timestamp]));
      t.ok(
        again.every((m) => m.timestamp === timeOf.get(m.seq)),
        'a redelivery carries the same store time',
      );
      // Asked while the redelivered messages are unacked: JetStream counts only those.
      t.ok((await c.info()).redelivered >= 2, 'redeliveries counted');
      again.forEach((m) => m.ack());
      const info = await c.info();
      t.equal(info.numAckPending, 0);
      await c.stop();
    });

    t.test('acked messages are not delivered again to the same durable consumer', async (t) => {
      const s = await fresh();
      for (let i = 0; i < 4; i++) await bus.publish(s.subject(0), encodeJson({ i }));
      let c = await bus.consumer({ stream: s.stream, durable: 'resume' });
      const firstTwo = await drain(c, 2);
      firstTwo.forEach((m) => m.ack());
      await c.stop();
      c = await bus.consumer({ stream: s.stream, durable: 'resume' });
      const rest = await drain(c, 2);
      t.same(
        rest.map((m) => decodeJson<{ i: number }>(m.data).i),
        [2, 3],
        'the durable consumer resumes after its acked position',
      );
      rest.forEach((m) => m.ack());
      const info = await c.info();
      t.equal(info.ackFloor, 4);
      t.equal(info.numPending, 0);
      await c.stop();
    });

    t.test('maxAckPending bounds what is in flight', async (t) => {
      const s = await fresh();
      for (let i = 0; i < 10; i++) await bus.publish(s.subject(0), encodeJson({ i }));
      const c = await bus.consumer({ stream: s.stream, durable: 'bounded', maxAckPending: 3 });
      const first = await c.fetch(10, 500);
      t.equal(first.length, 3, 'no more than maxAckPending unacked');
      t.same(await c.fetch(10, 300), [], 'blocked until something is acked');
      first.forEach((m) => m.ack());
      const next = await drain(c, 3);
      t.same(
        next.map((m) => m.seq),
        [4, 5, 6],
      );
      next.forEach((m) => m.ack());
      await c.stop();
    });

    t.test('a message past maxDeliver is reported as exhausted and not delivered again', async (t) => {
      const s = await fresh();
      const exhausted: number[] = [];
      bus.onDeliveryExhausted((consumer, msg) => {
        if (consumer === 'poison') exhausted.push(msg.seq);
      });
      await bus.publish(s.subject(0), encodeJson({ bad: true }));
      const c = await bus.consumer({ stream: s.stream, durable: 'poison', maxDeliver: 2 });
      for (let i = 0; i < 2; i++) {
        const [m] = await drain(c, 1);
        t.ok(m, `delivery ${i + 1}`);
        m!.nak();
      }
      t.same(await c.fetch(1, 500), [], 'given up after maxDeliver');
      const deadline = Date.now() + 5000;
      while (exhausted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      t.same(exhausted, [1]);
      await c.stop();
    });

    t.test('fetch waits for a publish and returns at once', async (t) => {
      const s = await fresh();
      const c = await bus.consumer({ stream: s.stream, durable: 'waiter' });
      const pending = c.fetch(10, 5000);
      await new Promise((r) => setTimeout(r, 50));
      await bus.publish(s.subject(0), encodeJson('hello'));
      const got = await pending;
      t.equal(got.length, 1);
      t.equal(decodeJson(got[0]!.data), 'hello');
      got[0]!.ack();
      await c.stop();
    });

    t.test('core subscriptions get notifications that match their pattern', async (t) => {
      const s = await fresh();
      const sub = bus.subscribe(`${s.prefix}.*`);
      const received: string[] = [];
      const done = (async () => {
        for await (const m of sub) {
          received.push(`${m.subject}=${decodeJson<string>(m.data)}`);
          if (received.length === 2) break;
        }
      })();
      await new Promise((r) => setTimeout(r, 50));
      bus.notify(`${s.prefix}.a`, encodeJson('1'));
      bus.notify(`other.${s.prefix}`, encodeJson('x'));
      bus.notify(`${s.prefix}.b`, encodeJson('2'));
      await done;
      sub.unsubscribe();
      t.same(received, [`${s.prefix}.a=1`, `${s.prefix}.b=2`]);
    });

    t.test('ensureStream is idempotent', async (t) => {
      const s = await fresh();
      await bus.publish(s.subject(0), encodeJson(1));
      await bus.ensureStream({ name: s.stream, subjects: [`${s.prefix}.*`] });
      const ack = await bus.publish(s.subject(0), encodeJson(2));
      t.equal(ack.seq, 2, 'the stream and its messages survive a second ensureStream');
    });

    t.test('discard old keeps the newest messages under maxMsgs', async (t) => {
      const s = await fresh({ maxMsgs: 3, discard: 'old' });
      for (let i = 0; i < 5; i++) await bus.publish(s.subject(0), encodeJson({ i }));
      const c = await bus.consumer({ stream: s.stream, durable: 'limited' });
      const msgs = await drain(c, 3);
      t.same(
        msgs.map((m) => decodeJson<{ i: number }>(m.data).i),
        [2, 3, 4],
      );
      msgs.forEach((m) => m.ack());
      await c.stop();
    });
  });
}
