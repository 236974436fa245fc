import t from 'tap';
import { hourOfWeek } from '../../engines/stats/hour-of-week.js';
import { ndjson, startTestApp } from '../helpers/app.js';
import { needsBrowser, openLivePage, screenshot } from '../helpers/browser.js';

/** Long enough for the pipeline and the hub's poll on a busy machine; a wait that runs out fails the test. */
const WAIT = { timeout: 60_000 };

t.test(
  'the live page shows a brand’s topics, trending terms, share of voice, influencers, segments and best times',
  needsBrowser(),
  async (t) => {
    // no trend warm-up: a fresh start has no history to learn baselines from
    const running = await startTestApp(['--trend-warmup-windows', '0']);
    t.teardown(() => running.stop());
    const ts = Date.now();
    let n = 0;
    const event = (text: string, author: string, engagement = { likes: 2, shares: 0, replies: 1 }) => ({
      id: `analytics-${process.pid}-${n++}`,
      source: 'test',
      ts,
      author: { id: author, followers: 100 },
      text,
      engagement,
    });
    const send = async (events: object[]) => {
      const res = await fetch(`${running.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: ndjson(events),
      });
      t.equal(res.status, 202);
      t.equal(((await res.json()) as { accepted: number }).accepted, events.length, 'every event accepted');
    };

    const { page, errors } = await openLivePage(t, running.url);
    t.equal(await page.$eval('#brand-select', (el) => (el as HTMLSelectElement).value), 'northwind-coffee');
    await page.waitForSelector('#voice-list li[data-brand="northwind-coffee"]', WAIT);
    t.same(
      await page.$$eval('#voice-list li', (items) => items.map((i) => (i as HTMLElement).dataset.brand)),
      ['northwind-coffee', 'bluebird-roasters', 'cafe-aurora', 'harbor-brew'],
      'the own brand against its competitors',
    );

    // A competitor speaks first: it holds the whole voice of the group.
    await send(
      Array.from({ length: 10 }, (_, i) => event('@bluebirdroasters the espresso was fine', `blue-${i}`)),
    );
    await page.waitForSelector('#voice-list li[data-brand="bluebird-roasters"][data-posts="10"]', WAIT);
    await page.waitForSelector('#chart-volume[data-windows="1"]', WAIT);
    const span = Number(await page.$eval('#chart-volume', (el) => (el as HTMLElement).dataset.xSpan));
    t.ok(span >= 600 && span <= 3600, `one window: the time axis spans minutes, not years (${span} s)`);
    t.equal(
      await page.$eval('#voice-list li[data-brand="bluebird-roasters"] .voice-share', (el) => el.textContent),
      '100.0%',
    );
    t.equal(await page.$('#trend-list tr[data-term="#zephyrlaunch"]'), null, 'no burst yet');

    // The brand: a burst of a new hashtag, and a run of posts about one subject.
    await send([
      ...Array.from({ length: 25 }, (_, i) =>
        event('@northwindcoffee #zephyrlaunch is here, so excited', `burst-${i}`),
      ),
      ...Array.from({ length: 20 }, (_, i) =>
        event('@northwindcoffee the oat milk latte foam is amazing today', `latte-${i}`),
      ),
    ]);
    await page.waitForSelector('#voice-list li[data-brand="northwind-coffee"][data-posts="45"]', WAIT);
    t.equal(
      await page.$eval('#voice-list li[data-brand="northwind-coffee"] .voice-share', (el) => el.textContent),
      `${((100 * 45) / 55).toFixed(1)}%`,
      'the share of voice moved to the brand',
    );
    t.equal(
      await page.$eval('#voice-list li[data-brand="bluebird-roasters"] .voice-share', (el) => el.textContent),
      `${((100 * 10) / 55).toFixed(1)}%`,
    );

    const burst = await page.waitForSelector(
      '#trend-list tr[data-term="#zephyrlaunch"][data-trending="true"]',
      WAIT,
    );
    t.equal(
      await burst.$eval('.count', (el) => el.textContent),
      '25',
      'the burst’s mentions over all partitions',
    );
    t.equal(await burst.$eval('.badge', (el) => el.textContent), 'trending');

    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#topic-list li')).some((li) => {
          const terms = li.querySelector('.topic-terms')?.textContent ?? '';
          return /\boat\b/.test(terms) && /\bfoam\b/.test(terms);
        }),
      undefined,
      WAIT,
    );
    const topic = await page.$$eval('#topic-list li', (items) =>
      items
        .map((li) => ({
          terms: li.querySelector('.topic-terms')?.textContent ?? '',
          label: li.querySelector('.topic-label')?.textContent ?? '',
          docs: Number((li as HTMLElement).dataset.docs),
        }))
        .find((x) => /\boat\b/.test(x.terms) && /\bfoam\b/.test(x.terms)),
    );
    t.ok(topic && topic.docs >= 20, 'the posts about oat milk lattes are one topic, over all partitions');
    t.ok(topic && topic.label.length > 0, 'with a label');

    await page.waitForSelector('#influencer-list tr[data-author]', WAIT);
    t.ok((await page.$$('#influencer-list tr')).length > 0, 'influencers are listed');

    const hour = hourOfWeek(ts);
    const best = await page.waitForSelector(`#best-hours li[data-hour="${hour}"]`, WAIT);
    t.match(await best.textContent(), /3\.0 engagement per post \(95%: [\d.]+–[\d.]+\), 45 posts/);
    t.equal(
      await page.$$eval('#heatmap-body td.cell:not(.none)', (cells) => cells.length),
      1,
      'one hour of the heat map has posts',
    );

    // Segments form once enough authors have posted a few times each (posts that name no brand).
    const crowd = Array.from({ length: 3 }, () =>
      Array.from({ length: 2400 }, (_, i) =>
        event('just had a lovely walk by the river', `crowd-${i}`, {
          likes: i % 7,
          shares: i % 3,
          replies: 0,
        }),
      ),
    ).flat();
    await send(crowd);
    await page.waitForSelector('#segment-list li[data-segment]', WAIT);
    const segments = await page.$$eval('#segment-list li', (items) =>
      items.map((li) => ({
        label: li.querySelector('.segment-label')?.textContent ?? '',
        authors: Number((li as HTMLElement).dataset.authors),
      })),
    );
    t.ok(segments.length >= 1, 'segments appear');
    t.ok(
      segments.every((s) => s.label.length > 0),
      'each with a label',
    );
    t.equal(new Set(segments.map((s) => s.label)).size, segments.length, 'no two labels alike');
    t.ok(segments.reduce((sum, s) => sum + s.authors, 0) > 0, 'and their sizes');

    // Another brand: the competitor's group is every other brand.
    await page.selectOption('#brand-select', 'bluebird-roasters');
    await page.waitForFunction(
      () => document.querySelector('#voice-list li')?.getAttribute('data-brand') === 'bluebird-roasters',
      undefined,
      WAIT,
    );
    t.equal(
      await page.$eval('#voice-list li[data-brand="bluebird-roasters"] .voice-share', (el) => el.textContent),
      `${((100 * 10) / 55).toFixed(1)}%`,
    );
    await screenshot(page, 'laptop-analytics');
    t.same(errors, [], 'no errors in the page');
  },
);

t.test('the analytics sections fit a narrow screen', needsBrowser(), async (t) => {
  const running = await startTestApp();
  t.teardown(() => running.stop());
  const { page, errors } = await openLivePage(t, running.url);
  await page.setViewportSize({ width: 360, height: 800 });
  await page.waitForSelector('#voice-list li', WAIT);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  t.ok(overflow <= 0, `no sideways scrolling of the page (${overflow}px)`);
  await screenshot(page, 'narrow-analytics');
  t.ok(
    await page.$eval('label[for="brand-select"]', (el) => el.textContent === 'Brand'),
    'the brand selector has a label',
  );
  t.same(errors, []);
});
