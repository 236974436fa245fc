import t from 'tap';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMapFlags } from '../../ingest/replay/mapping.js';
import { replayFile, type ReplayOptions, type ReplaySummary } from '../../ingest/replay/replay.js';
import type { ReplayState } from '../../ingest/replay/state.js';
import type { EventSink, SinkResult } from '../../ingest/sink.js';
import type { SocialEventInput } from '../../stream/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-replay-state-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 0, 1);
let files = 0;

/** A file of `n` good rows in reverse time order, plus one bad row. */
function input(n = 10): string {
  const path = join(dir, `in-${++files}.jsonl`);
  const rows = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ text: `post ${i}`, ts: T0 + (n - i) * 1000 }),
  );
  writeFileSync(path, [...rows, '{bad'].join('\n') + '\n');
  return path;
}

/** A sink that accepts everything (the server's verdict on the id `e-bad` is a reject) and can fail on cue. */
class Sink implements EventSink {
  calls = 0;
  ids: string[] = [];
  constructor(private readonly onCall: (call: number) => void = () => undefined) {}
  async submit(events: readonly unknown[]): Promise<SinkResult> {
    this.onCall(++this.calls);
    const batch = events as SocialEventInput[];
    this.ids.push(...batch.map((e) => e.id));
    return { accepted: batch.length, duplicates: 0, rejected: 0, errors: [] };
  }
}

const run = (file: string, sink: EventSink, over: Partial<ReplayOptions> = {}) =>
  replayFile({ file, sink, speed: Infinity, batchSize: 3, ...over });

/** The counts a finished replay reports, without what differs by run (times, where it resumed). */
const totals = (s: ReplaySummary) => ({
  status: s.status,
  read: s.read,
  events: s.events,
  sent: s.sent,
  accepted: s.accepted,
  duplicates: s.duplicates,
  rejected: s.rejected,
  rejected_local: s.rejected_local,
  rejected_server: s.rejected_server,
  position: s.position,
});

t.test('interrupted after two batches, resumed: the same events and totals as one run', async (t) => {
  const whole = input();
  const once = new Sink();
  const expected = await run(whole, once);
  t.equal(expected.status, 'complete');
  t.equal(once.ids.length, 10);

  const file = input();
  const stop = new AbortController();
  const first = new Sink((call) => call === 2 && stop.abort());
  const interrupted = await run(file, first, { signal: stop.signal });
  t.equal(interrupted.status, 'interrupted');
  t.equal(interrupted.position, 6, 'the batch in flight when the stop came was finished and counted');
  const saved = JSON.parse(readFileSync(`${file}.replay-state.json`, 'utf8')) as ReplayState;
  t.match(saved, { version: 1, position: 6, total: 10, sent: 6, accepted: 6 }, 'saved next to the input');

  const second = new Sink();
  const logs: string[] = [];
  const resumed = await run(file, second, { log: (l) => logs.push(l) });
  t.match(logs.join('\n'), /resuming at event 7 of 10 events/);
  t.equal(resumed.resumed_at, 6);
  t.same(
    [...first.ids, ...second.ids].map((id) => id.replace(/^in-\d+/, '')),
    once.ids.map((id) => id.replace(/^in-\d+/, '')),
    'every event exactly once, in the same order',
  );
  t.same(totals(resumed), totals(expected));
});

t.test('a batch abandoned in flight is sent again on resume', async (t) => {
  const file = input();
  const stop = new AbortController();
  const first = new Sink((call) => {
    if (call === 2) {
      stop.abort();
      throw new Error('aborted');
    }
  });
  const interrupted = await run(file, first, { signal: stop.signal });
  t.equal(interrupted.status, 'interrupted');
  t.equal(interrupted.position, 3);
  const second = new Sink();
  const resumed = await run(file, second);
  t.equal(second.ids.length, 7, 'the abandoned batch and the rest');
  t.equal(resumed.sent, 10);
});

t.test('a sink error stops the replay with how to resume; the run after resumes', async (t) => {
  const file = input();
  const failing = new Sink((call) => {
    if (call === 3) throw new Error('ingest at http://x unavailable after 4 attempts: ECONNREFUSED');
  });
  await t.rejects(run(file, failing), {
    name: 'ReplayError',
    message:
      /ECONNREFUSED\. 6 of 10 events are acknowledged and saved in .*: run the same command again to resume/,
  });
  const after = new Sink();
  const s = await run(file, after);
  t.equal(after.ids.length, 4);
  t.equal(s.sent, 10);
});

