import t from 'tap';
import { ndjson, post, startTestApp } from '../helpers/app.js';
import { needsBrowser, openLivePage } from '../helpers/browser.js';

const WAIT = { timeout: 60_000 };

t.test(
  'the page recovers after the server restarts: reconnecting, then live, and data flows again',
  needsBrowser,
  async (t) => {
    let running = await startTestApp();
    t.teardown(() => running.stop());
    const port = new URL(running.url).port;
    const send = async (n: number) => {
      const res = await fetch(`${running.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: ndjson(Array.from({ length: n }, () => post())),
      });
      t.equal(res.status, 202);
    };
    const { page, errors } = await openLivePage(t, running.url);
    await send(3);
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
    await send(5);
    // the restarted server counts from 0: the card shows the new minute's 5 posts
    await page.waitForSelector('#card-northwind-coffee .posts:text-is("5")', WAIT);
    t.pass('data flows again');
    t.same(errors, [], 'no errors in the page');
  },
);
