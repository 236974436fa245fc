import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKey } from '../../api/index.js';
import { startTestApp } from '../helpers/app.js';
import { launchBrowser, needsBrowser } from '../helpers/browser.js';

t.test(
  'with API keys the live page takes a read key once from ?api_key= and uses it for REST and the WebSocket',
  needsBrowser,
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
