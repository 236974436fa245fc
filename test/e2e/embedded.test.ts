import t from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { SyntheticGenerator } from '../../ingest/synthetic/index.js';
import { brandId } from '../../api/index.js';
import { validateSocialEvent, type SocialEventInput, type WindowAggregate } from '../../stream/index.js';
import { directCount, mismatches, totalPosts } from '../helpers/oracle.js';
import { eventually, startTestApp } from '../helpers/app.js';

const MIN = 60_000;

/**
 * End to end over HTTP: a seeded input goes in through POST /v1/events on a real port, and the
 * REST aggregates must equal a direct count over the same input.
 */
t.test('REST aggregates equal a direct count over the same seeded input', async (t) => {
  const running = await startTestApp(['--allowed-lateness-ms', '600000']);
  t.teardown(() => running.stop());

  // Twenty minutes of traffic ending a minute ago, so every event is on time.
  const to = Math.floor(Date.now() / MIN) * MIN - MIN;
  const from = to - 20 * MIN;
  const generator = new SyntheticGenerator({ seed: 7, brands: DEFAULT_BRANDS, ratePerSec: 20 });
  const events: SocialEventInput[] = [];
  for (const g of generator.generate(from, to)) if (g.kind === 'social') events.push(g.event);
  t.ok(events.length > 10_000, `${events.length} events`);

  // Post in batches of 2,000 lines, as a connector would.
  let accepted = 0;
  for (let i = 0; i < events.length; i += 2000) {
    const body = events
      .slice(i, i + 2000)
      .map((e) => JSON.stringify(e))
      .join('\n');
    const res = await fetch(`${running.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    t.equal(res.status, 202);
    const r = (await res.json()) as { accepted: number; rejected: number };
    accepted += r.accepted;
    if (r.rejected) t.fail(`rejected lines: ${JSON.stringify(r)}`);
  }
  t.equal(accepted, events.length);

  // The direct count: the same engines over the same input, grouped by brand and minute.
  const valid = events.map((e) => {
    const v = validateSocialEvent(e);
    if (!v.ok) throw new Error('generator produced an invalid event');
    return v.value;
  });
  const expected = directCount(valid, DEFAULT_BRANDS, new RulesSentiment(), MIN);
  const expectedPosts = totalPosts(expected);

  type Window = WindowAggregate;

  const fetchAll = async () => {
    const out: Window[] = [];
    for (const b of DEFAULT_BRANDS) {
      const res = await fetch(
        `${running.url}/v1/brands/${brandId(b.name)}/metrics?window=1m&from=${from - MIN}&to=${to + MIN}`,
      );
      out.push(...((await res.json()) as { windows: Window[] }).windows);
    }
    return out;
  };
  // Wait until the pipeline has drained: the totals stop short of the input until then.
  const windows = await eventually(
    async () => {
      const w = await fetchAll();
      return w.reduce((n, x) => n + x.posts, 0) === expectedPosts ? w : undefined;
    },
    60_000,
    'the pipeline to drain',
  );
  t.equal(windows.length, expected.size, 'one window per brand and minute that had posts');
  t.same(mismatches(expected, windows), [], 'every window matches the direct count exactly');
});

t.test('stopping during a long backfill ends it after its current chunk, not at its end', async (t) => {
  // A week of history at the default rate takes minutes to generate: stop() must not wait for it.
  const running = await startTestApp(['--synthetic', '--synthetic-backfill-minutes', String(7 * 24 * 60)]);
  const synthetic = running.synthetic!;
  const started = synthetic.position!;
  await eventually(
    async () => (synthetic.position! > started ? true : undefined),
    30_000,
    'backfill to begin',
  );
  await running.stop();
  const stoppedAt = synthetic.position!;
  t.ok(stoppedAt < Date.now() - 24 * 60 * MIN, 'the backfill stopped days short of now');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(synthetic.position, stoppedAt, 'and generates nothing after stop');
});
