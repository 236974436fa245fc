import t from 'tap';
import { eventually, post, postEvents, startTestApp } from '../helpers/app.js';
import { clearOfMinuteTurn } from '../helpers/async.js';
import type { Request, Route } from 'playwright-core';
import { chartPosts, needsBrowser, openLivePage, screenshot, waitChartPosts } from '../helpers/browser.js';

const WAIT = { timeout: 30_000 };
const HOUR = 3_600_000;

t.test(
  'the time-range picker shows history over REST; Back to live resumes the updates',
  needsBrowser(),
  async (t) => {
    // A quiet app whose only posts are ours: 9 from three hours ago (the first events, so not late).
    const running = await startTestApp();
    t.teardown(() => running.stop());
    const send = (events: number | object[]) => postEvents(t, running.url, events);
    const past = Date.now() - 3 * HOUR;
    await send(Array.from({ length: 9 }, (_, i) => post({ ts: past + i * 1000 })));
    // Stored once the REST history has it (the page reads the same route).
    const url = `${running.url}/v1/brands/northwind-coffee/metrics?window=1m&from=${past - HOUR}&to=${past + HOUR}`;
    const stored = async () =>
      ((await (await fetch(url)).json()) as { windows: { posts: number }[] }).windows.reduce(
        (n, w) => n + w.posts,
        0,
      );
    await eventually(
      async () => ((await stored()) >= 9 ? true : undefined),
      30_000,
      'the 9 past posts stored',
    );

    // opened once the snapshot and the live history are applied: an empty chart now means empty
    const { page, errors } = await openLivePage(t, running.url);
    const chart = () =>
      page.$eval('#chart-volume', (el) => ({
        range: (el as HTMLElement).dataset.range,
        posts: JSON.parse((el as HTMLElement).dataset.posts ?? '{}') as Record<string, number>,
      }));
    t.same(
      await chart(),
      {
        range: 'live',
        posts: { 'northwind-coffee': 0, 'bluebird-roasters': 0, 'cafe-aurora': 0, 'harbor-brew': 0 },
      },
      'live: the last hour is empty',
    );
    t.equal(await page.isHidden('#back-to-live'), true, 'no Back to live while live');

    await page.selectOption('#range-select', '6h');
    await waitChartPosts(page, 'northwind-coffee', 9, WAIT.timeout);
    t.equal((await chart()).range, 'past', 'the last 6 hours hold the 9 posts of three hours ago');
    await page.waitForSelector('#voice-list li[data-brand="northwind-coffee"][data-posts="9"]', WAIT);
    t.pass('the share of voice reads the same range');
    t.match(await page.textContent('#range-message'), /Showing the last 6 hours/);
    t.equal(await page.isVisible('#back-to-live'), true, 'Back to live is offered');
    await screenshot(page, 'laptop-history');

    // Live posts now do not move the past range's chart; the card (the current minute) still moves.
    await clearOfMinuteTurn(); // the card counts the current minute
    await send(4);
    await page.waitForSelector('#card-northwind-coffee .posts:text-is("4")', WAIT);
    t.equal((await chart()).posts['northwind-coffee'], 9, 'the past range stays as it was');

    // A custom range around the past posts.
    await page.selectOption('#range-select', 'custom');
    const local = (ms: number) =>
      new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.fill('#range-from', local(past - 10 * 60_000));
    await page.fill('#range-to', local(past + 10 * 60_000));
    await page.click('#range-custom button[type="submit"]');
    await page.waitForFunction(
      () => /Showing .* – /.test(document.querySelector('#range-message')?.textContent ?? ''),
      undefined,
      WAIT,
    );
    t.equal((await chart()).posts['northwind-coffee'], 9, 'a custom from/to shows them too');
    t.equal(await page.textContent('#influencers-caption'), '', 'influencers over the whole range');

    // Longer than the API serves trends (a day) and the other analytics (7 days) over: the page asks
    // for the end of the range, and says so where the answer covers less than the range.
    await page.fill('#range-from', local(past - 10 * 24 * HOUR));
    await page.fill('#range-to', local(past + HOUR));
    await page.click('#range-custom button[type="submit"]');
    await page.waitForSelector('#influencers-caption:text-is("the last 7 days of the range")', WAIT);
    await page.waitForSelector('#voice-list li[data-brand="northwind-coffee"][data-posts="9"]', WAIT);
    t.ok(await page.isVisible('#influencer-list tr'), 'the influencers of the last 7 days show');
    t.ok(await page.isVisible('#trend-table'), 'and the trends of the last day');
    t.match(
      await page.textContent('#analytics-range'),
      /topics, share of voice, influencers and segments over its last 7 days/,
      'the header says what covers less than the range',
    );

    await page.click('#back-to-live');
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#chart-volume')?.dataset.range === 'live',
      undefined,
      WAIT,
    );
    t.equal((await chart()).posts['northwind-coffee'], 4, 'back to live: the live hour with the 4 new posts');
    t.equal(await page.$eval('#range-select', (el) => (el as HTMLSelectElement).value), 'live');
    await send(3);
    await waitChartPosts(page, 'northwind-coffee', 7, WAIT.timeout);
    t.pass('and the live updates move the chart again');
    t.same(errors, [], 'no errors in the page');
  },
);

