import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser, needsBrowser } from '../helpers/browser.js';

t.test(
  'the live page draws charts and updates from the WebSocket in a real browser',
  needsBrowser,
  async (t) => {
    const running = await startTestApp([
      '--synthetic',
      '--synthetic-rate',
      '40',
      '--synthetic-backfill-minutes',
      '5',
    ]);
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
    // Live data: the own brand's current-minute count becomes positive, then grows.
    const postsOf = () => page.$eval('#card-northwind-coffee .posts', (el) => Number(el.textContent));
    await page.waitForFunction(
      () => Number(document.querySelector('#card-northwind-coffee .posts')?.textContent) > 0,
      undefined,
      { timeout: 10_000 },
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
    await page.screenshot({ path: '.tap/dashboard.png' }).catch(() => undefined);
    t.same(errors, [], 'no errors in the page');
    t.same(external, [], 'nothing loaded from outside the app');
  },
);
