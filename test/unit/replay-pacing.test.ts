import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pacer, pacedDuration, pacedGap } from '../../ingest/replay/pacer.js';
import { replayFile, type Clock } from '../../ingest/replay/replay.js';
import type { EventSink, SinkResult } from '../../ingest/sink.js';
import type { SocialEventInput } from '../../stream/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-replay-pacing-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 0, 1);

/** A clock that only moves when the replay sleeps. */
class FakeClock implements Clock {
  constructor(public t = 1_000_000) {}
  now = () => this.t;
  sleep = async (ms: number) => {
    this.t += ms;
  };
}

/** Records what was sent and when, on the fake clock. */
class RecordingSink implements EventSink {
  batches: { at: number; events: SocialEventInput[] }[] = [];
  constructor(private readonly clock: FakeClock) {}
  async submit(events: readonly unknown[]): Promise<SinkResult> {
    this.batches.push({ at: this.clock.t, events: events as SocialEventInput[] });
    return { accepted: events.length, duplicates: 0, rejected: 0, errors: [] };
  }
}

function file(name: string, offsetsMs: number[]): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    offsetsMs.map((o, i) => JSON.stringify({ id: `e${i}`, text: `post ${i}`, ts: T0 + o })).join('\n') + '\n',
  );
  return path;
}

t.test('gap math: divided by the speed, capped, never negative', async (t) => {
  t.equal(pacedGap(10_000, 10, 60_000), 1000);
  t.equal(pacedGap(3_600_000, 10, 10_000), 10_000, 'capped');
  t.equal(pacedGap(10_000, Infinity, 10_000), 0, 'max speed never waits');
  t.equal(pacedGap(-5, 1, 10_000), 0);
  t.equal(pacedDuration([0, 10_000, 20_000, 3_620_000], [0, 1, 2, 3], 0, 10, 10_000), 1000 + 1000 + 10_000);
  t.equal(
    pacedDuration([0, 10_000, 20_000], [2, 0, 1], 1, 1, 1e9),
    10_000,
    'follows the order, from a position',
  );
});

t.test('Pacer: the first event is due at once, each next one a paced gap later', async (t) => {
  const clock = new FakeClock(500);
  const pacer = new Pacer(2, 10_000, clock.now);
  t.equal(pacer.dueAt(T0), 500);
  clock.t = 10_000; // the sender fell behind: the schedule does not move
  t.equal(pacer.dueAt(T0 + 4000), 2500);
  t.equal(pacer.dueAt(T0 + 4000), 2500, 'same time, same due');
  t.equal(pacer.dueAt(T0 + 1_000_000), 12_500, 'a long gap waits at most the cap');
});

t.test('the replay sends each event when it is due on the (fake) clock', async (t) => {
  const clock = new FakeClock();
  const sink = new RecordingSink(clock);
  const start = clock.t;
  const summary = await replayFile({
    file: file('paced.jsonl', [0, 10_000, 10_000, 20_000, 3_620_000]),
    statePath: join(dir, 'paced.state.json'),
    sink,
    clock,
    speed: 10,
    maxGapMs: 5000,
  });
  t.equal(summary.status, 'complete');
  t.same(
    sink.batches.map((b) => [b.at - start, b.events.map((e) => e.id)]),
    [
      [0, ['e0']],
      [1000, ['e1', 'e2']],
      [2000, ['e3']],
      [7000, ['e4']],
    ],
    'events due together go in one batch; the hour-long gap waits the 5 s cap',
  );
});

t.test('--speed max batches by size and never sleeps', async (t) => {
  const clock = new FakeClock();
  const sink = new RecordingSink(clock);
  const start = clock.t;
  await replayFile({
    file: file('max.jsonl', [0, 1000, 2000, 3000, 4000, 5_000_000, 6_000_000]),
    statePath: join(dir, 'max.state.json'),
    sink,
    clock,
    speed: Infinity,
    batchSize: 3,
  });
  t.same(
    sink.batches.map((b) => [b.at - start, b.events.length]),
    [
      [0, 3],
      [0, 3],
      [0, 1],
    ],
  );
});

t.test('progress comes every progressEveryMs, also during long waits, with an ETA', async (t) => {
  const clock = new FakeClock();
  const sink = new RecordingSink(clock);
  const seen: { at: number; position: number; etaMs: number | undefined }[] = [];
  const start = clock.t;
  await replayFile({
    file: file('slow.jsonl', [0, 60_000]),
    statePath: join(dir, 'slow.state.json'),
    sink,
    clock,
    speed: 1,
    maxGapMs: 60_000,
    progressEveryMs: 20_000,
    onProgress: (p) => seen.push({ at: clock.t - start, position: p.position, etaMs: p.etaMs }),
  });
  t.same(seen, [
    { at: 20_000, position: 1, etaMs: 40_000 },
    { at: 40_000, position: 1, etaMs: 20_000 },
    { at: 60_000, position: 1, etaMs: 0 },
  ]);
});
