import t from 'tap';
import type { Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brandId } from '../../api/index.js';
import { run as replayCli } from '../../app/cli/replay.js';
import type { Running } from '../../app/compose.js';
import { PROJECT_ROOT } from '../../app/paths.js';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import type { BrandSpec } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { HttpSink } from '../../ingest/http-sink.js';
import {
  parseMapFlags,
  replayFile,
  type ReplayOptions,
  type ReplaySummary,
} from '../../ingest/replay/index.js';
import type { EventSink } from '../../ingest/sink.js';
import { validateSocialEvent, type SocialEventInput, type WindowAggregate } from '../../stream/index.js';
import { RecordingSink } from '../fakes/pipeline.js';
import { eventually, metricValue, startTestApp } from '../helpers/app.js';
import { directCount, mismatches, totalPosts, type Expected } from '../helpers/oracle.js';
import { writeReplayDataset } from '../helpers/replay-data.js';
import { sharedFile } from '../helpers/shared-data.js';

/**
 * The replay against a real embedded Pulsewatch over HTTP: what it reports, and what the pipeline
 * counts, which must equal a direct count over the events that were sent. The input is written
 * here (seeded, every time format, JSONL and CSV); the Sentiment140 dev set runs too when
 * `../shared` is there.
 */
const HOUR = 3_600_000;
const S140 = sharedFile('data/sentiment140-test.jsonl');
const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures', 'replay');
const LABEL_BRANDS_FILE = join(FIXTURES, 'label-brands.json');
const LABEL_BRANDS = JSON.parse(readFileSync(LABEL_BRANDS_FILE, 'utf8')) as BrandSpec[];
const FROM = Date.UTC(2009, 4, 1);
const TO = Date.UTC(2009, 6, 1);

