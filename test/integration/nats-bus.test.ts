import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { PULL_MAX_BYTES } from '../../stream/bus/nats/consumer.js';
import {
  decodeJson,
  encodeJson,
  feedbackKey,
  NatsBus,
  PipelineError,
  type BusMessage,
  type Consumer,
} from '../../stream/index.js';
import {
  deleteStreams,
  natsServerBinary,
  natsUnavailable,
  natsUrl,
  startNatsServer,
  type PrivateNatsServer,
} from '../helpers/nats-server.js';

/*
 * What the bus contract does not cover: a NATS server that goes away and comes back (on a
 * private server, never the shared one), file storage, JetStream specifics of NatsBus.
 */

const binary = natsServerBinary();
const noBinary = binary.includes('/') && !existsSync(binary) && `no nats-server at ${binary}`;
const sharedUrl = natsUrl();
const noShared = await natsUnavailable(sharedUrl);

/** Polls `check` every 20 ms until it is true; fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Settles with the outcome of `p`, or fails if it takes longer than `ms`: nothing may hang. */
async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

async function drain(c: Consumer, n: number, ms = 10_000): Promise<BusMessage[]> {
  const got: BusMessage[] = [];
  const deadline = Date.now() + ms;
  while (got.length < n && Date.now() < deadline) got.push(...(await c.fetch(n - got.length, 1_000)));
  return got;
}

function names() {
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  return { stream: `N_${id}`, prefix: `n${id}`, subject: (p: number | string) => `n${id}.${p}` };
}

async function privateSetup(t: Test) {
  const server = await startNatsServer({ binary });
  t.teardown(() => server.close());
  const bus = await NatsBus.connect({
    servers: server.url,
    name: 'pulsewatch-fault-test',
    reconnectInitialMs: 50,
    reconnectMaxMs: 250,
  });
  t.teardown(() => bus.close());
  const s = names();
  await bus.ensureStream({ name: s.stream, subjects: [`${s.prefix}.*`] });
  return { server, bus, s };
}

async function reconnected(bus: NatsBus, server: PrivateNatsServer): Promise<void> {
  await until(() => bus.isConnected, 15_000, `the bus to reconnect to ${server.url}`);
}