t.test(
  'a range change shows nothing of the range before, even when its read fails; brand changes during a past range leave one analytics subscription',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp();
    t.teardown(() => running.stop());
    await postEvents(t, running.url, 2);
    const url = `${running.url}/v1/brands/northwind-coffee/metrics?window=1m&from=${Date.now() - HOUR}&to=${Date.now() + HOUR}`;
    await eventually(
      async () => {
        const { windows } = (await (await fetch(url)).json()) as { windows: { posts: number }[] };
        return windows.reduce((n, w) => n + w.posts, 0) >= 2 ? true : undefined;
      },
      30_000,
      'the 2 posts stored',
    );

    // The channels the page holds, from the subscribe and unsubscribe frames it sends.
    const subscribed = new Set<string>();
    const analyticsChannels = () => [...subscribed].filter((c) => c.startsWith('analytics:')).sort();
    const { page, errors } = await openLivePage(t, running.url, undefined, (page) =>
      page.on('websocket', (ws) =>
        ws.on('framesent', (f) => {
          const m = JSON.parse(String(f.payload)) as { op: string; channels?: string[] };
          for (const c of m.channels ?? [])
            if (m.op === 'subscribe') subscribed.add(c);
            else if (m.op === 'unsubscribe') subscribed.delete(c);
        }),
      ),
    );
    const northwindPosts = async () => (await chartPosts(page))['northwind-coffee'];
    const text = async (selector: string) => (await page.textContent(selector))?.trim() ?? '';
    t.same(analyticsChannels(), ['analytics:northwind-coffee'], 'live: the chosen brand’s analytics');

    await page.selectOption('#range-select', '6h');
    await page.waitForSelector('#range-message:text-matches("Showing the last 6 hours")', WAIT);
    await page.waitForSelector('#voice-list li', WAIT);
    t.equal(await northwindPosts(), 2, 'the last 6 hours hold the 2 posts');
    t.equal(await text('#analytics-range'), 'the last 6 hours');
    t.not(await text('#voice-caption'), '', 'the share of voice says what it counts');
    t.same(analyticsChannels(), [], 'a past range: no live analytics');

    // The next range's history cannot be read: the page says so and shows none of the last 6 hours.
    const rangeHistory = (u: URL) => u.pathname.endsWith('/metrics') && u.searchParams.has('from');
    await page.route(rangeHistory, (r) => r.abort());
    await page.selectOption('#range-select', '24h');
    await page.waitForSelector('#range-message:text-matches("Could not read the last 24 hours")', WAIT);
    t.equal(await northwindPosts(), 0, 'no windows of the range before');
    t.equal(await text('#analytics-range'), '', 'no caption of the range before');
    t.equal(await text('#voice-caption'), '', 'no share of voice of the range before');
    t.equal(await page.$$eval('#voice-list li', (els) => els.length), 0);
    await page.unroute(rangeHistory);

    // Brands chosen during the past range, then back to live: only the last one's analytics. The
    // last one's best times cannot be read: its panel says so.
    await page.selectOption('#brand-select', 'bluebird-roasters');
    const bestTimes = (u: URL) => u.pathname.endsWith('/best-times');
    await page.route(bestTimes, (r) => r.abort());
    await page.selectOption('#brand-select', 'cafe-aurora');
    await page.waitForSelector(
      '#best-times-error:visible:text-matches("Could not read the best times")',
      WAIT,
    );
    t.pass('a failed best-times read is shown in its panel');
    await page.unroute(bestTimes);
    await page.click('#back-to-live');
    await eventually(
      async () => (analyticsChannels().join() === 'analytics:cafe-aurora' ? true : undefined),
      10_000,
      'one analytics subscription',
    ).catch(() => undefined);
    t.same(analyticsChannels(), ['analytics:cafe-aurora'], 'one analytics channel: the brand chosen');
    t.same(errors, [], 'no errors in the page');
  },
);

