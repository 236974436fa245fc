import t from 'tap';
import {
  Instrumentation,
  MemoryCoordinator,
  PartitionAssigner,
  PartitionWorkers,
  type AssignerOptions,
  type Coordinator,
  type ReleaseReason,
} from '../../stream/index.js';

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

/**
 * The tests below run on real timers: their times are this many times what they need, so that a busy
 * machine (the whole suite runs two files at once) does not stall a timer past a lease.
 */
const S = 3;

/** Worker `a` of group `g` on `c`. */
function assignerOf(
  c: Coordinator,
  o: Omit<AssignerOptions, 'coordinator' | 'group' | 'owner'>,
): PartitionAssigner {
  return new PartitionAssigner({ coordinator: c, group: 'g', owner: 'a', ...o });
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
  const a = assignerOf(c, {
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
  const a = assignerOf(c, {
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
  return assignerOf(c, {
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
  const a = slowStarter(c, log, 2, 300 * S, 500 * S); // two starts: over three lease times
  const started = a.start();
  await new Promise((r) => setTimeout(r, 700 * S));
  const b = worker(c, 'b', log, 300 * S, 2);
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
  const a = slowStarter(c, log, 1, 300 * S, 400 * S);
  const started = a.start();
  await new Promise((r) => setTimeout(r, 50 * S));
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
  const a = slowStarter(c, log, 3, 60_000, 300 * S);
  const started = a.start();
  await new Promise((r) => setTimeout(r, 50 * S));
  await a.stop();
  await started;
  t.same(log, ['a+0', 'a-0:stop'], 'the started worker is handed back; partitions 1 and 2 never start');
  t.same(sorted(a.owned), []);
  t.ok(await c.tryAcquire('g:1', 'x', 1000), 'leases not taken are free');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3_000 * S): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(5 * S))
    if (Date.now() > end) throw new Error('timed out waiting');
}

t.test('a partition lost while its worker starts is released once, after the start', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = slowStarter(c, log, 1, 300 * S, 400 * S);
  const started = a.start();
  await sleep(50 * S);
  // the lease moves on while the worker starts; the timer's renewal finds it gone
  await c.release('g:0', 'a');
  t.ok(await c.tryAcquire('g:0', 'x', 60_000));
  await started;
  t.same(log, ['a+0', 'a-0:lost'], 'no release before the start ends, and one after it');
  await a.stop();
});

t.test('a partition lost while another is handed back is released once', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = assignerOf(c, {
    partitions: 6,
    leaseTtlMs: 300 * S,
    onAcquire: async (p) => void log.push(`a+${p}`),
    onRelease: async (p, reason) => {
      log.push(`a-${p}:${reason}`);
      if (reason === 'rebalance') await sleep(250 * S); // a last checkpoint
    },
  });
  await a.start();
  t.same(sorted(a.owned), [0, 1, 2, 3, 4, 5]);
  await c.heartbeat('g', 'b', 60_000); // b joins: a's share is 3
  const round = a.tick(); // hands back 5, then 4 and 3
  await until(() => log.includes('a-5:rebalance'));
  // meanwhile partition 4's lease moves on; a renewal finds it lost
  await c.release('g:4', 'a');
  t.ok(await c.tryAcquire('g:4', 'x', 60_000));
  await round;
  t.same(
    log.filter((l) => l.startsWith('a-4:')),
    ['a-4:lost'],
    'lost, and not handed back again',
  );
  t.same(sorted(a.owned), [0, 1, 2]);
  await a.stop();
});

t.test('stop during a slow start keeps renewing the leases of the running workers', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = slowStarter(c, log, 2, 300 * S, 1_000 * S);
  const started = a.start();
  await until(() => log.includes('a+0')); // partition 1 starts now, for a second
  const stopped = a.stop();
  await sleep(500 * S); // over a lease time: a's worker of partition 0 is still running
  t.notOk(log.includes('a-0:stop'));
  const b = worker(c, 'b', log, 300 * S, 2);
  await b.tick();
  t.same(sorted(b.owned), [], 'b takes no partition a still works on');
  await stopped;
  await started;
  t.same(log.slice(-2), ['a-0:stop', 'a-1:stop']);
  await b.stop();
});

t.test('stop with slow hand-overs keeps renewing the leases not handed back yet', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = assignerOf(c, {
    partitions: 2,
    leaseTtlMs: 300 * S,
    onAcquire: async (p) => void log.push(`a+${p}`),
    onRelease: async (p, reason) => {
      await sleep(500 * S); // the last checkpoint, fenced by the lease
      if (reason === 'stop' && !(await c.saveCheckpoint(`cp${p}`, 'x', `g:${p}`, 'a')))
        log.push(`fenced${p}`);
      log.push(`a-${p}:${reason}`);
    },
  });
  await a.start();
  const stopped = a.stop();
  await sleep(400 * S); // a hands back partition 0; partition 1's worker still runs
  const b = worker(c, 'b', log, 300 * S, 2);
  await b.tick();
  t.same(sorted(b.owned), [], 'b takes no partition a still works on');
  await stopped;
  t.same(log, ['a+0', 'a+1', 'a-0:stop', 'a-1:stop'], 'both last checkpoints saved');
  await b.stop();
});