t.test('on a private NATS server', { skip: noBinary }, async (t) => {
  t.test(
    'publish fails fast with BUS_UNAVAILABLE while the server is down, and works when it is back',
    async (t) => {
      const { server, bus, s } = await privateSetup(t);
      const disconnects: string[] = [];
      bus.on('disconnected', (e) => disconnects.push(e.server));
      const first = await bus.publish(s.subject(0), encodeJson({ n: 1 }), { msgId: 'e1' });
      t.equal(first.seq, 1);

      await server.kill();
      // In flight as the server dies, or refused at once once the client knows: never hanging.
      const during = bus.publish(s.subject(0), encodeJson({ n: 2 }), { msgId: 'e2' });
      await t.rejects(bounded(during, 10_000, 'a publish to a dead server'), {
        code: 'BUS_UNAVAILABLE',
        retryable: true,
      });
      await until(() => !bus.isConnected, 10_000, 'the bus to notice the disconnect');
      const err = await bounded(
        bus.publish(s.subject(0), encodeJson({ n: 2 }), { msgId: 'e2' }).then(
          () => undefined,
          (e: unknown) => e,
        ),
        10_000,
        'a publish while disconnected',
      );
      t.ok(err instanceof PipelineError && err.code === 'BUS_UNAVAILABLE', 'refused with BUS_UNAVAILABLE');
      t.ok(disconnects.length >= 1, 'a disconnected event');

      await server.restart();
      await reconnected(bus, server);
      // The retry of e2 is stored once, whether or not the publish that failed reached the stream.
      const retried = await bus.publish(s.subject(0), encodeJson({ n: 2 }), { msgId: 'e2' });
      const next = await bus.publish(s.subject(0), encodeJson({ n: 3 }), { msgId: 'e3' });
      t.equal(next.seq, retried.seq + 1, 'sequences continue');
      const c = await bus.consumer({ stream: s.stream, durable: 'reader' });
      const got = await drain(c, 3);
      t.same(
        got.map((m) => decodeJson<{ n: number }>(m.data).n),
        [1, 2, 3],
        'every acknowledged event is there, once',
      );
      got.forEach((m) => m.ack());
      const stats = bus.stats;
      t.ok(stats.publishFailures >= 2, 'publish failures counted');
      t.ok(stats.disconnects >= 1 && stats.reconnects >= 1, 'disconnects and reconnects counted');
    },
  );

  t.test('messages published before a restart are there after it, and still de-duplicated', async (t) => {
    const { server, bus, s } = await privateSetup(t);
    for (let i = 0; i < 50; i++) await bus.publish(s.subject(i % 2), encodeJson({ i }), { msgId: `m${i}` });
    await server.restart();
    await reconnected(bus, server);
    const again = await bus.publish(s.subject(0), encodeJson({ i: 0 }), { msgId: 'm0' });
    t.same(again, { stream: s.stream, seq: 1, duplicate: true }, 'the duplicate window survives too');
    const c = await bus.consumer({ stream: s.stream, durable: 'after-restart' });
    const got = await drain(c, 50);
    t.same(
      got.map((m) => decodeJson<{ i: number }>(m.data).i),
      Array.from({ length: 50 }, (_, i) => i),
    );
    t.same(
      got.map((m) => m.subject),
      Array.from({ length: 50 }, (_, i) => s.subject(i % 2)),
    );
    got.forEach((m) => m.ack());
  });

  t.test('a consumer keeps its position across a server restart and a reconnect', async (t) => {
    const { server, bus, s } = await privateSetup(t);
    for (let i = 1; i <= 10; i++) await bus.publish(s.subject(0), encodeJson({ i }));
    const c = await bus.consumer({ stream: s.stream, durable: 'resume', ackWaitMs: 60_000 });
    const firstFour = await drain(c, 4);
    t.same(
      firstFour.map((m) => m.seq),
      [1, 2, 3, 4],
    );
    firstFour.forEach((m) => m.ack());
    t.equal((await c.info()).ackFloor, 4, 'the acks are applied before the restart');

    await server.restart();
    await reconnected(bus, server);
    const rest = await drain(c, 6);
    t.same(
      rest.map((m) => decodeJson<{ i: number }>(m.data).i),
      [5, 6, 7, 8, 9, 10],
      'the same binding carries on after the acked position',
    );
    t.ok(
      rest.every((m) => m.deliveryCount === 1),
      'nothing delivered twice',
    );
    rest.forEach((m) => m.ack());
    const info = await c.info();
    t.equal(info.ackFloor, 10);
    t.equal(info.numPending, 0);
    t.same(await c.fetch(10, 200), [], 'nothing more');
    await c.stop();
  });

  t.test('a core subscription gets notifications again after a reconnect', async (t) => {
    const { server, bus, s } = await privateSetup(t);
    const sub = bus.subscribe(`${s.prefix}.live`);
    t.teardown(() => sub.unsubscribe());
    const it = sub[Symbol.asyncIterator]();
    const next = () => bounded(it.next(), 10_000, 'a notification');
    await bus.publish(s.subject(0), encodeJson('flush')); // the subscription is registered by now
    bus.notify(`${s.prefix}.live`, encodeJson('before'));
    t.equal(decodeJson((await next()).value.data), 'before');

    await server.kill();
    await until(() => !bus.isConnected, 10_000, 'the bus to notice the disconnect');
    bus.notify(`${s.prefix}.live`, encodeJson('lost'));
    t.equal(bus.stats.notifyDrops, 1, 'a notification while disconnected is dropped, not buffered');
    await server.restart();
    await reconnected(bus, server);
    // The client subscribes again on reconnect: the next notification after a round trip arrives.
    await bus.publish(s.subject(0), encodeJson('flush'));
    bus.notify(`${s.prefix}.live`, encodeJson('after'));
    t.equal(decodeJson((await next()).value.data), 'after');
  });

  t.test('close() returns while the server is down', async (t) => {
    const { server, bus } = await privateSetup(t);
    await server.kill();
    await until(() => !bus.isConnected, 10_000, 'the bus to notice the disconnect');
    await bounded(bus.close(), 15_000, 'close() of a disconnected bus');
    await t.rejects(bus.publish('any.subject', encodeJson(1)), { code: 'BUS_UNAVAILABLE' }, 'closed');
  });
});