t.test(
  'a slow read of a wider range does not land under the range chosen after it',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp();
    t.teardown(() => running.stop());
    await postEvents(t, running.url, 5);
    const url = `${running.url}/v1/brands/northwind-coffee/metrics?window=1m&from=${Date.now() - HOUR}&to=${Date.now() + HOUR}`;
    await eventually(
      async () => {
        const { windows } = (await (await fetch(url)).json()) as { windows: { posts: number }[] };
        return windows.reduce((n, w) => n + w.posts, 0) >= 5 ? true : undefined;
      },
      30_000,
      'the 5 posts stored',
    );
    const { page, errors } = await openLivePage(t, running.url);
    const text = async (selector: string) => (await page.textContent(selector))?.trim() ?? '';

    // The analytics reads over more than two days (those of the last 7 days) are held until released.
    const held: { route: Route; request: Request }[] = [];
    const finished = new Set<Request>();
    page.on('requestfinished', (r) => finished.add(r));
    const wide = (u: URL) =>
      /\/(topics|share-of-voice|influencers|trends|segments)$/.test(u.pathname) &&
      Number(u.searchParams.get('to')) - Number(u.searchParams.get('from')) > 2 * 24 * HOUR;
    await page.route(wide, (route, request) => void held.push({ route, request }));

    await page.selectOption('#range-select', '7d');
    await eventually(async () => (held.length === 4 ? true : undefined), 10_000, 'the 7-day reads held');

    // Then an hour with no posts, three hours ago: read and shown while the 7-day reads still wait.
    await page.selectOption('#range-select', 'custom');
    const local = (ms: number) =>
      new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    const from = Date.now() - 3 * HOUR;
    await page.fill('#range-from', local(from));
    await page.fill('#range-to', local(from + HOUR));
    await page.click('#range-custom button[type="submit"]');
    await page.waitForSelector('#range-message:text-matches("Showing .* – ")', WAIT);
    await page.waitForSelector('#voice-caption:text-is("No posts in this range.")', WAIT);
    const label = await text('#analytics-range');
    t.match(label, / – /, 'the analytics say the custom range');

    // The 7-day answers come now: they are of a range no longer shown, and change nothing.
    await Promise.all(held.map((h) => h.route.continue()));
    await page.unroute(wide);
    await eventually(
      async () => (held.every((h) => finished.has(h.request)) ? true : undefined),
      10_000,
      'the 7-day reads answered',
    );
    await page.waitForTimeout(500); // what the page does with them
    t.equal(await text('#analytics-range'), label, 'the header still says the custom range');
    t.equal(await text('#voice-caption'), 'No posts in this range.', 'the share of voice is the hour’s');
    t.same(
      await page.$$eval('#voice-list li', (els) => els.map((el) => (el as HTMLElement).dataset.posts)),
      ['0', '0', '0', '0'],
      'no posts of the last 7 days in the share of voice',
    );
    t.equal(await page.$$eval('#influencer-list tr', (els) => els.length), 0, 'nor its influencers');
    t.match(await text('#range-message'), /^Showing .* – /, 'the message still says the custom range');
    t.same(errors, [], 'no errors in the page');
  },
);
