import t, { type Test } from 'tap';
import { JetstreamConnector, type JetstreamOptions } from '../../ingest/connectors/bluesky.js';
import type { EventSink } from '../../ingest/sink.js';
import type { SocialEventInput } from '../../stream/index.js';
import { makePost, startFakeJetstream, type JetstreamEvent } from '../fakes/jetstream.js';
import { accounted, settled, TEST_TIMINGS, until } from '../fakes/connector-harness.js';

/** Accepts everything and keeps the ids it was given. */
function acceptingSink(): EventSink & { ids: string[] } {
  return {
    ids: [],
    async submit(events) {
      for (const e of events) this.ids.push((e as SocialEventInput).id);
      return { accepted: events.length, duplicates: 0, rejected: 0, errors: [] };
    },
  };
}

/** A fake Jetstream and a connector reading it, connected; both are closed at the test's end. */
async function connected(t: Test, options: Partial<JetstreamOptions> = {}) {
  const fake = await startFakeJetstream();
  t.teardown(() => fake.close());
  const sink = acceptingSink();
  const c = new JetstreamConnector({
    url: fake.url,
    sink,
    ...TEST_TIMINGS,
    ...options,
    log: (line) => t.comment(line.slice(0, 200)),
  });
  const done = c.run();
  t.teardown(() => c.stop());
  await until(c, 'connected', (x) => x.connections === 1);
  return { fake, sink, c, done };
}

t.test(
  'a message over the size limit is counted as frame_too_large and skipped; the posts after it flow',
  async (t) => {
    const { fake, sink, c, done } = await connected(t, { maxMessageBytes: 16 * 1024 });

    const posts = [makePost(), makePost(), makePost(), makePost()];
    const uri = (p: (typeof posts)[number]) => `at://${p.did}/app.bsky.feed.post/${p.commit!.rkey}`;
    fake.emit(posts[0]!);
    // A record far over the limit (a server that does not check the lexicon's length limits).
    fake.emit(makePost({ text: 'Northwind Coffee '.repeat(2000) }));
    for (const p of posts.slice(1)) fake.emit(p);

    const wanted = posts.map(uri);
    await until(
      c,
      'the posts after the large one',
      () => wanted.every((id) => sink.ids.includes(id)),
      5000,
    ).catch(() => undefined);
    const stats = c.stats();
    t.same(new Set(sink.ids), new Set(wanted), 'the posts before and after the large message were sent');
    t.same(stats.rejected, { frame_too_large: 1 }, 'the large message is counted once');
    t.ok(stats.reconnects <= 1, `no reconnect loop (${stats.reconnects} reconnects)`);
    await c.stop();
    await done;
  },
);

const uri = (p: JetstreamEvent) => `at://${p.did}/app.bsky.feed.post/${p.commit!.rkey}`;

t.test(
  'a message over the frame limit (the connection drops at its header) is skipped by its time_us: every post before and after it flows, once',
  async (t) => {
    // Before, the reconnect resumed before it (the rewind), met it again and dropped again, forever.
    const { fake, sink, c, done } = await connected(t, {
      maxMessageBytes: 16 * 1024,
      maxFrameBytes: 64 * 1024,
    });

    const posts = Array.from({ length: 6 }, () => makePost());
    fake.emit(posts[0]!);
    fake.emit(posts[1]!);
    fake.advanceClock(5_000);
    // a mid-sized one (over maxMessageBytes, under the frame limit): skipped without dropping
    const midAt = fake.emit(makePost({ text: 'Northwind Coffee '.repeat(2000) }));
    fake.advanceClock(12_345); // gaps in time_us, as on a filtered stream
    const bigAt = fake.emit(makePost({ text: 'Northwind Coffee '.repeat(8000) })); // 136 kB
    fake.advanceClock(777);
    for (const p of posts.slice(2, 4)) fake.emit(p);
    fake.advanceClock(50_000);
    fake.emit(posts[4]!);

    const wanted = posts.slice(0, 5).map(uri);
    await until(
      c,
      'the posts after the large one',
      () => wanted.every((id) => sink.ids.includes(id)),
      5000,
    ).catch(() => undefined);
    t.same([...sink.ids].sort(), [...wanted].sort(), 'every post before and after it, once');
    const cursors = fake.subscriptions.map((q) => q.get('cursor'));
    t.equal(cursors.at(-1), String(bigAt + 1), 'read on from just past the large message');
    // doubling from the message before it until past it, then halving back: twice the bits of the
    // distance, and one more connection to read on
    const bound = 2 * Math.floor(Math.log2(bigAt - midAt)) + 2;
    t.ok(
      cursors.length - 1 <= bound,
      `a bounded search (${cursors.length - 1} connections, at most ${bound})`,
    );

    fake.emit(posts[5]!);
    await until(c, 'the next post', () => sink.ids.includes(uri(posts[5]!)), 5000).catch(() => undefined);
    t.ok(sink.ids.includes(uri(posts[5]!)), 'and the stream goes on');
    const stats = c.stats();
    t.same(stats.rejected, { frame_too_large: 2 }, 'the mid-sized one and the large one, once each');
    t.equal(fake.subscriptions.length, cursors.length, 'no reconnect since');
    await until(c, 'settled', settled);
    accounted(t, c.stats());
    await c.stop();
    await done;
  },
);

t.test('a message over 16 MiB (the default frame limit) is skipped too', async (t) => {
  const { fake, sink, c, done } = await connected(t);
  const posts = [makePost(), makePost(), makePost()];
  fake.emit(posts[0]!);
  fake.emit(makePost({ text: 'x'.repeat(17 * 1024 * 1024) }));
  fake.emit(posts[1]!);
  fake.emit(posts[2]!);
  const wanted = posts.map(uri);
  await until(
    c,
    'the posts after the large one',
    () => wanted.every((id) => sink.ids.includes(id)),
    10_000,
  ).catch(() => undefined);
  t.same([...sink.ids].sort(), [...wanted].sort(), 'the posts before and after it, once');
  t.same(c.stats().rejected, { frame_too_large: 1 });
  await c.stop();
  await done;
});
