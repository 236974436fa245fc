import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventIndex } from '../../ingest/replay/event-index.js';
import { replayFile, type Clock } from '../../ingest/replay/replay.js';
import type { EventSink, SinkResult } from '../../ingest/sink.js';
import { validateSocialEvent, type SocialEventInput } from '../../stream/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-replay-order-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 0, 1);

class Collect implements EventSink {
  events: SocialEventInput[] = [];
  async submit(events: readonly unknown[]): Promise<SinkResult> {
    this.events.push(...(events as SocialEventInput[]));
    return { accepted: events.length, duplicates: 0, rejected: 0, errors: [] };
  }
}

/** Seeded shuffle (xorshift), so the test is the same every run. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

t.test('EventIndex grows and orders by time, ties in file order', async (t) => {
  const index = new EventIndex(2);
  const times = [30, 10, 20, 10, 30, 5];
  times.forEach((ts, i) => index.push(ts, i * 100, 99, i + 1));
  t.equal(index.count, 6);
  t.same([...index.order()], [5, 1, 3, 2, 0, 4]);
  t.same([...index.line], [1, 2, 3, 4, 5, 6, 0, 0], 'capacity doubled, values kept');
});

t.test('an unsorted file is sent in event-time order, every row once', async (t) => {
  const n = 5000;
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    text: `post ${i}`,
    ts: T0 + Math.floor(i / 3) * 1000,
  }));
  const path = join(dir, 'shuffled.jsonl');
  writeFileSync(
    path,
    shuffled(rows, 7)
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const sink = new Collect();
  const summary = await replayFile({
    file: path,
    statePath: `${path}.state`,
    sink,
    speed: Infinity,
    batchSize: 333,
  });
  t.equal(summary.status, 'complete');
  t.equal(sink.events.length, n);
  t.equal(new Set(sink.events.map((e) => e.id)).size, n, 'no row twice');
  t.ok(
    sink.events.every((e, i) => i === 0 || e.ts >= sink.events[i - 1]!.ts),
    'non-decreasing event times',
  );
  t.ok(
    sink.events.every((e) => validateSocialEvent(e).ok),
    'every event passes validateSocialEvent',
  );
});

t.test('same-time rows keep file order; sorted files read in blocks give the same events', async (t) => {
  const rows = [
    { id: 'b', text: 'x', ts: T0 + 1 },
    { id: 'a1', text: 'x', ts: T0 },
    { id: 'c', text: 'x', ts: T0 + 2 },
    { id: 'a2', text: 'x', ts: T0 },
  ];
  const path = join(dir, 'ties.jsonl');
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\r\n') + '\r\n');
  const sink = new Collect();
  await replayFile({ file: path, statePath: `${path}.state`, sink, speed: Infinity });
  t.same(
    sink.events.map((e) => e.id),
    ['a1', 'a2', 'b', 'c'],
  );
});

t.test('a UTF-8 BOM is skipped, and rejects are counted with their first line', async (t) => {
  const path = join(dir, 'bom.jsonl');
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        [
          JSON.stringify({ text: 'first', ts: T0 }),
          '',
          '{not json',
          JSON.stringify({ text: 'no time' }),
          JSON.stringify({ text: 'later', ts: T0 + 5 }),
          JSON.stringify({ ts: T0 }),
          '   ',
          JSON.stringify({ text: 'when?', ts: 'soon' }),
          '{"text":"cut',
        ].join('\n'),
      ),
    ]),
  );
  const sink = new Collect();
  const s = await replayFile({ file: path, statePath: `${path}.state`, sink, speed: Infinity });
  t.same(
    sink.events.map((e) => [e.id, e.text]),
    [
      ['bom.jsonl:1', 'first'],
      ['bom.jsonl:5', 'later'],
    ],
    'the first row reads despite the BOM; ids are file name and line',
  );
  t.equal(s.read, 7, 'blank lines are not rows');
  t.equal(s.events, 2);
  t.same(s.rejected_local, { invalid_json: 1, mapping_failed: 2, bad_timestamp: 1, truncated: 1 });
  t.equal(s.rejected, 5);
  t.same(
    s.examples.map((e) => [e.reason, e.line, e.by]),
    [
      ['invalid_json', 3, 'replay'],
      ['mapping_failed', 4, 'replay'],
      ['bad_timestamp', 8, 'replay'],
      ['truncated', 9, 'replay'],
    ],
  );
});

t.test('--time-shift now moves every event by the same amount, the first to now', async (t) => {
  const path = join(dir, 'shift.jsonl');
  writeFileSync(
    path,
    [T0 + 60_000, T0, T0 + 5000].map((ts, i) => JSON.stringify({ id: `s${i}`, text: 'x', ts })).join('\n'),
  );
  let now = Date.UTC(2030, 5, 1);
  const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
  const sink = new Collect();
  const start = now;
  const s = await replayFile({
    file: path,
    statePath: `${path}.state`,
    sink,
    speed: Infinity,
    timeShift: 'now',
    clock,
  });
  t.same(
    sink.events.map((e) => e.ts - start),
    [0, 5000, 60_000],
  );
  t.equal(s.time_shift_ms, start - T0);
  t.equal(s.first_ts, start);
});
