import t from 'tap';
import { startKeyedTestApp, startTestApp } from '../helpers/app.js';
import {
  axeFindings,
  launchBrowser,
  needsBrowser,
  openLivePage,
  screenshot,
  waitLive,
} from '../helpers/browser.js';
import { postLines, spikeTraffic } from '../helpers/spike-traffic.js';

t.test(
  'an injected spike appears in the live page’s alert feed, open alerts first',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp(['--partitions', '2']);
    t.teardown(() => running.stop());
    const { page, errors } = await openLivePage(t, running.url);
    t.equal(await page.$eval('#alerts-empty', (el) => (el as HTMLElement).hidden), false, 'no alerts yet');

    await postLines(running.app, spikeTraffic(Date.now(), 1).lines);
    await page.waitForSelector('.alert[data-alert-id*="Bluebird Roasters"]', { timeout: 30_000 });
    const first = await page.$eval('.alert', (el) => ({
      brand: el.querySelector('.alert-brand')?.textContent,
      state: el.className,
      terms: el.querySelector('.alert-terms')?.textContent ?? '',
    }));
    t.equal(first.brand, 'Bluebird Roasters');
    t.match(first.state, /alert-open/, 'the open alert is listed first');
    t.match(first.terms, /outage|bluebirddown/, 'with the spike’s words');
    t.equal(await page.$eval('#alerts-empty', (el) => (el as HTMLElement).hidden), true);
    await screenshot(page, 'laptop-alert');

    // Acknowledge from the page. A failed acknowledgement says so, and the button is usable again.
    const id = await page.$eval('.alert', (el) => (el as HTMLElement).dataset.alertId!);
    const button = `.alert[data-alert-id="${id}"] button.ack`;
    const isAck = (u: URL) => u.pathname.endsWith('/ack');
    await page.route(isAck, (r) => r.abort());
    await page.click(button);
    await page.waitForSelector('#alert-announce:text-matches("Acknowledging failed")', { timeout: 10_000 });
    await page.waitForSelector(`${button}:enabled:text-is("acknowledge")`, { timeout: 10_000 });
    await page.unroute(isAck);
    // A double click sends one acknowledgement; the button says so and the API has it.
    const acks: string[] = [];
    page.on('request', (r) => isAck(new URL(r.url())) && acks.push(r.method()));
    await page.dblclick(button);
    await page.waitForSelector(`.alert[data-alert-id="${id}"] button.ack:disabled:text-is("acknowledged")`, {
      timeout: 10_000,
    });
    const stored = (
      (await (await fetch(`${running.url}/v1/alerts?brand=bluebird-roasters`)).json()) as {
        alerts: { id: string; acked_at?: number; acked_by?: string }[];
      }
    ).alerts.find((a) => a.id === id);
    t.same(acks, ['POST'], 'one acknowledgement for a double click');
    t.ok(stored?.acked_at, 'the API has the acknowledgement');
    t.equal(stored?.acked_by, 'live page');
    t.same(errors, [], 'no errors in the page');
  },
);

interface StoredAlert {
  id: string;
  resolved_by_hand_at?: number;
  resolved_by?: string;
}

