import t from 'tap';
import { RulesSentiment } from '../../engines/sentiment/index.js';
import { BrandMatcher } from '../../engines/text/index.js';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { SyntheticGenerator } from '../../ingest/generator.js';
import { brandId } from '../../api/index.js';
import { enrichEvent, validateSocialEvent, type SocialEventInput } from '../../stream/index.js';
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
  const matcher = new BrandMatcher(DEFAULT_BRANDS);
  const scorer = new RulesSentiment();
  type Agg = {
    posts: number;
    positive: number;
    neutral: number;
    negative: number;
    unsupported: number;
    sum: number;
    likes: number;
    shares: number;
    replies: number;
    authors: Set<string>;
  };
  const expected = new Map<string, Agg>();
  for (const input of events) {
    const v = validateSocialEvent(input);
    if (!v.ok) throw new Error('generator produced an invalid event');
    const e = enrichEvent(v.value, matcher, scorer);
    for (const brand of e.brands) {
      const key = `${brand}|${Math.floor(e.ts / MIN) * MIN}`;
      let a = expected.get(key);
      if (!a)
        expected.set(
          key,
          (a = {
            posts: 0,
            positive: 0,
            neutral: 0,
            negative: 0,
            unsupported: 0,
            sum: 0,
            likes: 0,
            shares: 0,
            replies: 0,
            authors: new Set(),
          }),
        );
      a.posts++;
      a[e.sentiment.label]++;
      if (e.sentiment.label !== 'unsupported') a.sum += e.sentiment.score;
      a.likes += e.engagement.likes;
      a.shares += e.engagement.shares;
      a.replies += e.engagement.replies;
      a.authors.add(e.author.id);
    }
  }
  const expectedPosts = [...expected.values()].reduce((n, a) => n + a.posts, 0);

  type Window = {
    brand: string;
    start: number;
    posts: number;
    positive: number;
    neutral: number;
    negative: number;
    unsupported: number;
    sentiment_sum: number;
    likes: number;
    shares: number;
    replies: number;
    authors: number;
  };
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
  let mismatches = 0;
  for (const w of windows) {
    const a = expected.get(`${w.brand}|${w.start}`);
    const same =
      a &&
      a.posts === w.posts &&
      a.positive === w.positive &&
      a.neutral === w.neutral &&
      a.negative === w.negative &&
      a.unsupported === w.unsupported &&
      a.likes === w.likes &&
      a.shares === w.shares &&
      a.replies === w.replies &&
      a.authors.size === w.authors &&
      Math.abs(a.sum - w.sentiment_sum) < 1e-6;
    if (!same) {
      mismatches++;
      t.fail(
        `window ${w.brand} ${new Date(w.start).toISOString()}: got ${JSON.stringify(w)}, expected ${JSON.stringify({ ...a, authors: a?.authors.size })}`,
      );
    }
  }
  t.equal(mismatches, 0, 'every window matches the direct count exactly');
});
