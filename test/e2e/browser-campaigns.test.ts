import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { needsBrowser, openLivePage, screenshot } from '../helpers/browser.js';

t.test('the live page shows a campaign’s arms live; rewards move the leader', needsBrowser(), async (t) => {
  const running = await startTestApp();
  t.teardown(() => running.stop());
  const app = running.app;
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });
  t.equal(
    (await post('/v1/campaigns', { id: 'spring-sale', arms: ['banner', 'video'], policy: 'ucb1' }))
      .statusCode,
    201,
  );

  const { page, errors } = await openLivePage(t, running.url);
  await page.waitForSelector('article.campaign[data-campaign="spring-sale"]', { timeout: 10_000 });
  t.equal(await page.$eval('#campaigns', (el) => (el as HTMLElement).hidden), false, 'the section shows');

  /** Decides `n` times and rewards `arm`'s decisions with 1, the others' with 0. */
  const play = async (n: number, good: string) => {
    for (let i = 0; i < n; i++) {
      const d = (await post('/v1/campaigns/spring-sale/decide', {})).json();
      await post('/v1/campaigns/spring-sale/reward', {
        decision_id: d.decision_id,
        value: d.arm === good ? 1 : 0,
      });
    }
  };
  await play(30, 'banner');
  await page.waitForSelector('article.campaign[data-leader="banner"]', { timeout: 10_000 });
  // The leader may show from a push in the middle of the run: wait for the last push too.
  await page
    .waitForFunction(
      () =>
        Array.from(
          document.querySelectorAll('article.campaign[data-campaign="spring-sale"] tbody tr .pulls'),
        ).reduce((n, el) => n + Number(el.textContent), 0) >= 30,
      undefined,
      { timeout: 10_000 },
    )
    .catch(() => undefined); // the assertion below says what the page shows
  const pulls = await page.$$eval('article.campaign[data-campaign="spring-sale"] tbody tr', (rows) =>
    rows.map((r) => ({
      arm: (r as HTMLElement).dataset.arm,
      pulls: Number(r.querySelector('.pulls')?.textContent),
    })),
  );
  t.equal(
    pulls.reduce((n, r) => n + r.pulls, 0),
    30,
    'the pulls on the page add up to the decisions made',
  );
  t.match(
    await page.$eval('article.campaign[data-campaign="spring-sale"] tr.leader th', (el) => el.textContent),
    /banner/,
    'the leader is marked',
  );

  // the rates turn: video now converts, banner never does
  await play(120, 'video');
  await page.waitForSelector('article.campaign[data-leader="video"]', { timeout: 10_000 });
  t.pass('the leader changed to video on the page');
  await screenshot(page, 'laptop-campaigns');
  t.same(errors, [], 'no errors in the page');
});