/** The alerts of Bluebird Roasters as the API has them (GET /v1/alerts), read with `key` if given. */
async function storedAlerts(url: string, key?: string): Promise<StoredAlert[]> {
  const res = await fetch(`${url}/v1/alerts?brand=bluebird-roasters`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return ((await res.json()) as { alerts: StoredAlert[] }).alerts;
}

const isResolve = (u: URL) => u.pathname.endsWith('/resolve');

t.test(
  'resolving from the page: the button waits for the answer, the alert leaves the open list on this page and on another one, and the API has it',
  needsBrowser(),
  async (t) => {
    const running = await startTestApp(['--partitions', '2']);
    t.teardown(() => running.stop());
    const { page, errors } = await openLivePage(t, running.url);
    // a second viewer of the page, which hears of the resolve only from the server (WebSocket)
    const other = await page.context().browser()!.newPage();
    other.on('pageerror', (e) => errors.push(e.message));
    await other.goto(running.url + '/');
    await waitLive(other);

    await postLines(running.app, spikeTraffic(Date.now(), 1).lines);
    // the spike opens an alert per kind: two open ones at least, so there is an open list to leave
    const twoOpen = () => document.querySelectorAll('.alert-open button.resolve').length >= 2;
    await page.waitForFunction(twoOpen, undefined, { timeout: 30_000 });
    await other.waitForFunction(twoOpen, undefined, { timeout: 30_000 });
    const id = await page.$eval('.alert-open', (el) => (el as HTMLElement).dataset.alertId!);
    const item = `.alert[data-alert-id="${id}"]`;
    const button = `${item} button.resolve`;
    await other.waitForSelector(`${item}.alert-open`, { timeout: 30_000 });
    t.match(
      await page.getAttribute(button, 'aria-label'),
      /^resolve the .+ alert for Bluebird Roasters$/,
      'the button says which alert it resolves',
    );
    t.equal(await page.textContent(button), 'resolve');
    t.equal(await page.isEnabled(`${item} button.ack`), true, 'beside acknowledge');

    // Hold the request: while it is on its way the button stays disabled, and the alert open.
    const resolves: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const sent = new Promise<void>((r) => (arrived = r));
    await page.route(isResolve, async (route) => {
      resolves.push(route.request().method());
      arrived();
      await held;
      await route.continue();
    });
    await page.click(button);
    await sent;
    t.equal(await page.isDisabled(button), true, 'disabled while the request is on its way');
    t.match(await page.getAttribute(item, 'class'), /alert-open/, 'the alert is open until the answer');
    release();

    await page.waitForSelector(`${item}.alert-resolved`, { timeout: 10_000 });
    await other.waitForSelector(`${item}.alert-resolved`, { timeout: 10_000 });
    for (const [name, p] of [
      ['this page', page],
      ['the other page', other],
    ] as const) {
      const shown = await p.evaluate((alertId) => {
        const items = Array.from(document.querySelectorAll<HTMLElement>('#alert-list .alert'));
        const at = items.findIndex((e) => e.dataset.alertId === alertId);
        return {
          afterEveryOpen: items.every((e, i) => i < at || !e.classList.contains('alert-open')),
          open: items.filter((e) => e.classList.contains('alert-open')).length,
          resolveButton: items[at]?.querySelector('button.resolve') !== null,
          when: items[at]?.querySelector('.alert-when')?.textContent ?? '',
          error: items[at]?.querySelector('.alert-error')?.textContent ?? null,
        };
      }, id);
      t.ok(shown.afterEveryOpen, `${name}: listed after the open alerts`);
      t.ok(shown.open >= 1, `${name}: the other alerts are still open`);
      t.equal(shown.resolveButton, false, `${name}: no resolve button on a resolved alert`);
      t.match(shown.when, /resolved by hand/, `${name}: says it was resolved by hand`);
      t.equal(shown.error, null, `${name}: no error shown`);
    }
    t.same(resolves, ['POST'], 'one resolve sent');
    const stored = (await storedAlerts(running.url)).find((a) => a.id === id);
    t.ok(stored?.resolved_by_hand_at, 'the API has the resolve');
    t.equal(stored?.resolved_by, 'live page');
    t.same(await axeFindings(page), [], 'axe finds nothing serious with open and resolved alerts');
    await screenshot(page, 'laptop-alert-resolved');

    // a page loaded afresh gets the resolved alert from the server
    await page.unroute(isResolve);
    await page.reload();
    await waitLive(page);
    await page.waitForSelector(`${item}.alert-resolved`, { timeout: 10_000 });
    t.pass('a reload still lists the alert as resolved');
    t.same(errors, [], 'no errors in the pages');
  },
);

t.test(
  'resolving from the page needs scope admin: with a read key the alert shows why it failed and stays open',
  needsBrowser(),
  async (t) => {
    const { running, read, admin } = await startKeyedTestApp(t, ['--partitions', '2']);
    await postLines(running.app, spikeTraffic(Date.now(), 1).lines, admin);

    const browser = await launchBrowser(t);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${running.url}/?api_key=${encodeURIComponent(read)}`);
    await waitLive(page);
    await page.waitForSelector('.alert-open button.resolve:enabled', { timeout: 30_000 });
    const id = await page.$eval('.alert-open', (el) => (el as HTMLElement).dataset.alertId!);
    const item = `.alert[data-alert-id="${id}"]`;

    await page.click(`${item} button.resolve`);
    await page.waitForSelector(`${item} .alert-error:visible`, { timeout: 10_000 });
    const shown = (await page.textContent(`${item} .alert-error`)) ?? '';
    t.match(shown, /Resolving failed/, 'a visible error on the alert');
    t.match(shown, /scope admin/, 'naming the scope resolving needs');
    t.notMatch(shown, /scope read/, 'not asking for the read key the page has');
    t.match(
      await page.textContent('#alert-announce'),
      /Resolving failed.*scope admin/,
      'and announced to screen readers',
    );
    await page.waitForSelector(`${item} button.resolve:enabled:text-is("resolve")`, { timeout: 10_000 });
    t.match(await page.getAttribute(item, 'class'), /alert-open/, 'the alert stays open on the page');
    t.notOk(
      (await storedAlerts(running.url, read)).find((a) => a.id === id)?.resolved_by_hand_at,
      'the API has no resolve',
    );
    t.equal(await page.getAttribute('#status', 'data-state'), 'live', 'the page stays live');
    t.same(await axeFindings(page), [], 'axe finds nothing serious with the error shown');
    await screenshot(page, 'laptop-resolve-needs-admin');
    t.same(errors, [], 'no errors in the page');
  },
);
