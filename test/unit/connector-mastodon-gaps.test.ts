import t, { type Test } from 'tap';
import { MastodonConnector } from '../../ingest/connectors/mastodon.js';
import type { EventSink } from '../../ingest/sink.js';
import type { SocialEventInput } from '../../stream/index.js';
import { eventually } from '../helpers/app.js';
import { makeStatus, startFakeMastodon, type FakeMastodon } from '../fakes/mastodon.js';
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

/** Waits for the stream to open and (once it is asked for) the REST timeline's newest status. */
async function liveEdgeRead(c: MastodonConnector, fake: FakeMastodon): Promise<void> {
  await until(c, 'the stream to open', (x) => x.connections === 1);
  await eventually(
    async () => (fake.requests.some((r) => r.includes('/api/v1/timelines/tag/')) ? true : undefined),
    1000,
  ).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 100));
}

/**
 * A fake Mastodon (with `older` statuses of the hashtag the connector must not read: it starts at
 * the live edge) and a connector of its hashtag timeline, run until it has read the live edge.
 */
async function atLiveEdge(
  t: Test,
  older = 0,
): Promise<{
  fake: FakeMastodon;
  sink: ReturnType<typeof acceptingSink>;
  c: MastodonConnector;
  done: Promise<void>;
}> {
  const fake = await startFakeMastodon({ heartbeatMs: 100 });
  t.teardown(() => fake.close());
  for (let i = 0; i < older; i++) fake.publish(makeStatus());
  const sink = acceptingSink();
  const c = new MastodonConnector({
    instance: fake.url,
    sink,
    timelines: ['hashtag:NorthwindCoffee'],
    ...TEST_TIMINGS,
    log: (line) => t.comment(line),
  });
  const done = c.run();
  t.teardown(() => c.stop());
  await liveEdgeRead(c, fake);
  return { fake, sink, c, done };
}

t.test(
  'a quiet timeline: a status posted while the stream is down, before any status was read, is backfilled',
  async (t) => {
    const { fake, sink, c, done } = await atLiveEdge(t, 3);

    // The streaming server restarts; one post comes while it is down.
    fake.streamingDown = true;
    fake.dropStreams();
    const missed = makeStatus();
    fake.publish(missed);
    await until(c, 'a reconnect attempt', (x) => x.reconnects >= 1);
    fake.streamingDown = false;
    await until(c, 'the stream to reopen', (x) => x.connections === 1);
    const live = makeStatus();
    fake.publish(live);

    await eventually(
      async () => (sink.ids.includes(live.uri as string) ? true : undefined),
      10_000,
      'the live status',
    );
    await until(c, 'settled', (x) => x.pending === 0);
    t.same(sink.ids, [missed.uri, live.uri], 'the missed status, then the live one; none of the older ones');
    await c.stop();
    await done;
  },
);

t.test(
  'an empty timeline: what is posted while the stream is down is backfilled from its start',
  async (t) => {
    const { fake, sink, c, done } = await atLiveEdge(t);
    fake.streamingDown = true;
    fake.dropStreams();
    const missed = [makeStatus(), makeStatus()];
    for (const s of missed) fake.publish(s);
    await until(c, 'a reconnect attempt', (x) => x.reconnects >= 1);
    fake.streamingDown = false;
    await until(c, 'both backfilled', (x) => x.sent === 2 && x.pending === 0);
    t.same(
      sink.ids,
      missed.map((s) => s.uri),
    );
    await c.stop();
    await done;
  },
);

t.test("a rate-limited backfill waits for the limit's reset, not just the backoff", async (t) => {
  const { fake, sink, c, done } = await atLiveEdge(t);

  // The stream drops; the catch-up's first page is refused by the rate limit for 1.5 s.
  const missed = makeStatus();
  fake.publish(missed);
  fake.rateLimit = { requests: 1, resetMs: 1_500 };
  const before = fake.timelineTimes.length;
  fake.dropStreams();
  await until(c, 'the missed status', (x) => x.sent === 1 && x.pending === 0);
  t.same(sink.ids, [missed.uri]);
  const [refused, next] = fake.timelineTimes.slice(before);
  t.ok(refused !== undefined && next !== undefined, 'the refused page was asked for again');
  t.ok(
    next! >= fake.rateLimit.resetAt! - 20,
    `asked again ${next! - refused!} ms after the 429, the reset was ${fake.rateLimit.resetAt! - refused!} ms ahead`,
  );
  await c.stop();
  await done;
});

t.test('a streaming server that answers 503 with Retry-After is called again after it', async (t) => {
  const { fake, c, done } = await atLiveEdge(t);
  fake.streamingDown = true;
  fake.streamingRetryAfter = 1;
  const before = fake.streamTimes.length;
  fake.dropStreams();
  await until(c, 'a refused reconnect', (x) => x.reconnects >= 2);
  fake.streamingDown = false;
  await until(c, 'the stream to reopen', (x) => x.connections === 1);
  const times = fake.streamTimes.slice(before);
  t.ok(times.length >= 2);
  for (let i = 1; i < times.length; i++)
    t.ok(times[i]! - times[i - 1]! >= 980, `reconnect ${i} after ${times[i]! - times[i - 1]!} ms`);
  await c.stop();
  await done;
});
