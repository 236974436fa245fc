import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import type { Running } from '../../app/compose.js';
import {
  JetstreamConnector,
  type JetstreamOptions,
  type JetstreamState,
} from '../../ingest/connectors/bluesky.js';
import { HttpSink } from '../../ingest/http-sink.js';
import { eventually, metricValue, startTestApp } from '../helpers/app.js';
import { jetstreamFixtures, makePost, startFakeJetstream, type FakeJetstream } from '../fakes/jetstream.js';
import { accounted, ingestorSink, settled, TEST_TIMINGS, until } from '../fakes/connector-harness.js';
import { expectPipelineCounts, RecordingSink, uniqueEvents } from '../fakes/pipeline.js';

interface Setup {
  fake: FakeJetstream;
  running: Running;
  dir: string;
}

async function setup(t: Test, flags: string[] = []): Promise<Setup> {
  const fake = await startFakeJetstream();
  t.teardown(() => fake.close());
  const running = await startTestApp(flags);
  t.teardown(() => running.stop());
  const dir = await mkdtemp(join(tmpdir(), 'pw-bluesky-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return { fake, running, dir };
}

function connector(t: Test, s: Setup, sink: RecordingSink, over: Partial<JetstreamOptions> = {}) {
  const c = new JetstreamConnector({
    url: s.fake.url,
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

const connected = (s: Setup, n = 1) =>
  eventually(async () => (s.fake.clients() === n ? true : undefined), 10_000, `${n} subscriber(s)`);

t.test(
  'posts flow into the in-process ingestor; other kinds are skipped and counted; the pipeline counts each once',
  async (t) => {
    const s = await setup(t);
    const sink = ingestorSink(s.running);
    const { c } = connector(t, s, sink);
    await connected(s);
    const sub = s.fake.subscriptions[0];
    t.same(sub?.getAll('wantedCollections'), ['app.bsky.feed.post']);
    t.equal(sub?.get('cursor'), null, 'no state: the live tail');

    const now = new Date().toISOString();
    for (const f of jetstreamFixtures()) {
      const record = f.commit?.record as { createdAt?: string } | undefined;
      if (record?.createdAt?.startsWith('2024')) record.createdAt = now;
      s.fake.emit(f);
    }
    let last = 0;
    for (let i = 0; i < 30; i++) last = s.fake.emit(makePost());

    // Fixtures: 5 posts (2 with absurd clocks), an update, a delete, a like (not subscribed), identity, account.
    await until(c, '35 sent', (x) => x.sent === 35 && settled(x));
    const stats = c.stats();
    t.same(stats.ignored, { update: 1, delete: 1, identity: 1, account: 1 });
    t.equal(stats.clamped, 2);
    t.same(stats.rejected, {});
    accounted(t, stats);
    t.equal(await metricValue(s.running, 'pulsewatch_events_in_total', { source: 'bluesky' }), 35);
    const state = JSON.parse(await readFile(join(s.dir, 'state.json'), 'utf8')) as JetstreamState;
    t.equal(state.cursor, last, 'the cursor is the time_us of the last acknowledged post');
    await expectPipelineCounts(t, s.running.store, sink.unique());
  },
);

t.test('wanted DIDs are asked for, and only their posts arrive', async (t) => {
  const s = await setup(t);
  const sink = ingestorSink(s.running);
  const wanted = ['did:plc:fakeauthor0000000000000001', 'did:plc:fakeauthor0000000000000002'];
  const { c } = connector(t, s, sink, { wantedDids: wanted });
  await connected(s);
  t.same(s.fake.subscriptions[0]?.getAll('wantedDids'), wanted);
  for (let i = 0; i < 10; i++) s.fake.emit(makePost({ did: `did:plc:fakeauthor000000000000000${i % 5}` }));
  await until(c, '4 sent', (x) => x.sent === 4 && settled(x));
  t.same(new Set(sink.events.map((e) => e.author.id)), new Set(wanted));
});

t.test(
  'a disconnect mid-stream: reconnect with the cursor a few seconds back; nothing lost, repeats counted once',
  async (t) => {
    const s = await setup(t);
    const sink = new RecordingSink(new HttpSink({ url: s.running.url, retries: 3 }));
    const { c } = connector(t, s, sink);
    await connected(s);
    let last = 0;
    for (let i = 0; i < 20; i++) last = s.fake.emit(makePost());
    await until(c, '20 sent', (x) => x.sent === 20);
    s.fake.dropClients();
    for (let i = 0; i < 30; i++) s.fake.emit(makePost());
    await until(c, 'a reconnect', (x) => x.reconnects === 1 && x.connections === 1);
    for (let i = 0; i < 10; i++) s.fake.emit(makePost());

    await until(c, 'all 60 posts', () => sink.unique().length === 60 && settled(c.stats()));
    t.equal(s.fake.subscriptions[1]?.get('cursor'), String(last - 5_000_000), 'cursor = last time_us − 5 s');
    t.equal(
      c.stats().ignored.rewind_overlap,
      20,
      'the 20 posts inside the rewind came again, and were skipped',
    );
    t.equal(sink.events.length, 60, 'none was sent twice');
    accounted(t, c.stats());
    await expectPipelineCounts(t, s.running.store, sink.unique());
  },
);

t.test('malformed messages are counted with their reason and the rest keeps flowing', async (t) => {
  const s = await setup(t);
  const sink = ingestorSink(s.running);
  const { c } = connector(t, s, sink);
  await connected(s);
  s.fake.emit(makePost());
  s.fake.sendRaw('{"did":"did:plc:x","time_us":1725911162329308,"kind":"commit","commit":{');
  s.fake.sendRaw('{"did":"did:plc:x","kind":"commit"}');
  s.fake.sendRaw('"just a string"');
  s.fake.emit({ ...makePost(), did: 'not-a-did' });
  const longLang = makePost();
  if (longLang.commit?.record) longLang.commit.record.langs = ['x'.repeat(40)];
  s.fake.emit(longLang);
  s.fake.emit(makePost());
  // the over-long language tag is dropped, not the post
  await until(c, '3 sent', (x) => x.sent === 3 && settled(x));
  t.same(c.stats().rejected, { invalid_json: 1, bad_shape: 3 });
  t.equal(c.stats().reconnects, 0);
  accounted(t, c.stats());
});

t.test(
  'a stalled connection (no messages, no pongs) is dropped; the cursor replays what it missed',
  async (t) => {
    const s = await setup(t);
    const sink = ingestorSink(s.running);
    const { c } = connector(t, s, sink, { stallTimeoutMs: 600 });
    await connected(s);
    s.fake.emit(makePost());
    await until(c, '1 sent', (x) => x.sent === 1);
    s.fake.stallClients();
    for (let i = 0; i < 5; i++) s.fake.emit(makePost());
    await until(c, 'a stall and a reconnect', (x) => x.stalls >= 1 && x.reconnects >= 1);
    await until(c, 'the 5 missed', () => sink.unique().length === 6 && settled(c.stats()));
    t.match(c.stats().lastError, /no message or pong/);
    await expectPipelineCounts(t, s.running.store, sink.unique());
  },
);

t.test('a restart resumes from the saved cursor', async (t) => {
  const s = await setup(t);
  const first = ingestorSink(s.running);
  const a = connector(t, s, first);
  await connected(s);
  let last = 0;
  for (let i = 0; i < 15; i++) last = s.fake.emit(makePost());
  await until(a.c, '15 sent', (x) => x.sent === 15 && settled(x));
  await a.c.stop();
  await a.done;
  for (let i = 0; i < 25; i++) s.fake.emit(makePost());

  const second = ingestorSink(s.running);
  const b = connector(t, s, second);
  // The cursor is 5 s back, so the 15 come again with the 25; the state says they were sent.
  await until(b.c, 'the 25 missed', () => second.unique().length === 25 && settled(b.c.stats()));
  t.equal(s.fake.subscriptions[1]?.get('cursor'), String(last - 5_000_000));
  t.equal(b.c.stats().ignored.rewind_overlap, 15, 'the 15 sent before the restart are skipped');
  const all = [...first.events, ...second.events];
  t.equal(uniqueEvents(all).length, 40, 'every post once, across the restart');
  await expectPipelineCounts(t, s.running.store, all);
});

t.test(
  'a restart after the dedup window: the rewound posts are not sent again, so none is counted twice',
  async (t) => {
    // A 1 s window stands for the default 2 minutes: the connector is restarted later than that.
    const s = await setup(t, ['--dedup-window-seconds', '1']);
    const first = ingestorSink(s.running);
    const a = connector(t, s, first);
    await connected(s);
    for (let i = 0; i < 15; i++) s.fake.emit(makePost());
    await until(a.c, '15 sent', (x) => x.sent === 15 && settled(x));
    await a.c.stop();
    await a.done;
    await new Promise((r) => setTimeout(r, 2500));
    for (let i = 0; i < 10; i++) s.fake.emit(makePost());

    const second = ingestorSink(s.running);
    const b = connector(t, s, second);
    await until(b.c, 'the 10 missed', () => uniqueEvents([...first.events, ...second.events]).length === 25);
    await until(b.c, 'settled', settled);
    t.equal(second.events.length, 10, 'only the posts after the saved cursor are sent');
    t.equal(b.c.stats().ignored.rewind_overlap, 15, 'the rewound posts sent before are skipped');
    accounted(t, b.c.stats());
    await expectPipelineCounts(t, s.running.store, [...first.events, ...second.events], 10_000);
  },
);

t.test('a refused subscription (HTTP 4xx) is a clear error, not a reconnect loop', async (t) => {
  const s = await setup(t);
  const c = new JetstreamConnector({
    url: s.fake.url.replace('/subscribe', '/nope'),
    sink: ingestorSink(s.running),
  });
  await t.rejects(c.run(), /Jetstream answered HTTP 404: not found/);
  t.equal(c.stats().reconnects, 0);
});
