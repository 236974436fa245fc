import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import type { Running } from '../../app/compose.js';
import {
  MastodonConnector,
  type MastodonOptions,
  type MastodonState,
} from '../../ingest/connectors/mastodon.js';
import { HttpSink } from '../../ingest/http-sink.js';
import { eventually, metricValue, startTestApp } from '../helpers/app.js';
import { makeStatus, startFakeMastodon, statusFixtures, type FakeMastodon } from '../fakes/mastodon.js';
import { accounted, ingestorSink, settled, TEST_TIMINGS, until } from '../fakes/connector-harness.js';
import { expectPipelineCounts, RecordingSink } from '../fakes/pipeline.js';

const TOKEN = 'test-token-5f2c';

interface Setup {
  fake: FakeMastodon;
  running: Running;
  dir: string;
}

async function setup(t: Test): Promise<Setup> {
  const fake = await startFakeMastodon({ token: TOKEN, heartbeatMs: 100 });
  t.teardown(() => fake.close());
  const running = await startTestApp();
  t.teardown(() => running.stop());
  const dir = await mkdtemp(join(tmpdir(), 'pw-mastodon-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return { fake, running, dir };
}

/** A connector on the fake, posting over HTTP to the app, with test-sized timings. */
function connector(t: Test, s: Setup, sink: RecordingSink, over: Partial<MastodonOptions> = {}) {
  const c = new MastodonConnector({
    instance: s.fake.url,
    token: TOKEN,
    sink,
    statePath: join(s.dir, 'state.json'),
    ...TEST_TIMINGS,
    log: (line) => t.comment(line),
    ...over,
  });
  const done = c.run();
  t.teardown(() => c.stop());
  return { c, done };
}

const streamOpen = (s: Setup) =>
  eventually(async () => (s.fake.openStreams() === 1 ? true : undefined), 10_000, 'the stream to open');

const httpSink = (running: Running) => new RecordingSink(new HttpSink({ url: running.url, retries: 3 }));

t.test(
  'statuses stream into a running Pulsewatch; skipped kinds are counted; the pipeline counts each once',
  async (t) => {
    const s = await setup(t);
    const sink = httpSink(s.running);
    const { c } = connector(t, s, sink);
    await streamOpen(s);

    const now = new Date().toISOString();
    for (const f of statusFixtures()) s.fake.publish({ ...f, created_at: now });
    for (let i = 0; i < 30; i++) s.fake.publish(makeStatus());
    s.fake.deleteStatus('113054816000000002');

    // Fixtures: 5 posts, 1 reblog, 1 bot; then 30 posts and one delete.
    await until(c, '35 sent', (x) => x.sent === 35 && x.ignored.delete === 1 && settled(x));
    const stats = c.stats();
    t.same(stats.ignored, { reblog: 1, bot: 1, delete: 1 });
    t.same(stats.rejected, {});
    t.equal(stats.duplicates, 0);
    t.equal(stats.connections, 1);
    accounted(t, stats);
    t.equal(
      await metricValue(s.running, 'pulsewatch_events_in_total', { source: 'mastodon' }),
      35,
      'ingest accepted 35',
    );
    const state = JSON.parse(await readFile(join(s.dir, 'state.json'), 'utf8')) as MastodonState;
    t.same(
      state,
      {
        instance: s.fake.url,
        timelines: {
          public: sink.events
            .map((e) => e.id.split('/').pop())
            .sort()
            .at(-1),
        },
      },
      'the newest id is saved',
    );
    await expectPipelineCounts(t, s.running.store, sink.unique());
  },
);

t.test(
  'a disconnect mid-stream: reconnect, backfill the gap from REST, no status lost or counted twice',
  async (t) => {
    const s = await setup(t);
    const sink = httpSink(s.running);
    const { c } = connector(t, s, sink);
    await streamOpen(s);
    for (let i = 0; i < 20; i++) s.fake.publish(makeStatus());
    await until(c, '20 sent', (x) => x.sent === 20);
    const lastStreamed = s.fake.requests.length;

    // The server goes away; what is posted meanwhile only reaches the REST timeline.
    s.fake.streamingDown = true;
    s.fake.dropStreams();
    for (let i = 0; i < 55; i++) s.fake.publish(makeStatus());
    await until(c, 'a reconnect attempt', (x) => x.reconnects >= 1);
    // Once the stream is back, one status arrives while the backfill reads: it is in both.
    let overlapping = 0;
    s.fake.onTimelineRequest = () => {
      if (overlapping++ === 0) s.fake.publish(makeStatus());
    };
    s.fake.streamingDown = false;
    await eventually(
      async () => (s.fake.openStreams() === 1 ? true : undefined),
      10_000,
      'the stream to reopen',
    );
    for (let i = 0; i < 15; i++) s.fake.publish(makeStatus());

    await until(c, '91 sent', (x) => x.sent === 91 && settled(x));
    const stats = c.stats();
    // Live statuses the backfill also read (it runs while the server holds the new stream) are skipped there.
    t.ok(
      (stats.ignored.backfill_overlap ?? 0) >= 1,
      'the status in both the backfill and the stream was skipped once',
    );
    t.equal(
      stats.backfilled - (stats.ignored.backfill_overlap ?? 0),
      55,
      'the 55 missed statuses came from REST',
    );
    t.equal(stats.duplicates, 0, 'none sent twice');
    t.equal(sink.events.length, 91);
    t.equal(new Set(sink.events.map((e) => e.id)).size, 91);
    accounted(t, stats);
    const rest = s.fake.requests.slice(lastStreamed).filter((r) => r.includes('/api/v1/timelines/public'));
    t.ok(rest.length >= 2, `paged through ${rest.length} REST requests`);
    t.match(rest[0], /min_id=\d+/, 'the backfill starts at the newest id it had');
    await expectPipelineCounts(t, s.running.store, sink.unique());
  },
);

t.test('malformed frames are counted with their reason and the stream keeps flowing', async (t) => {
  const s = await setup(t);
  const sink = httpSink(s.running);
  const { c } = connector(t, s, sink);
  await streamOpen(s);
  s.fake.publish(makeStatus());
  s.fake.sendRaw('event: update\ndata: {"id": "1", "content": \n\n');
  s.fake.sendRaw('event: update\ndata: ["not", "a", "status"]\n\n');
  s.fake.sendRaw(`event: update\ndata: ${JSON.stringify({ ...makeStatus(), account: { bot: false } })}\n\n`);
  s.fake.sendRaw(
    `event: update\ndata: ${JSON.stringify({ ...makeStatus(), language: 'a-language-tag-that-is-far-too-long' })}\n\n`,
  );
  s.fake.sendRaw('event: notification\ndata: {}\n\n');
  s.fake.publish(makeStatus());

  // the over-long language tag is dropped, not the status
  await until(c, 'the frames after the bad ones', (x) => x.sent === 3 && settled(x));
  const stats = c.stats();
  t.same(stats.rejected, { invalid_json: 1, bad_shape: 2 });
  t.same(stats.ignored, { 'event:notification': 1 });
  t.equal(stats.reconnects, 0, 'bad frames do not cost the connection');
  accounted(t, stats);
});

t.test(
  'a stalled stream (no heartbeat) is dropped and reopened, and what came meanwhile is backfilled',
  async (t) => {
    const s = await setup(t);
    const sink = httpSink(s.running);
    const { c } = connector(t, s, sink, { stallTimeoutMs: 600 });
    await streamOpen(s);
    s.fake.publish(makeStatus());
    await until(c, '1 sent', (x) => x.sent === 1);
    s.fake.stallStreams();
    for (let i = 0; i < 5; i++) s.fake.publish(makeStatus());
    await until(c, 'a stall', (x) => x.stalls >= 1 && x.reconnects >= 1);
    await until(c, '6 sent', (x) => x.sent === 6 && settled(x));
    t.equal(c.stats().backfilled, 5);
    t.match(c.stats().lastError, /no data or heartbeat/);
    await expectPipelineCounts(t, s.running.store, sink.unique());
  },
);

t.test('a restart resumes from the state file: the backfill pages forward with Link headers', async (t) => {
  const s = await setup(t);
  const first = httpSink(s.running);
  const a = connector(t, s, first, { timelines: ['hashtag:NorthwindCoffee'] });
  await streamOpen(s);
  // makeStatus copies the first fixture, tagged #northwindcoffee.
  const tagged = () => makeStatus();
  for (let i = 0; i < 12; i++) s.fake.publish(tagged());
  s.fake.publish(makeStatus({ tags: [] })); // not on the hashtag timeline
  await until(a.c, '12 sent', (x) => x.sent === 12 && settled(x));
  await a.c.stop();
  await a.done;
  const saved = JSON.parse(await readFile(join(s.dir, 'state.json'), 'utf8')) as MastodonState;

  for (let i = 0; i < 23; i++) s.fake.publish(tagged());
  const before = s.fake.requests.length;
  const second = httpSink(s.running);
  const b = connector(t, s, second, { timelines: ['hashtag:NorthwindCoffee'], pageSize: 10 });
  await until(b.c, '23 backfilled', (x) => x.sent === 23 && settled(x));
  const pages = s.fake.requests
    .slice(before)
    .filter((r) => r.includes('/api/v1/timelines/tag/NorthwindCoffee'));
  t.match(
    pages[0],
    new RegExp(`min_id=${saved.timelines['hashtag:NorthwindCoffee']}`),
    'starts at the saved id',
  );
  t.equal(pages.length, 4, 'three pages of 10, 10 and 3, then an empty one');
  t.equal(b.c.stats().backfilled, 23);
  t.equal(b.c.stats().duplicates, 0);
  await expectPipelineCounts(t, s.running.store, [...first.unique(), ...second.unique()]);
});

t.test(
  'statuses can go to the in-process ingestor; a state file of another instance is refused',
  async (t) => {
    const s = await setup(t);
    const sink = ingestorSink(s.running);
    const { c } = connector(t, s, sink, { timelines: ['public:local'] });
    await streamOpen(s);
    for (const f of statusFixtures()) s.fake.publish({ ...f, created_at: new Date().toISOString() });
    // public:local: only local accounts' posts (alice, carol, erin); the bot and the reblog are skipped.
    await until(c, '3 sent', (x) => x.sent === 3 && settled(x));
    t.same(c.stats().ignored, { reblog: 1, bot: 1 });
    await c.stop();

    const other = new MastodonConnector({
      instance: 'https://other.example',
      sink,
      statePath: join(s.dir, 'state.json'),
    });
    await t.rejects(
      other.run(),
      /holds positions of http:\/\/127\.0\.0\.1:\d+, not https:\/\/other\.example/,
    );
  },
);

t.test('a refused token is a clear error, not a reconnect loop', async (t) => {
  const s = await setup(t);
  const c = new MastodonConnector({
    instance: s.fake.url,
    token: 'wrong',
    sink: httpSink(s.running),
    initialBackoffMs: 20,
  });
  await t.rejects(
    c.run(),
    /HTTP 401 .*The access token is invalid.*refused the access token \(set --token or PW_MASTODON_TOKEN/,
  );
  t.equal(c.stats().reconnects, 0);
});
