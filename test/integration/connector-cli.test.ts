import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { run as runBluesky } from '../../app/cli/bluesky.js';
import { runIngest } from '../../app/cli/ingest.js';
import { run as runMastodon } from '../../app/cli/mastodon.js';
import { eventually, metricValue, startTestApp } from '../helpers/app.js';
import { makePost, startFakeJetstream } from '../fakes/jetstream.js';
import { startFakeMastodon } from '../fakes/mastodon.js';

/** Runs `fn` with console output captured (the CLIs print usage and counts there). */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { value: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

t.test(
  'pulsewatch ingest bluesky posts to a running Pulsewatch, prints counts and saves its cursor',
  async (t) => {
    const fake = await startFakeJetstream();
    t.teardown(() => fake.close());
    const running = await startTestApp();
    t.teardown(() => running.stop());
    const dir = await mkdtemp(join(tmpdir(), 'pw-cli-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const state = join(dir, 'bluesky.json');
    const stop = new AbortController();
    t.teardown(() => stop.abort());

    const result = captured(() =>
      runBluesky(
        [
          '--jetstream',
          fake.url,
          '--url',
          running.url,
          '--state',
          state,
          '--flush-ms',
          '20',
          '--stats-every-s',
          '0.1',
        ],
        stop.signal,
      ),
    );
    await eventually(async () => (fake.clients() === 1 ? true : undefined), 10_000, 'the subscription');
    let last = 0;
    for (let i = 0; i < 12; i++) last = fake.emit(makePost());
    await eventually(
      async () =>
        (await metricValue(running, 'pulsewatch_events_in_total', { source: 'bluesky' })) === 12
          ? true
          : undefined,
      10_000,
      'ingest to accept 12',
    );
    await eventually(async () => {
      const saved = await readFile(state, 'utf8').catch(() => '{}');
      return (JSON.parse(saved) as { cursor?: number }).cursor === last ? true : undefined;
    });
    stop.abort();
    const { value, err } = await result;
    t.equal(value, 0, 'exit 0 after Ctrl-C');
    t.match(err, /bluesky: resume state in .*bluesky\.json/);
    t.match(
      err,
      /bluesky: received 12 sent 12 \(duplicates 0\) pending 0 rejected 0 ignored 0 rate [\d.]+\/s connections 0 reconnects 0 position \{"cursor":\d+\}/,
    );
  },
);

t.test('pulsewatch ingest mastodon with a refused token exits 1 with the reason', async (t) => {
  const fake = await startFakeMastodon({ token: 'right' });
  t.teardown(() => fake.close());
  const { value, err } = await captured(() =>
    runMastodon(
      ['--instance', fake.url, '--token', 'wrong', '--no-state', '--stats-every-s', '0'],
      new AbortController().signal,
    ),
  );
  t.equal(value, 1);
  t.match(err, /HTTP 401.*refused the access token/);
});

t.test(
  'the default Mastodon state file is named by the host, however the instance URL is written',
  async (t) => {
    const stopped = AbortSignal.abort();
    const stateOf = async (instance: string) => {
      const { value, err } = await captured(() =>
        runMastodon(['--instance', instance, '--stats-every-s', '0'], stopped),
      );
      t.equal(value, 0, instance);
      return /mastodon: resume state in (\S+)/.exec(err)?.[1];
    };
    const want = join('.pulsewatch', 'mastodon-mastodon.example.json');
    for (const instance of [
      'https://mastodon.example',
      'https://mastodon.example/',
      'https://Mastodon.Example',
      'https://mastodon.example:443/',
    ])
      t.equal(await stateOf(instance), want, `${instance}: the same position as the others`);
  },
);

t.test('bad flags exit 2 with the reason and the usage', async (t) => {
  const signal = new AbortController().signal;
  const cases: [typeof runMastodon, string[], RegExp][] = [
    [runMastodon, ['--timeline', 'home'], /unknown Mastodon timeline "home"/],
    [runMastodon, ['--instance', 'mastodon.social'], /not a URL: "mastodon.social"/],
    [runMastodon, ['--batch-size', '0'], /--batch-size: expected a number ≥ 1, got "0"/],
    [runMastodon, ['--backfill-max-pages', 'many'], /--backfill-max-pages/],
    [runMastodon, ['--bogus'], /unknown flag --bogus/],
    [runBluesky, ['--wanted-dids', 'alice.bsky.social'], /not a DID: "alice.bsky.social"/],
    [runBluesky, ['--jetstream', 'https://jetstream.example/subscribe'], /must be ws\(s\)/],
    [runBluesky, ['--stall-timeout-s', '-1'], /--stall-timeout-s/],
  ];
  for (const [run, args, reason] of cases) {
    const { value, err } = await captured(() => run(args, signal));
    t.equal(value, 2, args.join(' '));
    t.match(err, reason);
    t.match(err, /usage: pulsewatch ingest/);
  }
});

t.test('both connectors are registered with the ingest dispatcher', async (t) => {
  const list = await captured(() => runIngest(['--help']));
  t.match(list.out, /connectors: .*bluesky.*mastodon/);
  for (const name of ['mastodon', 'bluesky']) {
    const help = await captured(() => runIngest([name, '--help']));
    t.equal(help.value, 0);
    t.match(help.out, new RegExp(`usage: pulsewatch ingest ${name}`));
    t.match(help.out, /--stall-timeout-s S/);
  }
});
