import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKey } from '../../api/index.js';
import { ndjson, startKeyedTestApp, startTestApp } from '../helpers/app.js';
import { launchBrowser, needsBrowser, screenshot } from '../helpers/browser.js';
import { spikeTraffic } from '../helpers/spike-traffic.js';

t.test(
  'with API keys the live page takes a read key once from ?api_key= and uses it for REST and the WebSocket',
  needsBrowser(),
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'pw-page-keys-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const keyFile = join(dir, 'api-keys.json');
    const key = await addKey(keyFile, 'dashboards', ['read']);
    const running = await startTestApp([
      '--api-keys-file',
      keyFile,
      '--synthetic',
      '--synthetic-rate',
      '40',
      '--synthetic-backfill-minutes',
      '2',
    ]);
    t.teardown(() => running.stop());
    const browser = await launchBrowser(t);
    const page = await browser.newPage();

    await page.goto(running.url + '/');
    await page.waitForSelector('#status[data-state="error"]', { timeout: 10_000 });
    t.match(
      await page.textContent('#status'),
      /needs an API key/,
      'without a key the page says what it needs',
    );

    await page.goto(`${running.url}/?api_key=${encodeURIComponent(key)}`);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    // the card shows the current minute: posts there once the generator has caught up with its backfill
    await page.waitForFunction(
      () => Number(document.querySelector('#card-northwind-coffee .posts')?.textContent) > 0,
      undefined,
      { timeout: 60_000 },
    );
    t.notMatch(page.url(), 'api_key', 'the key leaves the address bar');
    await page.reload();
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    t.pass('a reload in the same tab keeps the key');
  },
);

t.test(
  'acknowledging from the page needs scope admin: with a read key the alert shows why it failed, with an admin key it is acknowledged',
  needsBrowser(),
  async (t) => {
    const { running, read, admin } = await startKeyedTestApp(t, ['--partitions', '2']);
    const { lines } = spikeTraffic(Date.now(), 1);
    for (let i = 0; i < lines.length; i += 1000) {
      const res = await running.app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${admin}` },
        body: ndjson(lines.slice(i, i + 1000)),
      });
      if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}: ${res.body}`);
    }
    const browser = await launchBrowser(t);
    const alert = '.alert[data-alert-id*="Bluebird Roasters"]';
    const open = async (key: string) => {
      const page = await browser.newPage(); // a context of its own: its own sessionStorage, its own key
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${running.url}/?api_key=${encodeURIComponent(key)}`);
      await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
      await page.waitForSelector(`${alert} button.ack:enabled`, { timeout: 30_000 });
      return { page, errors };
    };
    const stored = async () =>
      (
        (await (
          await fetch(`${running.url}/v1/alerts?brand=bluebird-roasters`, {
            headers: { authorization: `Bearer ${read}` },
          })
        ).json()) as { alerts: { id: string; acked_at?: number; acked_by?: string }[] }
      ).alerts;

    // A read key: the API refuses (403), the alert says so where it is seen, and the button is usable again.
    const viewer = await open(read);
    const id = await viewer.page.$eval(alert, (el) => (el as HTMLElement).dataset.alertId!);
    const item = `.alert[data-alert-id="${id}"]`;
    await viewer.page.click(`${item} button.ack`);
    await viewer.page.waitForSelector(`${item} .alert-error:visible`, { timeout: 10_000 });
    const shown = (await viewer.page.textContent(`${item} .alert-error`)) ?? '';
    t.match(shown, /Acknowledging failed/, 'a visible error on the alert');
    t.match(shown, /scope admin/, 'naming the scope acknowledging needs');
    t.notMatch(shown, /scope read/, 'not asking for the read key the page has');
    t.match(
      await viewer.page.textContent('#alert-announce'),
      /Acknowledging failed.*scope admin/,
      'and announced to screen readers',
    );
    await viewer.page.waitForSelector(`${item} button.ack:enabled:text-is("acknowledge")`, {
      timeout: 10_000,
    });
    t.notOk((await stored()).find((a) => a.id === id)?.acked_at, 'the alert is not acknowledged');
    t.equal(await viewer.page.getAttribute('#status', 'data-state'), 'live', 'the page stays live');
    await screenshot(viewer.page, 'laptop-ack-needs-admin');

    // An admin key: acknowledged.
    const ops = await open(admin);
    await ops.page.click(`${item} button.ack`);
    await ops.page.waitForSelector(`${item} button.ack:disabled:text-is("acknowledged")`, {
      timeout: 10_000,
    });
    t.equal(await ops.page.$$eval(`${item} .alert-error`, (els) => els.length), 0, 'no error shown');
    const acked = (await stored()).find((a) => a.id === id);
    t.ok(acked?.acked_at, 'the API has the acknowledgement');
    t.equal(acked?.acked_by, 'live page');
    t.same([...viewer.errors, ...ops.errors], [], 'no errors in the pages');
  },
);
