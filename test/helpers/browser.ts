import type { Test } from 'tap';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
