import t from 'tap';
import { JetstreamConnector } from '../../ingest/connectors/bluesky.js';
import { MastodonConnector } from '../../ingest/connectors/mastodon.js';
import { HttpSink } from '../../ingest/http-sink.js';
import { eventually } from '../helpers/app.js';
import { startServicesApp } from '../helpers/services.js';
import { makePost, startFakeJetstream } from '../fakes/jetstream.js';
import { makeStatus, startFakeMastodon } from '../fakes/mastodon.js';
import { until } from '../fakes/connector-harness.js';
import { expectPipelineCounts, RecordingSink } from '../fakes/pipeline.js';

/**
 * Both connectors against a services-mode Pulsewatch (its own NATS JetStream, ClickHouse database
 * and Redis prefix) over HTTP, each cut off once mid-stream: the ClickHouse aggregates must equal a
 * direct count of every post once.
 */
t.test(
  'Mastodon and Jetstream into services mode, with a disconnect each: ClickHouse counts every post once',
  async (t) => {
    const { running } = await startServicesApp(t);

    const mastodon = await startFakeMastodon();
    t.teardown(() => mastodon.close());
    const jetstream = await startFakeJetstream();
    t.teardown(() => jetstream.close());
    const timings = {
      flushMs: 20,
      initialBackoffMs: 20,
      maxBackoffMs: 200,
      log: (l: string) => t.comment(l),
    };
    const toots = new RecordingSink(new HttpSink({ url: running.url, retries: 5 }));
    const skeets = new RecordingSink(new HttpSink({ url: running.url, retries: 5 }));
    const m = new MastodonConnector({ instance: mastodon.url, sink: toots, ...timings });
    const j = new JetstreamConnector({ url: jetstream.url, sink: skeets, ...timings });
    void m.run();
    void j.run();
    t.teardown(() => m.stop());
    t.teardown(() => j.stop());
    await eventually(async () =>
      mastodon.openStreams() === 1 && jetstream.clients() === 1 ? true : undefined,
    );

    for (let i = 0; i < 40; i++) {
      mastodon.publish(makeStatus());
      jetstream.emit(makePost());
    }
    await until(m, 'the first 40 toots', (s) => s.sent === 40, 30_000);
    await until(j, 'the first 40 skeets', (s) => s.sent === 40, 30_000);
    mastodon.dropStreams();
    jetstream.dropClients();
    for (let i = 0; i < 40; i++) {
      mastodon.publish(makeStatus());
      jetstream.emit(makePost());
    }
    await until(m, '80 toots', (s) => s.sent === 80 && s.pending === 0, 30_000);
    await until(j, '80 skeets', () => skeets.unique().length === 80 && j.stats().pending === 0, 30_000);
    t.equal(m.stats().reconnects, 1);
    t.equal(j.stats().reconnects, 1);

    await expectPipelineCounts(t, running.store, [...toots.events, ...skeets.events], 90_000);
  },
);
