import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, metricValue, startTestApp } from '../helpers/app.js';
import { makePost, startFakeJetstream } from '../fakes/jetstream.js';
import { makeStatus, startFakeMastodon } from '../fakes/mastodon.js';

const MIN = 60_000;

/**
 * The streaming connectors run inside the ingest role when configured (`--mastodon-instance`,
 * `--bluesky-jetstream`): their posts reach the pipeline through the same ingestor as HTTP ingest,
 * and their positions are saved in `--connector-state-dir` when the process stops.
 */
t.test('start with --mastodon-instance and --bluesky-jetstream follows both in process', async (t) => {
  const mastodon = await startFakeMastodon();
  t.teardown(() => mastodon.close());
  const jetstream = await startFakeJetstream();
  t.teardown(() => jetstream.close());
  const dir = mkdtempSync(join(tmpdir(), 'pw-connectors-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const running = await startTestApp([
    ...['--mastodon-instance', mastodon.url, '--mastodon-timelines', 'public'],
    ...['--bluesky-jetstream', jetstream.url, '--connector-state-dir', dir],
  ]);
  let stopped = false;
  t.teardown(() => (stopped ? undefined : running.stop()));
  await eventually(
    async () => (mastodon.openStreams() === 1 && jetstream.clients() === 1 ? true : undefined),
    15_000,
    'both connectors to connect',
  );

  const from = Date.now() - MIN;
  for (let i = 0; i < 20; i++) {
    mastodon.publish(makeStatus());
    jetstream.emit(makePost());
  }
  const inBy = (source: string) => metricValue(running, 'pulsewatch_events_in_total', { source });
  await eventually(
    async () => ((await inBy('mastodon')) === 20 && (await inBy('bluesky')) === 20 ? true : undefined),
    15_000,
    '20 posts from each connector at ingest',
  );
  // Every fake post mentions Northwind Coffee: the pipeline counts each once.
  const posts = await eventually(
    async () => {
      const rows = await running.store.query({
        brand: 'Northwind Coffee',
        window: '1m',
        from,
        to: Date.now() + 2 * MIN,
      });
      const n = rows.reduce((sum, r) => sum + r.posts, 0);
      return n === 40 ? n : undefined;
    },
    30_000,
    'the 40 posts in the windows',
  );
  t.equal(posts, 40, 'every post of both connectors counted once');

  stopped = true;
  await running.stop();
  for (const name of ['mastodon', 'bluesky']) {
    const file = join(dir, `${name}.json`);
    t.ok(existsSync(file), `${name} saved its position`);
    t.ok(readFileSync(file, 'utf8').length > 2);
  }
});

t.test('bad connector settings are refused at start', async (t) => {
  await t.rejects(startTestApp(['--mastodon-instance', 'ftp://example.org']), /expected http: or https:/);
  await t.rejects(startTestApp(['--bluesky-jetstream', 'https://example.org']), /expected ws: or wss:/);
  await t.rejects(startTestApp(['--mastodon-timelines', 'public,nonsense']), /mastodon-timelines/);
});
