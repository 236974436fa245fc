import t from 'tap';
import { eventually, post, postEvents, startTestApp } from '../helpers/app.js';
import { chartPosts, launchBrowser, needsBrowser, waitChartPosts } from '../helpers/browser.js';

const MIN = 60_000;

t.test(
  'a brand’s history that cannot be read at load is read again with backoff: the status says what is missing meanwhile, then plain live, and never a lasting error',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp();
    t.teardown(() => running.stop());
    // Harbor Brew: 3 posts ten minutes ago and 4 five minutes ago, by one author (one partition).
    // The stream's snapshot brings a brand's latest windows; only the history read brings all 7.
    const author = { id: 'history', followers: 10 };
    const at = (ts: number) => post({ ts, author, text: 'Harbor Brew latte is great today' });
    const now = Date.now();
    await postEvents(
      t,
      running.url,
      [0, 1, 2].map((i) => at(now - 10 * MIN + i * 1000)),
    );
    await postEvents(
      t,
      running.url,
      [0, 1, 2, 3].map((i) => at(now - 5 * MIN + i * 1000)),
    );
    const url = `${running.url}/v1/brands/harbor-brew/metrics?window=1m`;
    await eventually(
      async () => {
        const { windows } = (await (await fetch(url)).json()) as { windows: { posts: number }[] };
        return windows.reduce((n, w) => n + w.posts, 0) >= 7 ? true : undefined;
      },
      30_000,
      'the 7 posts stored',
    );

    const browser = await launchBrowser(t);
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Harbor Brew's history answers 503 until `failing` is false.
    let failing = true;
    let reads = 0;
    await page.route(
      (u) => u.pathname === '/v1/brands/harbor-brew/metrics',
      (route) => {
        reads++;
        if (!failing) return route.continue();
        return route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'NOT_READY', message: 'starting', retryable: true } }),
        });
      },
    );
    // every state and text the status shows
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { statusSeen: string[] }).statusSeen = seen;
      new MutationObserver(() => {
        const s = document.querySelector<HTMLElement>('#status');
        if (s) seen.push(`${s.dataset.state}: ${s.textContent}`);
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.goto(running.url + '/');

    await page.waitForSelector('#status[data-state="live"]:text-matches("Harbor Brew could not be read")', {
      timeout: 10_000,
    });
    t.match(
      await page.textContent('#status'),
      /^live, but the last hour of Harbor Brew could not be read \(starting\); trying again$/,
      'live, and the status says whose history is missing',
    );
    await eventually(async () => (reads >= 3 ? true : undefined), 15_000, 'read again, more than once');
    t.equal(await page.getAttribute('#status', 'data-state'), 'live', 'still live while it fails');
    t.equal(await page.getAttribute('#chart-volume', 'data-loaded'), null, 'not loaded without its history');

    failing = false;
    await page.waitForSelector('#chart-volume[data-loaded="1"]', { timeout: 30_000 });
    await waitChartPosts(page, 'harbor-brew', 7, 10_000);
    t.equal(
      (await chartPosts(page))['harbor-brew'],
      7,
      'the chart holds the whole hour once the read succeeds',
    );
    await page.waitForSelector('#status[data-state="live"]:text-is("live")', { timeout: 10_000 });
    t.pass('and the status is plain live');
    const seen = await page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
    t.same(
      seen.filter((s) => s.startsWith('error')),
      [],
      'never an error state',
    );
    t.same(errors, [], 'no errors in the page');
  },
);
