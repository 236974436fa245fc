import t from 'tap';
import Fastify from 'fastify';
import { join } from 'node:path';
import { dashboardPlugin } from '../../api/plugins/dashboard.js';
import { DASHBOARD_DIR } from '../../app/paths.js';
import { post, postEvents, startTestApp, LIVE_TRAFFIC } from '../helpers/app.js';
import { clearOfMinuteTurn } from '../helpers/async.js';
import {
  chartPosts,
  launchBrowser,
  needsBrowser,
  openLivePage,
  screenshot,
  waitChartPosts,
} from '../helpers/browser.js';

t.test(
  'the live page draws charts and updates from the WebSocket in a real browser',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp([...LIVE_TRAFFIC]);
    t.teardown(() => running.stop());
    const browser = await launchBrowser(t);
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(running.url) && !r.url().startsWith(running.url.replace(/^http/, 'ws')))
        external.push(r.url());
    });

    await page.goto(running.url + '/');
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 4, undefined, {
      timeout: 10_000,
    });
    // Live data: the own brand's current-minute count becomes positive (once the generator has caught
    // up with its backfilled minutes, which takes a while on a busy machine), then grows.
    const postsOf = () => page.$eval('#card-northwind-coffee .posts', (el) => Number(el.textContent));
    await page.waitForFunction(
      () => Number(document.querySelector('#card-northwind-coffee .posts')?.textContent) > 0,
      undefined,
      { timeout: 60_000 },
    );
    const first = await postsOf();
    await page.waitForFunction(
      (n) => Number(document.querySelector('#card-northwind-coffee .posts')?.textContent) !== n,
      first,
      { timeout: 10_000 },
    );
    t.not(await postsOf(), first, 'the card changes with live updates, without a reload');
    const canvases = await page.$$eval('.chart canvas', (els) => els.length);
    t.equal(canvases, 3, 'three charts drawn');
    await screenshot(page, 'laptop-live');
    t.same(errors, [], 'no errors in the page');
    t.same(external, [], 'nothing loaded from outside the app');
  },
);

t.test(
  'events POSTed to /v1/events raise the brand’s card and chart by exactly what was posted',
  needsBrowser(),
  async (t) => {
    // no synthetic traffic: every post of the brand is one of ours
    const running = await startTestApp();
    t.teardown(() => running.stop());
    // opened once the snapshot and the live history are applied: an empty chart now means empty
    const { page, errors } = await openLivePage(t, running.url);
    t.equal((await chartPosts(page))['northwind-coffee'], 0, 'nothing yet');

    await clearOfMinuteTurn(); // the card counts the current minute
    await postEvents(t, running.url, 7);
    await page.waitForSelector('#card-northwind-coffee .posts:text-is("7")', { timeout: 30_000 });
    t.equal((await chartPosts(page))['northwind-coffee'], 7, 'the chart holds the 7 posts');
    t.equal((await chartPosts(page))['bluebird-roasters'], 0, 'and no other brand moved');

    await postEvents(t, running.url, 5);
    await page.waitForSelector('#card-northwind-coffee .posts:text-is("12")', { timeout: 30_000 });
    t.equal((await chartPosts(page))['northwind-coffee'], 12, 'then rises by the 5 more');
    t.same(errors, [], 'no errors in the page');
  },
);

t.test(
  'the card shows the current minute: at the turn of the minute it empties without an event, and the chart drops what left the hour',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp();
    t.teardown(() => running.stop());
    // the page's clock is Playwright's: time flows, and the test may jump it forward
    const { page, errors } = await openLivePage(t, running.url, undefined, (page) => page.clock.install());
    const card = (field: string) => page.textContent(`#card-northwind-coffee ${field}`);
    const ownPosts = async () => (await chartPosts(page))['northwind-coffee'];
    await clearOfMinuteTurn(); // the card counts the current minute
    await postEvents(t, running.url, 3);
    await page.waitForSelector('#card-northwind-coffee .posts:text-is("3")', { timeout: 30_000 });

    await page.clock.fastForward(61_000); // past the end of the minute; no event since
    await page.waitForSelector('#card-northwind-coffee .posts:text-is("0")', { timeout: 10_000 });
    t.equal(await card('.neg'), '–', 'no negative share without posts');
    t.equal(await ownPosts(), 3, 'the chart still holds the minute that ended');

    await page.clock.fastForward(3_600_000); // the minute has left the hour
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#chart-volume')?.dataset.windows === '0',
      undefined,
      { timeout: 10_000 },
    );
    t.equal(await ownPosts(), 0, 'the chart drops the window older than the hour');
    t.same(errors, [], 'no errors in the page');
  },
);