t.test('a partition is not started again while its lost worker is still stopping', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const stopping = new Set<number>();
  const overlaps: number[] = [];
  const a = assignerOf(c, {
    partitions: 1,
    leaseTtlMs: 300 * S,
    onAcquire: async (p) => {
      if (stopping.has(p)) overlaps.push(p);
      log.push(`a+${p}`);
    },
    onRelease: async (p, reason) => {
      stopping.add(p);
      log.push(`a-${p}:${reason}`);
      await sleep(reason === 'lost' ? 400 * S : 0); // waits for the batch in progress
      stopping.delete(p);
    },
    onError: () => undefined,
  });
  await a.start();
  const heartbeat = c.heartbeat.bind(c);
  c.heartbeat = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  await until(() => log.includes('a-0:lost'));
  c.heartbeat = heartbeat; // back: the next round finds partition 0 free (its own lease)
  await sleep(300 * S);
  t.same(overlaps, [], 'never a new worker beside the one still stopping');
  await until(() => log.filter((l) => l === 'a+0').length === 2);
  await a.stop();
});

t.test('stop waits for workers still stopping after their leases were lost', async (t) => {
  const c = new MemoryCoordinator();
  const stopping = new Set<number>();
  const a = assignerOf(c, {
    partitions: 1,
    leaseTtlMs: 300 * S,
    onAcquire: async () => undefined,
    onRelease: async (p) => {
      stopping.add(p);
      await sleep(300 * S);
      stopping.delete(p);
    },
    onError: () => undefined,
  });
  await a.start();
  c.heartbeat = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  await until(() => stopping.size > 0);
  await a.stop();
  t.same([...stopping], [], 'no worker still running once stop() resolves');
});

t.test('a lease acquired while stop is called starts no worker', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const a = worker(c, 'a', log, 60_000, 2);
  const tryAcquire = c.tryAcquire.bind(c);
  c.tryAcquire = async (...args) => {
    await sleep(100 * S); // a slow answer
    return tryAcquire(...args);
  };
  const started = a.start();
  await sleep(50 * S);
  await a.stop();
  await started;
  t.same(log, [], 'no worker started after stop()');
  t.ok(await tryAcquire('g:0', 'x', 1000), 'the lease is free');
});

t.test('a partition acquired once renewals are back is not dropped for the outage before', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  let down = false;
  let outage = false;
  const heartbeat = c.heartbeat.bind(c);
  c.heartbeat = async (...args) => {
    if (down) throw new Error('connect ECONNREFUSED');
    return heartbeat(...args);
  };
  const a = assignerOf(c, {
    partitions: 2,
    leaseTtlMs: 300 * S,
    onAcquire: async (p) => {
      if (p === 0 && !outage) {
        // the coordinator is out of reach while the first worker starts, and back when it has
        down = outage = true;
        await sleep(500 * S);
        down = false;
      }
      log.push(`a+${p}`);
    },
    onRelease: async (p, reason) => void log.push(`a-${p}:${reason}`),
    onError: () => undefined,
  });
  await a.start();
  t.ok(log.includes('a+1') && log.includes('a-0:lost'), 'partition 0 lost in the outage, 1 acquired after');
  await sleep(250 * S);
  t.notOk(log.includes('a-1:lost'), 'a fresh lease is not taken for one that ran out');
  await a.stop();
});

t.test('a lease found lost is released although a later renewal of the pass fails', async (t) => {
  const c = new MemoryCoordinator();
  const log: string[] = [];
  const errors: unknown[] = [];
  const a = assignerOf(c, {
    partitions: 2,
    leaseTtlMs: 60_000,
    onAcquire: async (p) => void log.push(`a+${p}`),
    onRelease: async (p, reason) => void log.push(`a-${p}:${reason}`),
    onError: (err) => errors.push(err),
  });
  await a.tick();
  t.same(sorted(a.owned), [0, 1]);
  // another worker holds partition 0 now; the renewal of partition 1 fails once (a Redis hiccup)
  await c.release('g:0', 'a');
  t.ok(await c.tryAcquire('g:0', 'x', 60_000));
  const renew = c.renew.bind(c);
  c.renew = async (lease, ...rest) => {
    if (lease === 'g:1') {
      c.renew = renew;
      throw new Error('connect ECONNREFUSED');
    }
    return renew(lease, ...rest);
  };
  await a.tick();
  t.equal(errors.length, 1);
  t.same(sorted(a.owned), [1], 'partition 0 is not worked on any longer: x owns it');
  t.ok(log.includes('a-0:lost'));
});

t.test('PartitionWorkers: never two workers of a partition at once after an outage', async (t) => {
  const c = new MemoryCoordinator();
  const active: number[] = []; // the partitions of the workers started and not yet stopped
  let most = 0;
  const workers = new PartitionWorkers({
    coordinator: c,
    group: 'g',
    owner: 'a',
    partitions: 1,
    leaseTtlMs: 300 * S,
    instrumentation: new Instrumentation(),
    create: (p) => ({
      start: async () => {
        active.push(p);
        most = Math.max(most, active.filter((q) => q === p).length);
      },
      stop: async ({ checkpoint }) => {
        if (!checkpoint) await sleep(400 * S); // the batch in progress ends first
        active.splice(active.indexOf(p), 1);
      },
    }),
    onError: () => undefined,
  });
  await workers.start();
  t.same(active, [0]);
  const heartbeat = c.heartbeat.bind(c);
  c.heartbeat = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  await until(() => !workers.owned.has(0)); // dropped: its worker stops (no checkpoint)
  c.heartbeat = heartbeat;
  await until(() => workers.owned.has(0) && active.length === 1); // taken up again
  t.equal(most, 1, 'the new worker started after the old one stopped');
  await workers.stop();
  t.same(active, []);
});
