import t from 'tap';
import { MemoryCoordinator, PartitionAssigner, type ReleaseReason } from '../../stream/index.js';

function worker(c: MemoryCoordinator, owner: string, log: string[], ttl = 200, partitions = 8) {
  return new PartitionAssigner({
    coordinator: c,
    group: 'g',
    owner,
    partitions,
    leaseTtlMs: ttl,
    onAcquire: async (p) => void log.push(`${owner}+${p}`),
    onRelease: async (p, reason: ReleaseReason) => void log.push(`${owner}-${p}:${reason}`),
  });
}

const sorted = (s: ReadonlySet<number>) => [...s].sort((a, b) => a - b);

t.test('a second worker takes over half the partitions; a dead worker’s move to the live one', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = worker(c, 'a', log, 60_000);
  const b = worker(c, 'b', log, 60_000);
  await a.tick();
  t.same(sorted(a.owned), [0, 1, 2, 3, 4, 5, 6, 7], 'alone, a holds all');
  await b.tick(); // b joins: sees 2 members, nothing free yet
  t.same(sorted(b.owned), []);
  await a.tick(); // a sheds to its share of 4, handing over cleanly
  t.same(sorted(a.owned), [0, 1, 2, 3]);
  t.ok(log.includes('a-7:rebalance'), 'shed with a checkpointing hand-over');
  await b.tick();
  t.same(sorted(b.owned), [4, 5, 6, 7], 'b picks up the other half');
  await a.tick();
  await b.tick();
  t.same(sorted(a.owned), [0, 1, 2, 3], 'stable once balanced');
  t.same(sorted(b.owned), [4, 5, 6, 7]);
});

t.test('leases expire: a silent worker’s partitions are taken, and it learns it lost them', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = worker(c, 'a', log, 300);
  const b = worker(c, 'b', log, 300);
  await a.tick();
  await b.tick();
  await a.tick();
  await b.tick();
  t.same(sorted(b.owned), [4, 5, 6, 7]);
  // a stops heartbeating and renewing (paused or dead); after the TTL b takes everything.
  await new Promise((r) => setTimeout(r, 450));
  await b.tick();
  t.same(sorted(b.owned), [0, 1, 2, 3, 4, 5, 6, 7]);
  // a wakes up: its renewals fail and it releases as `lost` (no checkpoint: it is fenced anyway).
  await a.tick();
  t.same(sorted(a.owned), []);
  t.ok(log.includes('a-0:lost'));
});

t.test('stop hands every partition back with a checkpoint', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = worker(c, 'a', log, 60_000);
  await a.start();
  await a.stop();
  t.same(sorted(a.owned), []);
  t.equal(log.filter((l) => l.endsWith(':stop')).length, 8);
  const b = worker(c, 'b', log, 60_000);
  await b.tick();
  t.equal(b.owned.size, 8, 'free at once for the next worker');
  await b.stop();
});

t.test('a worker cut off from the coordinator stops its partitions before their leases expire', async (t) => {
  let clock = 1_000_000;
  const c = new MemoryCoordinator(() => clock);
  const log: string[] = [];
  const errors: unknown[] = [];
  const a = new PartitionAssigner({
    coordinator: c,
    group: 'g',
    owner: 'a',
    partitions: 2,
    leaseTtlMs: 30_000,
    now: () => clock,
    onAcquire: async (p) => void log.push(`a+${p}`),
    onRelease: async (p, reason: ReleaseReason) => void log.push(`a-${p}:${reason}`),
    onError: (err) => errors.push(err),
  });
  await a.tick();
  t.same(sorted(a.owned), [0, 1]);
  // Redis goes out of reach: every round fails from its heartbeat on
  c.heartbeat = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  clock += 10_000;
  await a.tick();
  t.same(sorted(a.owned), [0, 1], 'a third of the lease time: it keeps working');
  clock += 10_000;
  await a.tick();
  t.same(sorted(a.owned), [], 'two thirds: it stops before another worker can take them');
  t.same(log.slice(-2), ['a-0:lost', 'a-1:lost'], 'as lost (no checkpoint: it could not be saved)');
  t.equal(errors.length, 2, 'each failed round is reported');
});

t.test('a coordinator that stops answering: the partitions stop although no round ends', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = new PartitionAssigner({
    coordinator: c,
    group: 'g',
    owner: 'a',
    partitions: 2,
    leaseTtlMs: 300,
    onAcquire: async (p) => void log.push(`a+${p}`),
    onRelease: async (p, reason: ReleaseReason) => void log.push(`a-${p}:${reason}`),
  });
  await a.start();
  t.same(sorted(a.owned), [0, 1]);
  const heartbeat = c.heartbeat.bind(c);
  const waiting: (() => void)[] = [];
  // a silent network: no answer, no error
  c.heartbeat = (...args) => new Promise<void>((r) => waiting.push(r)).then(() => heartbeat(...args));
  t.teardown(async () => {
    c.heartbeat = heartbeat;
    for (const answer of waiting) answer();
    await a.stop();
  });
  await new Promise((r) => setTimeout(r, 500));
  t.same(sorted(a.owned), [], 'stopped by two thirds of the lease time, with the round still waiting');
  t.ok(log.includes('a-0:lost') && log.includes('a-1:lost'));
});

/** An assigner whose workers take `startMs` to start (a replay, a bus that is slow to answer). */
function slowStarter(c: MemoryCoordinator, log: string[], partitions: number, ttl: number, startMs: number) {
  return new PartitionAssigner({
    coordinator: c,
    group: 'g',
    owner: 'a',
    partitions,
    leaseTtlMs: ttl,
    onAcquire: async (p) => {
      await new Promise((r) => setTimeout(r, startMs));
      log.push(`a+${p}`);
    },
    onRelease: async (p, reason: ReleaseReason) => void log.push(`a-${p}:${reason}`),
  });
}

t.test('workers slow to start: the leases are kept meanwhile, so no other worker takes them', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = slowStarter(c, log, 2, 300, 500); // two starts: over three lease times
  const started = a.start();
  await new Promise((r) => setTimeout(r, 700));
  const b = worker(c, 'b', log, 300, 2);
  await b.tick();
  t.same(sorted(b.owned), [], 'b finds every lease renewed although a’s round has not ended');
  await started;
  t.same(sorted(a.owned), [0, 1]);
  t.same(log, ['a+0', 'a+1'], 'nothing was stopped as lost');
  await a.stop();
  await b.stop();
});

t.test('a partition lost while its worker starts is stopped once the start ends', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = slowStarter(c, log, 1, 300, 400);
  const started = a.start();
  await new Promise((r) => setTimeout(r, 50));
  // another worker got the lease meanwhile (the lease ran out under a paused process, say)
  await c.release('g:0', 'a');
  t.ok(await c.tryAcquire('g:0', 'x', 60_000));
  await started;
  t.same(sorted(a.owned), []);
  t.equal(log.indexOf('a+0'), log.lastIndexOf('a-0:lost') - 1, 'the worker that started is stopped after it');
  await a.stop();
});

t.test('stop during a slow start waits for it, then starts no more workers', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = slowStarter(c, log, 3, 60_000, 300);
  const started = a.start();
  await new Promise((r) => setTimeout(r, 50));
  await a.stop();
  await started;
  t.same(log, ['a+0', 'a-0:stop'], 'the started worker is handed back; partitions 1 and 2 never start');
  t.same(sorted(a.owned), []);
  t.ok(await c.tryAcquire('g:1', 'x', 1000), 'leases not taken are free');
});
