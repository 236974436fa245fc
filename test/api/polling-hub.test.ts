import t, { type Test } from 'tap';
import { PollingHub } from '../../api/polling-hub.js';

/** A hub over a map of channel values; `fail` makes a channel's read throw. */
class MapHub extends PollingHub<{ value: number }> {
  readonly values = new Map<string, number>();
  readonly fail = new Set<string>();
  readonly reads: string[] = [];

  async snapshot(channel: string): Promise<{ value: number }> {
    this.reads.push(channel);
    if (this.fail.has(channel)) throw new Error(`cannot read ${channel}`);
    return { value: this.values.get(channel) ?? 0 };
  }
}

/** The hub's timers, counted instead of run: the tests call poll() by hand. */
function countTimers(t: Test) {
  const timers = { started: 0, cleared: 0 };
  const fake = { unref() {} } as unknown as NodeJS.Timeout;
  t.capture(globalThis, 'setInterval', (() => {
    timers.started++;
    return fake;
  }) as unknown as typeof setInterval);
  t.capture(globalThis, 'clearInterval', ((h: unknown) => {
    if (h === fake) timers.cleared++;
  }) as typeof clearInterval);
  return timers;
}

t.test('reads a channel once per poll whatever the listeners, and sends only changes', async (t) => {
  countTimers(t);
  const hub = new MapHub({ intervalMs: 1000 });
  const got: string[] = [];
  hub.watch('a', (c, p) => got.push(`1 ${c}=${p.value}`));
  hub.watch('a', (c, p) => got.push(`2 ${c}=${p.value}`));
  hub.watch('b', (c, p) => got.push(`3 ${c}=${p.value}`));
  hub.values.set('a', 1);
  await hub.poll();
  t.same(hub.reads, ['a', 'b'], 'one read per channel');
  t.same(got, ['1 a=1', '2 a=1', '3 b=0'], 'the first poll sends every channel');
  got.length = 0;
  await hub.poll();
  t.same(got, [], 'nothing changed: nothing sent');
  hub.values.set('b', 5);
  await hub.poll();
  t.same(got, ['3 b=5'], 'only the changed channel is sent');
});

t.test(
  'a new listener starts from what the others were sent: each change reaches everyone once',
  async (t) => {
    countTimers(t);
    const hub = new MapHub({ intervalMs: 1000 });
    const got: string[] = [];
    hub.watch('a', (_c, p) => got.push(`A${p.value}`));
    hub.values.set('a', 1);
    t.same(await hub.current('a'), { value: 1 }, 'the first listener: a read');
    await hub.poll();
    t.same(got, [], 'the poll read what it started from: nothing sent');
    hub.values.set('a', 2);
    hub.watch('a', (_c, p) => got.push(`B${p.value}`));
    hub.reads.length = 0;
    t.same(await hub.current('a'), { value: 1 }, 'the second starts from the value A holds, without a read');
    t.same(hub.reads, []);
    await hub.poll();
    t.same(got, ['A2', 'B2'], 'the change, once to each');
    hub.watch('b', () => undefined);
    t.same(await hub.current('b'), { value: 0 });
    hub.values.set('c', 3);
    t.same(await hub.current('c'), { value: 3 }, 'an unwatched channel is read');
    hub.values.set('c', 4);
    t.same(await hub.current('c'), { value: 4 }, 'and read again: nothing is kept for it');
  },
);

t.test('one read per channel in flight, shared by whoever asks meanwhile', async (t) => {
  countTimers(t);
  const hub = new MapHub({ intervalMs: 1000 });
  const off: (() => void)[] = [];
  const asked: Promise<{ value: number }>[] = [];
  // A client subscribing and unsubscribing over and over.
  for (let i = 0; i < 100; i++) {
    off.push(hub.watch('a', () => undefined));
    asked.push(hub.current('a'));
    off.pop()!();
  }
  await Promise.all(asked);
  t.same(hub.reads, ['a'], 'one read for a hundred subscriptions');
  hub.fail.add('a');
  hub.watch('a', () => undefined);
  await t.rejects(hub.current('a'), /cannot read a/, 'a failed read reaches who asked');
  hub.fail.clear();
  t.same(await hub.current('a'), { value: 0 }, 'and the next one reads again');
});

t.test('a fingerprint decides what counts as a change', async (t) => {
  countTimers(t);
  const hub = new MapHub({ intervalMs: 1000, fingerprint: (p) => String(Math.floor(p.value / 10)) });
  const got: number[] = [];
  hub.watch('a', (_c, p) => got.push(p.value));
  for (const v of [1, 4, 12, 19, 3]) {
    hub.values.set('a', v);
    await hub.poll();
  }
  t.same(got, [1, 12, 3]);
});

t.test('polls while someone watches, stops when the last watcher leaves', async (t) => {
  const timers = countTimers(t);
  const hub = new MapHub({ intervalMs: 1000 });
  const offA = hub.watch('a', () => undefined);
  const offB = hub.watch('b', () => undefined);
  t.same(timers, { started: 1, cleared: 0 }, 'one timer for every channel');
  offA();
  t.same(timers, { started: 1, cleared: 0 }, 'b is still watched');
  hub.reads.length = 0;
  await hub.poll();
  t.same(hub.reads, ['b'], 'a channel nobody watches is not read');
  offB();
  t.same(timers, { started: 1, cleared: 1 }, 'the last watcher gone: the timer is stopped');
  hub.reads.length = 0;
  await hub.poll();
  t.same(hub.reads, [], 'nothing watched: nothing read');
  const got: number[] = [];
  const offC = hub.watch('a', (_c, p) => got.push(p.value));
  t.equal(timers.started, 2, 'a new watcher starts polling again');
  await hub.poll();
  t.same(got, [0], 'a channel watched again is sent again, though its value did not change');
  offC();
});

t.test('a read error goes to onError; the other channels are still sent', async (t) => {
  countTimers(t);
  const errors: unknown[] = [];
  const hub = new MapHub({ intervalMs: 1000, onError: (err) => errors.push(err) });
  const got: string[] = [];
  hub.watch('a', (c) => got.push(c));
  hub.watch('b', (c) => got.push(c));
  hub.fail.add('a');
  await hub.poll();
  t.equal(errors.length, 1);
  t.match(errors[0], { message: 'cannot read a' });
  t.same(got, ['b']);
  hub.fail.clear();
  await hub.poll();
  t.same(got, ['b', 'a'], 'the channel is read again at the next poll');
});

t.test('a channel left while it was being read is not sent', async (t) => {
  countTimers(t);
  const hub = new MapHub({ intervalMs: 1000 });
  const got: number[] = [];
  let off = () => {};
  const read = hub.snapshot.bind(hub);
  hub.snapshot = async (channel) => {
    off();
    return read(channel);
  };
  off = hub.watch('a', (_c, p) => got.push(p.value));
  await hub.poll();
  t.same(got, []);
});