const dir = mkdtempSync(join(tmpdir(), 'pw-replay-it-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let states = 0;
const statePath = () => join(dir, `state-${++states}.json`);

/** A file to replay, and what a correct replay finds in it. */
interface ReplayInput {
  name: string;
  file: string;
  skip: string | false;
  /** Rows per label (read when the test runs: a missing dev file is skipped, not read). */
  labels: () => Record<string, number>;
  /** The event time of every row, when known. */
  times?: number[];
}

const generated = (format: 'jsonl' | 'csv', seed: number): ReplayInput => {
  const d = writeReplayDataset(dir, { name: 'posts', format, seed });
  return {
    name: `written posts.${format}`,
    file: d.file,
    skip: false,
    labels: () => d.labels,
    times: d.times,
  };
};
const JSONL = generated('jsonl', 1);
const CSV = generated('csv', 2);
const SENTIMENT140: ReplayInput = {
  name: 'sentiment140-test (dev data)',
  file: S140.path,
  skip: S140.skip,
  labels: () => labelCounts(S140.path),
};
const rowsOf = (input: ReplayInput) => Object.values(input.labels()).reduce((a, b) => a + b, 0);

async function app(t: Test, flags: string[] = []): Promise<Running> {
  const running = await startTestApp(['--allowed-lateness-ms', '600000', ...flags]);
  t.teardown(() => running.stop());
  return running;
}

function oracle(events: SocialEventInput[], brands: BrandSpec[]): Map<string, Expected> {
  const valid = events.map((e) => {
    const v = validateSocialEvent(e);
    if (!v.ok) throw new Error(`the replay sent an invalid event: ${v.detail}`);
    return v.value;
  });
  return directCount(valid, brands, new RulesSentiment(), HOUR);
}

/** The 1-hour windows of the brands once the pipeline has drained `posts` brand mentions. */
async function windowsWhenDrained(
  url: string,
  brands: BrandSpec[],
  posts: number,
): Promise<WindowAggregate[]> {
  const fetchAll = async () => {
    const out: WindowAggregate[] = [];
    for (const b of brands) {
      const res = await fetch(`${url}/v1/brands/${brandId(b.name)}/metrics?window=1h&from=${FROM}&to=${TO}`);
      if (res.status !== 200) throw new Error(`metrics of ${b.name}: HTTP ${res.status}`);
      out.push(...((await res.json()) as { windows: WindowAggregate[] }).windows);
    }
    return out;
  };
  return eventually(
    async () => {
      const w = await fetchAll();
      return w.reduce((n, x) => n + x.posts, 0) === posts ? w : undefined;
    },
    30_000,
    `${posts} posts in the windows`,
  );
}

function labelCounts(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const label = (JSON.parse(line) as { label: string }).label;
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

const replay = (input: ReplayInput, sink: EventSink, over: Partial<ReplayOptions> = {}) =>
  replayFile({
    file: input.file,
    mapping: parseMapFlags(['group=label']),
    speed: Infinity,
    batchSize: 100,
    statePath: statePath(),
    sink,
    ...over,
  });

/** What must be the same for a replay in one go and one interrupted and resumed. */
const totals = (s: ReplaySummary) => ({
  status: s.status,
  read: s.read,
  events: s.events,
  sent: s.sent,
  accepted: s.accepted,
  rejected: s.rejected,
  rejected_local: s.rejected_local,
  rejected_server: s.rejected_server,
  position: s.position,
});

for (const input of [JSONL, CSV, SENTIMENT140])
  t.test(
    `${input.name}: every row accepted, and the pipeline counts equal a direct count`,
    { skip: input.skip },
    async (t) => {
      const n = rowsOf(input);
      const running = await app(t, ['--brands', LABEL_BRANDS_FILE]);
      const sink = new RecordingSink(new HttpSink({ url: running.url, retries: 3 }));
      const summary = await replay(input, sink);
      t.match(totals(summary), {
        status: 'complete',
        read: n,
        events: n,
        sent: n,
        accepted: n,
        rejected: 0,
        position: n,
      });
      t.equal(summary.duplicates, 0);
      t.same(summary.rejected_local, {});
      t.same(summary.rejected_server, {});
      t.ok(
        sink.events.every((e, i) => i === 0 || e.ts >= sink.events[i - 1]!.ts),
        'sent in event-time order (the file is not sorted)',
      );
      if (input.times)
        t.same(
          sink.events.map((e) => e.ts),
          [...input.times].sort((a, b) => a - b),
          'every time format read to the millisecond it stands for',
        );
      t.equal(new Set(sink.events.map((e) => e.id)).size, n, 'every row has its own id');

      const expected = oracle(sink.events, LABEL_BRANDS);
      const windows = await windowsWhenDrained(running.url, LABEL_BRANDS, totalPosts(expected));
      t.same(mismatches(expected, windows), [], 'every 1-hour window matches the direct count');
      const byBrand: Record<string, number> = {};
      for (const w of windows) byBrand[w.brand] = (byBrand[w.brand] ?? 0) + w.posts;
      const labels = input.labels();
      t.same(
        byBrand,
        {
          'Label Positive': labels.positive,
          'Label Negative': labels.negative,
          'Label Neutral': labels.neutral,
        },
        'the group field (label) reached the brand matcher: posts per brand = rows per label in the file',
      );
    },
  );

t.test('interrupted after two batches and resumed: the same totals as one uninterrupted run', async (t) => {
  const n = rowsOf(JSONL);
  const once = await app(t, ['--brands', LABEL_BRANDS_FILE]);
  const whole = new RecordingSink(new HttpSink({ url: once.url, retries: 3 }));
  const uninterrupted = await replay(JSONL, whole);
  const expected = oracle(whole.events, LABEL_BRANDS);

  const twice = await app(t, ['--brands', LABEL_BRANDS_FILE]);
  const state = statePath();
  const stop = new AbortController();
  const first = new RecordingSink(
    new HttpSink({ url: twice.url, retries: 3 }),
    (call) => call === 2 && stop.abort(),
  );
  const interrupted = await replay(JSONL, first, { statePath: state, signal: stop.signal });
  t.equal(interrupted.status, 'interrupted');
  t.equal(interrupted.position, 200);
  t.equal(first.events.length, 200, 'nothing after the stop');
  const second = new RecordingSink(new HttpSink({ url: twice.url, retries: 3 }));
  const resumed = await replay(JSONL, second, { statePath: state });
  t.equal(resumed.resumed_at, 200);
  t.equal(second.events.length, n - 200);
  t.same(totals(resumed), totals(uninterrupted), 'the summary of the finished run');
  t.equal(resumed.duplicates, 0);

  const [a, b] = await Promise.all([
    windowsWhenDrained(once.url, LABEL_BRANDS, totalPosts(expected)),
    windowsWhenDrained(twice.url, LABEL_BRANDS, totalPosts(expected)),
  ]);
  t.same(mismatches(expected, a), [], 'uninterrupted: equal to the direct count');
  t.same(mismatches(expected, b), [], 'interrupted and resumed: equal to the direct count');
});

t.test('a batch abandoned after the server took it is sent again; dedup keeps the totals', async (t) => {
  const n = rowsOf(JSONL);
  const running = await app(t, ['--brands', LABEL_BRANDS_FILE]);
  const state = statePath();
  const stop = new AbortController();
  // The batch reaches the server, but the replay is stopped before it hears the answer.
  const lost = new RecordingSink(new HttpSink({ url: running.url, retries: 3 }), (call) => {
    if (call === 3) {
      stop.abort();
      throw new Error('aborted');
    }
  });
  const interrupted = await replay(JSONL, lost, { statePath: state, signal: stop.signal });
  t.equal(interrupted.position, 200, 'the abandoned batch is not counted as done');
  const rest = new RecordingSink(new HttpSink({ url: running.url, retries: 3 }));
  const resumed = await replay(JSONL, rest, { statePath: state });
  t.equal(resumed.events, n);
  t.equal(resumed.accepted, n);
  t.equal(rest.events.length, n - 200, 'from the abandoned batch on');
  t.same(rest.events.slice(0, 100), lost.events.slice(200), 'the abandoned batch is sent again');
  const expected = oracle(rest.events.concat(lost.events.slice(0, 200)), LABEL_BRANDS);
  const windows = await windowsWhenDrained(running.url, LABEL_BRANDS, totalPosts(expected));
  t.same(mismatches(expected, windows), [], 'counted once');
  // Ingest or stage 2 (whichever sees the repeat inside its dedup window) drops it by id.
  t.equal(
    await metricValue(running, 'pulsewatch_events_duplicate_total'),
    100,
    'the re-sent batch is 100 duplicates',
  );
});

t.test(
  'a CSV file: BOM, CRLF, quoted fields with commas, quotes and newlines, mixed time formats',
  async (t) => {
    const running = await app(t);
    const sink = new RecordingSink(new HttpSink({ url: running.url, retries: 3 }));
    const summary = await replayFile({
      file: join(FIXTURES, 'posts.csv'),
      mapping: parseMapFlags(['author=user', 'group=brand']),
      speed: Infinity,
      statePath: statePath(),
      sink,
    });
    t.match(summary, { status: 'complete', read: 5, events: 5, sent: 5, accepted: 5, rejected: 0 });
    t.same(
      sink.events.map((e) => [e.id, new Date(e.ts).toISOString()]),
      [
        ['c2', '2009-05-11T03:17:40.000Z'],
        ['c3', '2009-05-11T03:18:00.000Z'],
        ['c1', '2009-05-11T03:20:00.000Z'],
        ['c4', '2009-05-11T03:20:00.000Z'],
        ['c5', '2009-05-11T03:21:00.000Z'],
      ],
      'in time order; RFC 2822, ISO, Twitter, epoch s and ms all read',
    );
    t.match(sink.events[0], {
      author: { id: 'bob' },
      text: 'Two lines:\r\nthe latte was "meh" #BluebirdRoasters',
      engagement: { likes: 0 },
    });
    t.match(sink.events[2], {
      text: 'Love the cold brew, really #NorthwindCoffee',
      engagement: { likes: 3 },
    });
    t.notOk(sink.events[1]!.engagement, 'an empty likes column is no count, not 0');
    const expected = oracle(sink.events, DEFAULT_BRANDS);
    const windows = await windowsWhenDrained(running.url, DEFAULT_BRANDS, totalPosts(expected));
    t.same(mismatches(expected, windows), []);
    t.equal(totalPosts(expected), 5, 'each row counted for its brand');
  },
);

t.test('bad rows: each counted with its reason, server rejects too, the rest flows', async (t) => {
  const running = await app(t, ['--ingest-max-line-bytes', '1024']);
  const sink = new RecordingSink(new HttpSink({ url: running.url, retries: 3 }));
  const summary = await replayFile({
    file: join(FIXTURES, 'bad-rows.jsonl'),
    speed: Infinity,
    statePath: statePath(),
    sink,
  });
  t.match(summary, {
    status: 'complete',
    read: 9,
    events: 4,
    sent: 4,
    accepted: 3,
    rejected: 6,
    duplicates: 0,
  });
  t.same(summary.rejected_local, {
    invalid_json: 1,
    invalid_utf8: 1,
    bad_timestamp: 1,
    mapping_failed: 1,
    truncated: 1,
  });
  t.same(summary.rejected_server, { line_too_long: 1 });
  t.same(
    summary.examples.map((e) => [e.by, e.reason, e.line]),
    [
      ['replay', 'invalid_json', 2],
      ['replay', 'invalid_utf8', 3],
      ['replay', 'bad_timestamp', 4],
      ['replay', 'mapping_failed', 5],
      ['replay', 'truncated', 9],
      ['server', 'line_too_long', 7],
    ],
    'each reason with the line of its first row',
  );
  t.same(
    sink.events.map((e) => e.id),
    ['b6', 'b1', 'b8'],
    'sent in event-time order; b7 was sent too and refused by the server (line too long)',
  );
  const accepted = sink.events;
  const expected = oracle(accepted, DEFAULT_BRANDS);
  const windows = await windowsWhenDrained(running.url, DEFAULT_BRANDS, totalPosts(expected));
  t.same(mismatches(expected, windows), []);
});

t.test('--encoding: a Latin-1 file is rejected row by row as UTF-8 and read as latin1', async (t) => {
  const running = await app(t);
  const file = join(FIXTURES, 'posts-latin1.csv');
  const asUtf8 = await replayFile({
    file,
    speed: Infinity,
    statePath: statePath(),
    sink: new HttpSink({ url: running.url, retries: 3 }),
  });
  t.match(asUtf8, { read: 2, events: 0, rejected: 2, rejected_local: { invalid_utf8: 2 } });
  const sink = new RecordingSink(new HttpSink({ url: running.url, retries: 3 }));
  const asLatin1 = await replayFile({
    file,
    encoding: 'latin1',
    mapping: parseMapFlags(['group=brand']),
    speed: Infinity,
    statePath: statePath(),
    sink,
  });
  t.match(asLatin1, { read: 2, events: 2, accepted: 2, rejected: 0 });
  t.same(
    sink.events.map((e) => e.text),
    ['Un café très bon #CaféAurora', 'Crème brûlée latte #NorthwindCoffee'],
  );
  const expected = oracle(sink.events, DEFAULT_BRANDS);
  t.equal(totalPosts(expected), 2, 'both match a brand, the accented hashtag too');
  t.same(mismatches(expected, await windowsWhenDrained(running.url, DEFAULT_BRANDS, 2)), []);
});

t.test('the CLI: progress and a summary, --json on stdout, SIGINT-style stop and resume', async (t) => {
  const n = rowsOf(JSONL);
  const running = await app(t, ['--brands', LABEL_BRANDS_FILE]);
  const state = statePath();
  const args = [
    JSONL.file,
    ...['--map', 'group=label', '--url', running.url, '--speed', 'max', '--batch', '100'],
    ...['--state', state, '--json'],
  ];

  const interrupt = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  const stopped = await replayCli(args, {
    out: (l) => out.push(l),
    err: (l) => {
      err.push(l);
      // Stop once two batches are reported done.
      if (l.startsWith(`sent 200 of ${n}`)) interrupt.abort();
    },
    interrupt: interrupt.signal,
    progressEveryMs: 0,
  });
  t.equal(stopped, 130, 'interrupted: exit 130');
  const stderr = err.join('\n');
  t.match(stderr, /SIGINT: stopping after the batch in flight/);
  t.match(
    stderr,
    new RegExp(
      `interrupted: 200 of ${n} events are acknowledged and saved in .*; run the same command again to resume`,
    ),
  );
  t.match(JSON.parse(out.at(-1)!), { status: 'interrupted', position: 200 });

  out.length = 0;
  err.length = 0;
  const done = await replayCli(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    progressEveryMs: 0,
  });
  t.equal(done, 0);
  const summary = JSON.parse(out.at(-1)!) as ReplaySummary;
  t.match(summary, {
    status: 'complete',
    read: n,
    events: n,
    sent: n,
    accepted: n,
    duplicates: 0,
    rejected: 0,
    resumed_at: 200,
  });
  t.match(err.join('\n'), `replay: resuming at event 201 of ${n} events`);
  t.match(err.join('\n'), `sent ${n} of ${n} events (100.0%), ${n} accepted, 0 rejected`);
  t.match(err.join('\n'), /replay complete: .*posts\.jsonl \(resumed at event 201\)/);
  await eventually(
    async () => ((await metricValue(running, 'pulsewatch_events_enriched_total')) === n ? true : undefined),
    30_000,
    'every post enriched once',
  );
});
