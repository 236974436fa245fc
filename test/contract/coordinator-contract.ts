import type { Test } from 'tap';
import { randomUUID } from 'node:crypto';
import type { Coordinator } from '../../stream/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Coordinator contract: leases with a time to live, membership, fenced checkpoints. */
export function coordinatorContract(t: Test, name: string, make: () => Promise<Coordinator>): void {
  t.test(`${name}: coordinator contract`, async (t) => {
    const c = await make();
    t.teardown(() => c.close());
    const id = () => randomUUID();

    t.test('a lease has one holder until it is released or expires', async (t) => {
      const lease = id();
      t.ok(await c.tryAcquire(lease, 'a', 10_000));
      t.ok(await c.tryAcquire(lease, 'a', 10_000), 'the holder may take it again');
      t.notOk(await c.tryAcquire(lease, 'b', 10_000), 'nobody else');
      t.notOk(await c.renew(lease, 'b', 10_000));
      t.ok(await c.renew(lease, 'a', 10_000));
      await c.release(lease, 'b');
      t.notOk(await c.tryAcquire(lease, 'b', 10_000), 'only the holder can release');
      await c.release(lease, 'a');
      t.ok(await c.tryAcquire(lease, 'b', 10_000), 'free after release');
    });

    t.test('an expired lease can be taken by another owner, and the old one cannot renew it', async (t) => {
      const lease = id();
      t.ok(await c.tryAcquire(lease, 'a', 300));
      await sleep(450);
      t.ok(await c.tryAcquire(lease, 'b', 10_000));
      t.notOk(await c.renew(lease, 'a', 10_000));
    });

    t.test('checkpoints are saved only by the lease holder', async (t) => {
      const lease = id();
      const key = id();
      t.equal(await c.loadCheckpoint(key), undefined);
      t.notOk(await c.saveCheckpoint(key, 'x', lease, 'a'), 'no lease, no save');
      await c.tryAcquire(lease, 'a', 10_000);
      t.ok(await c.saveCheckpoint(key, '{"seq":1}', lease, 'a'));
      t.equal(await c.loadCheckpoint(key), '{"seq":1}');
      t.notOk(
        await c.saveCheckpoint(key, '{"seq":0}', lease, 'zombie'),
        'a worker without the lease is fenced off',
      );
      t.equal(await c.loadCheckpoint(key), '{"seq":1}');
    });

    t.test('heartbeats list the live members; silent ones drop out', async (t) => {
      const group = id();
      t.same(await c.heartbeat(group, 'w1', 10_000), ['w1']);
      t.same(await c.heartbeat(group, 'w2', 300), ['w1', 'w2']);
      await sleep(450);
      t.same(await c.heartbeat(group, 'w1', 10_000), ['w1'], 'w2 expired');
      await c.leave(group, 'w1');
      t.same(await c.heartbeat(group, 'w3', 10_000), ['w3']);
    });
  });
}
