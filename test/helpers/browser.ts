import type { Test } from 'tap';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`bash deploy/browser.sh` installs it), or PW_CHROMIUM_PATH. */
export const CHROMIUM = process.env.PW_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A test option that skips, saying why, where there is no browser. */
export const needsBrowser = {
  skip: !existsSync(CHROMIUM) && `no browser at ${CHROMIUM} (bash deploy/browser.sh installs it)`,
};

/** Headless Chromium, closed when the test ends. */
export async function launchBrowser(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  t.teardown(() => browser.close());
  return browser;
}

/**
 * The live page at `url` in a new 1200×1000 page of a browser that closes when `t` ends, once its
 * status says live; `errors` collects the page's uncaught errors, for `t.same(errors, [])` at the end.
 */
export async function openLivePage(t: Test, url: string): Promise<{ page: Page; errors: string[] }> {
  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url + '/');
  await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
  return { page, errors };
}
