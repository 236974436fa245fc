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

t.test('a value a listener was sent first is not sent again', async (t) => {
  countTimers(t);
  const hub = new MapHub({ intervalMs: 1000 });
  const got: number[] = [];
  hub.watch('a', (_c, p) => got.push(p.value));
  hub.values.set('a', 7);
  hub.sent('a', { value: 7 });
  await hub.poll();
  t.same(got, [], 'the poll read what the first snapshot sent');
  hub.sent('a', { value: 8 });
  hub.values.set('a', 8);
  await hub.poll();
  t.same(got, [8], 'sent() keeps only the first value; later ones come from polls');
  hub.sent('unwatched', { value: 1 });
  hub.watch('unwatched', (_c, p) => got.push(p.value));
  await hub.poll();
  t.same(got, [8, 0], 'sent() on an unwatched channel is forgotten');
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
