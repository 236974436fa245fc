import type { Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { decodeJson, encodeJson, type Bus, type BusMessage, type Consumer } from '../../stream/index.js';

/**
 * The Bus contract for readers that batch their acks (`ackPolicy: 'all'`) or own their positions
 * (`ackPolicy: 'none'` with `startSeq`, restored from a checkpoint). Every implementation must pass.
 */
export function busPositionsContract(t: Test, name: string, makeBus: () => Promise<Bus>): void {
  t.test(`${name}: bus positions contract`, async (t) => {
    const bus = await makeBus();
    t.teardown(() => bus.close());

    const fresh = async (n: number) => {
      const id = randomUUID().replace(/-/g, '').slice(0, 12);
      const stream = `P_${id}`;
      await bus.ensureStream({ name: stream, subjects: [`p${id}.*`] });
      for (let i = 1; i <= n; i++) await bus.publish(`p${id}.0`, encodeJson(i));
      return stream;
    };
    const drain = async (c: Consumer, n: number) => {
      const got: BusMessage[] = [];
      const deadline = Date.now() + 10_000;
      while (got.length < n && Date.now() < deadline) got.push(...(await c.fetch(n - got.length, 1000)));
      return got;
    };
    const values = (msgs: BusMessage[]) => msgs.map((m) => decodeJson<number>(m.data));

    t.test('ackPolicy all: one ack settles the whole batch', async (t) => {
      const stream = await fresh(6);
      let c = await bus.consumer({ stream, durable: 'all', ackPolicy: 'all' });
      const first = await drain(c, 4);
      t.same(values(first), [1, 2, 3, 4]);
      first[3]!.ack();
      await c.stop();
      c = await bus.consumer({ stream, durable: 'all', ackPolicy: 'all' });
      const rest = await drain(c, 2);
      t.same(values(rest), [5, 6], 'messages 1-4 were acked by the one ack of 4');
      rest[1]!.ack();
      const info = await c.info();
      t.equal(info.ackFloor, 6);
      t.equal(info.numAckPending, 0);
      await c.stop();
    });

    t.test('ackPolicy none with startSeq: the reader resumes where its checkpoint says', async (t) => {
      const stream = await fresh(10);
      let c = await bus.consumer({ stream, durable: 'owned', ackPolicy: 'none', startSeq: 1 });
      const first = await drain(c, 6);
      t.same(values(first), [1, 2, 3, 4, 5, 6]);
      await c.stop();
      // A checkpoint saved after message 3: the restarted reader asks for 4 on, and gets 4 again.
      c = await bus.consumer({ stream, durable: 'owned', ackPolicy: 'none', startSeq: 4 });
      const again = await drain(c, 7);
      t.same(values(again), [4, 5, 6, 7, 8, 9, 10]);
      t.same(
        again.map((m) => m.seq),
        [4, 5, 6, 7, 8, 9, 10],
      );
      t.ok(
        again.every((m) => m.deliveryCount >= 1),
        'delivery counts are set',
      );
      t.same(await c.fetch(5, 300), [], 'nothing more');
      await c.stop();
    });

    t.test('startSeq past the end waits for new messages', async (t) => {
      const stream = await fresh(2);
      const c = await bus.consumer({ stream, durable: 'tail', ackPolicy: 'none', startSeq: 3 });
      t.same(await c.fetch(5, 300), []);
      await bus.publish(`${stream.replace('P_', 'p')}.0`, encodeJson(3));
      t.same(values(await drain(c, 1)), [3]);
      await c.stop();
    });
  });
}
