import t from 'tap';
import { JetstreamConnector } from '../../ingest/connectors/bluesky.js';
import type { EventSink } from '../../ingest/sink.js';
import type { SocialEventInput } from '../../stream/index.js';
import { makePost, startFakeJetstream } from '../fakes/jetstream.js';
import { TEST_TIMINGS, until } from '../fakes/connector-harness.js';

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

t.test(
  'a message over the size limit is counted as frame_too_large and skipped; the posts after it flow',
  async (t) => {
    const fake = await startFakeJetstream();
    t.teardown(() => fake.close());
    const sink = acceptingSink();
    const c = new JetstreamConnector({
      url: fake.url,
      sink,
      ...TEST_TIMINGS,
      maxMessageBytes: 16 * 1024,
      log: (line) => t.comment(line.slice(0, 200)),
    });
    const done = c.run();
    t.teardown(() => c.stop());
    await until(c, 'connected', (x) => x.connections === 1);

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