t.test(
  'the charts tell the windows still open (drawn dashed) from the final ones',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp();
    t.teardown(() => running.stop());
    const { page, errors } = await openLivePage(t, running.url);
    // 3 posts ten minutes ago, then 2 now, by one author (so in one partition, whose watermark the
    // later posts move past the old window's end and lateness)
    const author = { id: 'open-windows', followers: 10 };
    const at = (ts: number) => post({ ts, author });
    const now = Date.now();
    await postEvents(t, running.url, [at(now - 600_000), at(now - 599_000), at(now - 598_000)]);
    await postEvents(t, running.url, [at(now), at(now)]); // one minute, whenever the test runs
    await waitChartPosts(page, 'northwind-coffee', 5, 30_000);
    await waitChartPosts(page, 'northwind-coffee', 1, 30_000, 'open');
    t.same(
      await chartPosts(page, 'open'),
      { 'northwind-coffee': 1, 'bluebird-roasters': 0, 'cafe-aurora': 0, 'harbor-brew': 0 },
      'the old window is final, the current one open',
    );
    t.match(
      await page.textContent('#charts-summary'),
      /Northwind Coffee 5 posts.*; the latest window is still open$/,
      'the summary says so',
    );
    t.match(
      await page.textContent('.chart-note'),
      /Dashed: windows still open/,
      'the note says what dashed means',
    );

    // A brand's open windows have no legend row of their own: they follow its row.
    const legend = '#chart-volume .u-legend tr.u-series';
    const off = () =>
      page.$$eval(legend, (rows) =>
        rows.map(
          (r) =>
            `${r.classList.contains('open-series') ? 'open' : 'final'}:${r.classList.contains('u-off') ? 'off' : 'on'}`,
        ),
      );
    t.equal(
      await page.locator(`${legend}.open-series`).first().isVisible(),
      false,
      'no legend row of their own',
    );
    await page.locator(`${legend}:not(.open-series) th`).first().click();
    t.same((await off()).slice(0, 4), ['final:off', 'open:off', 'final:on', 'open:on'], 'a click hides both');
    await page.locator(`${legend}:not(.open-series) th`).first().click();
    t.same((await off()).slice(0, 4), ['final:on', 'open:on', 'final:on', 'open:on'], 'and shows both');
    await page
      .locator(`${legend}:not(.open-series) th`)
      .nth(1)
      .click({ modifiers: ['Control'] });
    t.same(
      await off(),
      ['final:off', 'open:off', 'final:on', 'open:on', 'final:off', 'open:off', 'final:off', 'open:off'],
      'a ctrl-click isolates the brand with its open windows',
    );
    t.same(errors, [], 'no errors in the page');
  },
);

t.test(
  'the page is served from the build: index.html revalidated, hashed assets kept for good',
  async (t) => {
    const app = Fastify();
    t.teardown(() => app.close());
    await app.register(dashboardPlugin, { dir: DASHBOARD_DIR });
    const index = await app.inject({ method: 'GET', url: '/' });
    t.equal(index.statusCode, 200);
    t.equal(index.headers['cache-control'], 'no-cache');
    const assets = [...index.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    t.ok(
      assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')),
      'a script and a stylesheet',
    );
    for (const url of assets) {
      const res = await app.inject({ method: 'GET', url });
      t.equal(res.statusCode, 200, url);
      t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', `${url} is immutable`);
    }
    t.notMatch(index.body, /https?:\/\//, 'nothing from another origin');
  },
);

t.test('without a build, / says to run npm run build', async (t) => {
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  await app.register(dashboardPlugin, { dir: join(t.testdirName, 'no-such-build') });
  const res = await app.inject({ method: 'GET', url: '/' });
  t.equal(res.statusCode, 503);
  t.match(res.body, /Run `npm run build`/);
});

t.test(
  'the negative share counts the scored posts only: posts in a language the model does not support are left out, as in the mean sentiment',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp();
    t.teardown(() => running.stop());
    const { page, errors } = await openLivePage(t, running.url);
    await clearOfMinuteTurn(); // the card counts the current minute
    const author = { id: 'neg-share', followers: 10 };
    await postEvents(t, running.url, [
      ...Array.from({ length: 10 }, () => post({ author, text: 'Harbor Brew coffee was awful today' })),
      ...Array.from({ length: 10 }, () =>
        post({ author, lang: 'de', text: 'Harbor Brew Kaffee war heute schrecklich' }),
      ),
    ]);
    await page.waitForSelector('#card-harbor-brew .posts:text-is("20")', { timeout: 30_000 });
    t.equal(
      await page.textContent('#card-harbor-brew .negative-share'),
      '100%',
      'the card: 10 negative of the 10 scored posts, not of all 20',
    );
    await page.waitForFunction(
      () =>
        (
          JSON.parse(
            document.querySelector<HTMLElement>('#chart-negative')?.dataset.latest ?? '{}',
          ) as Record<string, number | null>
        )['harbor-brew'] === 1,
      undefined,
      { timeout: 10_000 },
    );
    t.pass('the chart: a share of 1 in the latest window');
    t.same(errors, [], 'no errors in the page');
  },
);
