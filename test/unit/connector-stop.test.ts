import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MastodonConnector } from '../../ingest/connectors/mastodon.js';
import type { EventSink } from '../../ingest/sink.js';
import { makeStatus, startFakeMastodon } from '../fakes/mastodon.js';
import { TEST_TIMINGS, until } from '../fakes/connector-harness.js';

/** Pulsewatch is down (every batch fails, so the sink keeps retrying) until `up` is set. */
function downSink(): EventSink & { up: boolean } {
  return {
    up: false,
    async submit(events) {
      if (!this.up) throw new Error('connect ECONNREFUSED 127.0.0.1:8080');
      return { accepted: events.length, duplicates: 0, rejected: 0, errors: [] };
    },
  };
}

t.test(
  'Mastodon: a stop while reading is paused for backpressure (Pulsewatch down) ends within the drain timeout',
  async (t) => {
    const fake = await startFakeMastodon({ heartbeatMs: 100 });
    t.teardown(() => fake.close());
    const dir = await mkdtemp(join(tmpdir(), 'pw-stop-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const sink = downSink();
    // Whatever the outcome, let a stuck connector finish so the test process can end.
    t.teardown(() => void (sink.up = true));
    const c = new MastodonConnector({
      instance: fake.url,
      sink,
      statePath: join(dir, 'state.json'),
      ...TEST_TIMINGS,
      maxPending: 5,
      drainTimeoutMs: 200,
      log: (line) => t.comment(line),
    });
    const done = c.run();
    await until(c, 'the stream to open', (x) => x.connections === 1);
    for (let i = 0; i < 20; i++) fake.publish(makeStatus());
    await until(c, 'reading paused at max-pending', (x) => x.pending >= 5);

    const started = Date.now();
    const stopped = await Promise.race([
      c.stop().then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 5000).unref()),
    ]);
    t.ok(stopped, `stop() resolved (after ${Date.now() - started} ms)`);
    if (stopped) await done;
  },
);

t.test(
  'Mastodon: a stop while the REST backfill is paused for backpressure ends within the drain timeout',
  async (t) => {
    const fake = await startFakeMastodon({ heartbeatMs: 100 });
    t.teardown(() => fake.close());
    const dir = await mkdtemp(join(tmpdir(), 'pw-stop-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    // Saved before a restart: 30 statuses came after it, and only REST has them.
    const saved = makeStatus();
    fake.publish(saved);
    for (let i = 0; i < 30; i++) fake.publish(makeStatus());
    const statePath = join(dir, 'state.json');
    await writeFile(statePath, JSON.stringify({ instance: fake.url, timelines: { public: saved.id } }));
    const sink = downSink();
    t.teardown(() => void (sink.up = true));
    const c = new MastodonConnector({
      instance: fake.url,
      sink,
      statePath,
      ...TEST_TIMINGS,
      maxPending: 5,
      drainTimeoutMs: 200,
      log: (line) => t.comment(line),
    });
    const done = c.run();
    await until(c, 'the backfill paused at max-pending', (x) => x.backfilled > 0 && x.pending >= 5);

    const started = Date.now();
    const stopped = await Promise.race([
      c.stop().then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 5000).unref()),
    ]);
    t.ok(stopped, `stop() resolved (after ${Date.now() - started} ms)`);
    if (stopped) await done;
    t.ok(c.stats().backfilled < 31, 'the backfill stopped reading');
  },
);
