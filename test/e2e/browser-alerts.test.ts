import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { needsBrowser, openLivePage, screenshot } from '../helpers/browser.js';
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
