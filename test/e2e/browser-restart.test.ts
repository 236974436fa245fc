import t from 'tap';
import { postEvents, startTestApp } from '../helpers/app.js';
import { clearOfMinuteTurn } from '../helpers/async.js';
import { chartPosts, needsBrowser, openLivePage, waitChartPosts } from '../helpers/browser.js';

const WAIT = { timeout: 60_000 };

t.test(
  'the page recovers after the server restarts: reconnecting, then live, and shows what the new server counts',
  needsBrowser(),
  async (t) => {
    let running = await startTestApp();
    t.teardown(() => running.stop());
    const port = new URL(running.url).port;
    const { page, errors } = await openLivePage(t, running.url);
    const ownPosts = async () => (await chartPosts(page))['northwind-coffee'];
    await clearOfMinuteTurn(); // the card counts the current minute
    await postEvents(t, running.url, 3);
    await page.waitForSelector('#card-northwind-coffee .posts:text-is("3")', WAIT);

    await running.stop();
    await page.waitForSelector('#status[data-state="reconnecting"]', WAIT);
    t.match(
      await page.textContent('#status'),
      /^reconnecting( in \d+ s|…)$/,
      'the page says it is reconnecting',
    );

    // the same port, a new process state (the embedded store starts empty)
    running = await startTestApp(['--port', port]);
    await page.waitForSelector('#status[data-state="live"]', WAIT);
    t.pass('live again without a reload');
    // Fewer posts than before the restart: a page that merged by the larger count would keep the 3
    // (or show 5 over the hour); one that takes the new server's word shows 2.
    await clearOfMinuteTurn();
    await postEvents(t, running.url, 2);
    await waitChartPosts(page, 'northwind-coffee', 2, WAIT.timeout);
    t.equal(await ownPosts(), 2, 'the live hour holds the new server’s 2 posts, not the 3 it forgot');
    await page.waitForSelector('#card-northwind-coffee .posts:text-is("2")', WAIT);
    t.pass('the card shows the 2 posts of the restarted server');
    t.same(errors, [], 'no errors in the page');
  },
);