t.test('a stop while the file is indexed sends nothing and says so', async (t) => {
  const sink = new Sink();
  await t.rejects(run(input(), sink, { signal: AbortSignal.abort() }), {
    name: 'ReplayError',
    message: 'interrupted while indexing the file; nothing was sent in this run',
  });
  t.equal(sink.calls, 0);
});

t.test('a finished replay run again sends nothing and reports the same totals', async (t) => {
  const file = input();
  const first = await run(file, new Sink());
  const again = new Sink();
  const logs: string[] = [];
  const second = await run(file, again, { log: (l) => logs.push(l) });
  t.equal(again.calls, 0);
  t.match(logs.join('\n'), /nothing left to send.*--restart replays again/);
  t.same(totals(second), totals(first));
  const restarted = new Sink();
  const third = await run(file, restarted, { restart: true });
  t.equal(restarted.ids.length, 10, '--restart sends everything again');
  t.equal(third.resumed_at, 0);
});

t.test('a changed file or mapping is refused with what changed', async (t) => {
  const file = input();
  const stop = new AbortController();
  await run(file, new Sink(() => stop.abort()), { signal: stop.signal });
  await t.rejects(run(file, new Sink(), { mapping: parseMapFlags(['text=body']) }), {
    name: 'ReplayError',
    message:
      /the mapping of text changed \(was \["text".*now \["body"\]\) since the replay state in .* was saved \(at event 3 of 10\).*--restart/,
  });
  await t.rejects(
    run(file, new Sink(), { source: 'other' }),
    /the source changed \(was "replay", now "other"\)/,
  );
  await t.rejects(run(file, new Sink(), { timeShift: 'now' }), /the time shift changed/);
  appendFileSync(file, JSON.stringify({ text: 'new', ts: T0 }) + '\n');
  await t.rejects(run(file, new Sink()), /the input file changed \(size \d+ → \d+ bytes/);
  const s = await run(file, new Sink(), { restart: true });
  t.equal(s.sent, 11);
});

t.test('state file problems are clear errors', async (t) => {
  const file = input();
  const corrupt = join(dir, 'corrupt.json');
  writeFileSync(corrupt, '{"version":');
  await t.rejects(run(file, new Sink(), { statePath: corrupt }), {
    name: 'ReplayError',
    message: /state file .*corrupt\.json is not valid JSON.*or use --restart/,
  });
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ some: 'thing' }));
  await t.rejects(run(file, new Sink(), { statePath: other }), /is not a replay state file of this version/);
  const blocker = join(dir, 'not-a-dir');
  writeFileSync(blocker, '');
  await t.rejects(run(file, new Sink(), { statePath: join(blocker, 'state.json') }), {
    name: 'ReplayError',
    message: /cannot read the replay state .*state\.json \(ENOTDIR\); choose another place with --state FILE/,
  });
  // The state is written to a temporary file first: a directory in its place makes the write fail
  // (whoever runs the test, root included).
  const unwritable = join(dir, 'unwritable.json');
  mkdirSync(`${unwritable}.${process.pid}.tmp`);
  const sink = new Sink();
  await t.rejects(run(file, sink, { statePath: unwritable }), {
    name: 'ReplayError',
    message:
      /cannot write the replay state to .*unwritable\.json \(EISDIR\); choose a writable place with --state FILE/,
  });
  t.equal(sink.calls, 0, 'nothing is sent before the state can be saved');
  mkdirSync(join(dir, 'sub'));
  const s = await run(file, new Sink(), { statePath: join(dir, 'sub', 'deeper', 's.json') });
  t.equal(s.state_file, join(dir, 'sub', 'deeper', 's.json'));
  t.equal(s.status, 'complete');
});

t.test('bad options are refused before anything is read', async (t) => {
  await t.rejects(run(join(dir, 'missing.jsonl'), new Sink()), {
    name: 'ReplayError',
    message: /cannot read .*missing\.jsonl: ENOENT/,
  });
  const txt = join(dir, 'posts.txt');
  writeFileSync(txt, '');
  await t.rejects(
    run(txt, new Sink()),
    /cannot tell the format of .*posts\.txt from its extension; give --format jsonl or csv/,
  );
  const s = await run(txt, new Sink(), { format: 'jsonl' });
  t.match(s, { status: 'complete', read: 0, events: 0, sent: 0 }, 'an empty file is an empty replay');
  await t.rejects(run(dir, new Sink(), { format: 'jsonl' }), /is not a file/);
});