t.test('on the shared NATS server', { skip: noShared }, async (t) => {
  const bus = await NatsBus.connect({ servers: sharedUrl, name: 'pulsewatch-integration-test' });
  const created = new Set<string>();
  t.teardown(async () => {
    await bus.close();
    await deleteStreams(sharedUrl, created);
  });
  const fresh = async (extra: Partial<Parameters<NatsBus['ensureStream']>[0]> = {}) => {
    const s = names();
    created.add(s.stream);
    await bus.ensureStream({ name: s.stream, subjects: [`${s.prefix}.*`], ...extra });
    return s;
  };

  t.test(
    'a full stream with discard new refuses with STREAM_FULL; no stream is BUS_UNAVAILABLE',
    async (t) => {
      const s = await fresh({ maxMsgs: 2, discard: 'new' });
      await bus.publish(s.subject(0), encodeJson(1));
      await bus.publish(s.subject(0), encodeJson(2));
      await t.rejects(bus.publish(s.subject(0), encodeJson(3)), { code: 'STREAM_FULL', retryable: true });
      await t.rejects(bus.publish(`nostream.${s.prefix}`, encodeJson(3)), { code: 'BUS_UNAVAILABLE' });
    },
  );

  t.test('ensureStream updates the limits of an existing stream', async (t) => {
    const s = await fresh({ maxMsgs: 2, discard: 'new' });
    await bus.publish(s.subject(0), encodeJson(1));
    await bus.publish(s.subject(0), encodeJson(2));
    await bus.ensureStream({ name: s.stream, subjects: [`${s.prefix}.*`], maxMsgs: 3, discard: 'new' });
    t.equal((await bus.publish(s.subject(0), encodeJson(3))).seq, 3, 'room for a third');
    await t.rejects(bus.publish(s.subject(0), encodeJson(4)), { code: 'STREAM_FULL' });
  });

  t.test('headers and the message id travel with the message', async (t) => {
    const s = await fresh();
    await bus.publish(s.subject(0), encodeJson('x'), { msgId: 'src:42', headers: { source: 'test' } });
    const c = await bus.consumer({ stream: s.stream, durable: 'headers' });
    const [m] = await drain(c, 1);
    t.equal(m?.headers.source, 'test');
    t.equal(m?.headers['Nats-Msg-Id'], 'src:42');
    m?.ack();
    await c.stop();
  });

  t.test('feedback keys of ids are message ids: none refused, trimmed or merged with another', async (t) => {
    const s = await fresh();
    const ids = ['a', 'a ', ' a', 'a\n', 'a\r\n', 'a\t', 'é', '\ud800', '%61'];
    const keys = ids.map((id) => feedbackKey({ campaign: 'c: x', kind: 'click', id })!);
    for (const round of [false, true])
      for (const msgId of keys) {
        const ack = await bus.publish(s.subject(0), encodeJson(msgId), { msgId });
        t.equal(ack.duplicate, round, `${JSON.stringify(msgId)}: ${round ? 'a repeat' : 'new'}`);
      }
    const c = await bus.consumer({ stream: s.stream, durable: 'ids' });
    const got = await drain(c, keys.length);
    t.same(
      got.map((m) => m.headers['Nats-Msg-Id']),
      keys,
      'each stored once, under its key as it is',
    );
    for (const m of got) m.ack();
    await c.stop();
  });

  t.test('any de-duplication id is accepted, and none is merged with another', async (t) => {
    const s = await fresh();
    // event ids and decision ids come from clients: CR, LF, spaces at either end, non-ASCII
    const ids = ['e1', 'e1 ', ' e1', 'e1\n', 'e1\r\n', 'e\u00e91', '\ud800', ' ', ''];
    for (const round of [false, true])
      for (const msgId of ids) {
        const ack = await bus.publish(s.subject(0), encodeJson(msgId), { msgId });
        t.equal(ack.duplicate, round, `${JSON.stringify(msgId)}: ${round ? 'a repeat' : 'new'}`);
      }
    t.equal(
      (await bus.publish(s.subject(0), encodeJson('x'), { msgId: 'e1' })).seq,
      1,
      'the usual id as it is',
    );
  });

  t.test('a message whose ack wait runs out on its last delivery is reported and terminated', async (t) => {
    const s = await fresh();
    const reported: { consumer: string; seq: number; deliveries: number; text: string }[] = [];
    bus.onDeliveryExhausted((consumer, msg) => {
      if (consumer === 'slow')
        reported.push({ consumer, seq: msg.seq, deliveries: msg.deliveryCount, text: decodeJson(msg.data) });
    });
    await bus.publish(s.subject(0), encodeJson('stuck'));
    await bus.publish(s.subject(0), encodeJson('fine'));
    const c = await bus.consumer({ stream: s.stream, durable: 'slow', maxDeliver: 1, ackWaitMs: 500 });
    const [stuck, fine] = await drain(c, 2);
    t.equal(stuck?.seq, 1);
    fine?.ack();
    // stuck is neither acked nor naked: after its ack wait, the server gives up on it.
    await until(
      async () => {
        t.same(await c.fetch(1, 200), [], 'never delivered again');
        return reported.length > 0;
      },
      10_000,
      'the MAX_DELIVERIES advisory',
    );
    t.same(reported, [{ consumer: 'slow', seq: 1, deliveries: 1, text: 'stuck' }]);
    const info = await c.info();
    t.equal(info.numAckPending, 0, 'it no longer counts against maxAckPending');
    t.equal(info.ackFloor, 2, 'it no longer holds the ack floor back');
    await c.stop();
  });

  t.test('a message nacked on its last delivery is reported at once and frees its place', async (t) => {
    const s = await fresh();
    const reported: number[] = [];
    bus.onDeliveryExhausted((consumer, msg) => {
      if (consumer === 'nacked') reported.push(msg.seq);
    });
    await bus.publish(s.subject(0), encodeJson('poison'));
    await bus.publish(s.subject(0), encodeJson('fine'));
    const c = await bus.consumer({ stream: s.stream, durable: 'nacked', maxDeliver: 2, ackWaitMs: 60_000 });
    const [poison, fine] = await drain(c, 2);
    fine?.ack();
    poison?.nak();
    const [again] = await drain(c, 1);
    t.equal(again?.deliveryCount, 2);
    t.same(reported, [], 'not reported before its last delivery');
    again?.nak();
    t.same(reported, [1], 'reported when nacked on its last delivery');
    t.same(await c.fetch(1, 300), [], 'never delivered again');
    // nats-server 2.9 keeps a message that ran out of deliveries by a nak pending forever.
    const info = await c.info();
    t.equal(info.numAckPending, 0, 'it no longer counts against maxAckPending');
    t.equal(info.ackFloor, 2, 'it no longer holds the ack floor back');
    await c.stop();
  });

  t.test('a message exhausted after its holder went away is read back from the stream', async (t) => {
    const s = await fresh();
    const other = await NatsBus.connect({ servers: sharedUrl, name: 'pulsewatch-integration-test-2' });
    t.teardown(() => other.close());
    const reported: { seq: number; text: string }[] = [];
    other.onDeliveryExhausted((consumer, msg) => {
      if (consumer === 'handover') reported.push({ seq: msg.seq, text: decodeJson(msg.data) });
    });
    await bus.publish(s.subject(0), encodeJson('orphan'));
    const config = { stream: s.stream, durable: 'handover', maxDeliver: 1, ackWaitMs: 500 };
    const first = await bus.consumer(config);
    t.equal((await drain(first, 1))[0]?.seq, 1, 'delivered once, never acked');
    await first.stop();
    const second = await other.consumer(config);
    await until(
      async () => {
        t.same(await second.fetch(1, 200), [], 'never delivered again');
        return reported.length > 0;
      },
      10_000,
      'the MAX_DELIVERIES advisory',
    );
    t.same(reported, [{ seq: 1, text: 'orphan' }]);
    await second.stop();
  });

  t.test('a nak with a delay is not redelivered before the delay', async (t) => {
    const s = await fresh();
    await bus.publish(s.subject(0), encodeJson('later'));
    const c = await bus.consumer({ stream: s.stream, durable: 'delay', ackWaitMs: 1_000 });
    const [m] = await drain(c, 1);
    t.ok(m, 'delivered');
    m?.nak(60_000);
    t.same(await c.fetch(1, 1_500), [], 'not redelivered, though the ack wait is shorter');
    await c.stop();
  });

  t.test('working() keeps a message from being redelivered', async (t) => {
    const s = await fresh();
    await bus.publish(s.subject(0), encodeJson('busy'));
    const c = await bus.consumer({ stream: s.stream, durable: 'working', ackWaitMs: 1_000 });
    const [busy] = await drain(c, 1);
    t.ok(busy, 'delivered');
    const progress = setInterval(() => busy?.working(), 100);
    t.teardown(() => clearInterval(progress));
    t.same(await c.fetch(5, 2_500), [], 'not redelivered while the handler reports progress');
    clearInterval(progress);
    busy?.ack();
    t.equal((await c.info()).ackFloor, 1);
    await c.stop();
  });

  t.test('stop returns the messages a binding received but never handed out', async (t) => {
    const s = await fresh();
    const config = { stream: s.stream, durable: 'handback', ackWaitMs: 60_000 };
    const a = await bus.consumer(config);
    // The pull request of this fetch asks for 5 and stays open after the first message returns.
    const pending = a.fetch(5, 10_000);
    await bus.publish(s.subject(0), encodeJson(0));
    const [one] = await pending;
    t.equal(one?.seq, 1);
    one?.ack();
    for (let i = 1; i < 5; i++) await bus.publish(s.subject(0), encodeJson(i));
    await a.stop();
    const b = await bus.consumer(config);
    const rest = await drain(b, 4);
    t.same(
      rest.map((m) => m.seq),
      [2, 3, 4, 5],
      'the rest is delivered at once, without waiting for the 60 s ack wait',
    );
    rest.forEach((m) => m.ack());
    await b.stop();
  });

  t.test(
    'a fetch from a backlog of large messages is bounded by bytes, and brings them all in order',
    async (t) => {
      const s = await fresh();
      // 40 messages of 600 KB (many events each): 24 MB, three times what one pull request brings.
      const body = new Uint8Array(600 * 1024).fill(0x61);
      for (let i = 0; i < 40; i++) await bus.publish(s.subject(0), body, { headers: { n: String(i) } });
      const c = await bus.consumer({ stream: s.stream, durable: 'big', ackPolicy: 'none' });
      const first = await c.fetch(1000, 2_000);
      t.ok(first.length >= 1, 'the first fetch brings messages');
      t.ok(
        first.length * body.length <= PULL_MAX_BYTES,
        `one fetch brings at most ${PULL_MAX_BYTES} bytes (got ${first.length} messages)`,
      );
      const rest = await drain(c, 40 - first.length);
      t.same(
        [...first, ...rest].map((m) => m.seq),
        Array.from({ length: 40 }, (_, i) => i + 1),
        'every message, in order, with no error from the ended requests',
      );
      t.equal(bus.stats.disconnects, 0, 'the server never cut the connection');
      await c.stop();
    },
  );

  t.test(
    'a consumer removed under a reader makes its fetch fail, so the reader can start again',
    async (t) => {
      const s = await fresh();
      const quick = await NatsBus.connect({ servers: sharedUrl, consumerCheckMs: 200 });
      t.teardown(() => quick.close());
      const c = await quick.consumer({ stream: s.stream, durable: 'gone', ackPolicy: 'none' });
      await bus.publish(s.subject(0), encodeJson(1));
      t.equal((await drain(c, 1)).length, 1);
      const jsm = await (await import('nats')).connect({ servers: sharedUrl });
      t.teardown(() => jsm.close());
      await (await jsm.jetstreamManager()).consumers.delete(s.stream, 'gone');
      await bus.publish(s.subject(0), encodeJson(2));
      let error: unknown;
      for (let i = 0; i < 20 && error === undefined; i++)
        await c.fetch(10, 100).catch((err) => (error = err));
      t.match(error, { code: 'BUS_UNAVAILABLE', message: /the consumer is gone/ });
      await c.stop();
    },
  );

  t.test(
    'binding a durable again keeps it; one made with another ack policy is made anew once',
    async (t) => {
      const s = await fresh();
      for (let i = 0; i < 5; i++) await bus.publish(s.subject(0), encodeJson(i));
      const old = await bus.consumer({ stream: s.stream, durable: 'sink', ackPolicy: 'all' });
      const first = await drain(old, 3);
      first.at(-1)!.ack();
      await old.info(); // the ack is applied
      await old.stop();
      // several processes of the new release start at once
      const bound = await Promise.all(
        Array.from({ length: 4 }, () =>
          bus.consumer({ stream: s.stream, durable: 'sink', ackPolicy: 'explicit' }),
        ),
      );
      const created = (await bound[0]!.info()).name;
      const jsm = await (await import('nats')).connect({ servers: sharedUrl });
      t.teardown(() => jsm.close());
      const info = async () => (await jsm.jetstreamManager()).consumers.info(s.stream, 'sink');
      const before = await info();
      t.equal(before.config.ack_policy, 'explicit');
      const again = await bus.consumer({ stream: s.stream, durable: 'sink', ackPolicy: 'explicit' });
      t.equal((await info()).created, before.created, 'a later start binds the same consumer');
      const rest = await drain(again, 2);
      t.same(
        rest.map((m) => m.seq),
        [4, 5],
        'what the old consumer had acknowledged is not delivered again',
      );
      t.equal(created, 'sink');
      for (const c of [...bound, again]) await c.stop();
    },
  );
});
