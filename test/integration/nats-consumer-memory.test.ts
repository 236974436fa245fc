import t from 'tap';
import { randomUUID } from 'node:crypto';
import { encodeJson, NatsBus, type Consumer } from '../../stream/index.js';
import { deleteStreams, natsUnavailable, natsUrl } from '../helpers/nats-server.js';

const url = natsUrl();
const skip = await natsUnavailable(url);

/** What a binding keeps for messages it may still have to settle. */
const held = (c: Consumer) => (c as unknown as { unsettled: Map<number, unknown> }).unsettled.size;

t.test(
  'a consumer keeps nothing for messages that will never be acked, or that one ack settled',
  { skip },
  async (t) => {
    const bus = await NatsBus.connect({ servers: url });
    const stream = `MEM_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    t.teardown(async () => {
      await bus.close();
      await deleteStreams(url, [stream]);
    });
    const subject = `${stream.toLowerCase()}.0`;
    await bus.ensureStream({ name: stream, subjects: [`${stream.toLowerCase()}.*`] });
    for (let i = 0; i < 3000; i++) await bus.publish(subject, encodeJson(i));

    const drain = async (c: Consumer, n: number) => {
      const got = [];
      while (got.length < n) got.push(...(await c.fetch(n - got.length, 2000)));
      return got;
    };
    const none = await bus.consumer({ stream, durable: 'none', ackPolicy: 'none', startSeq: 1 });
    t.equal((await drain(none, 3000)).length, 3000);
    t.equal(held(none), 0, 'ackPolicy none: nothing held');
    await none.stop();

    const all = await bus.consumer({ stream, durable: 'all', ackPolicy: 'all', maxAckPending: 5000 });
    const batch = await drain(all, 3000);
    t.equal(held(all), 3000, 'held until acked');
    batch[batch.length - 1]!.ack();
    t.equal(held(all), 0, 'ackPolicy all: one ack of the last message settles them all');
    await all.stop();
  },
);
