import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`bash deploy/browser.sh` installs it), or PW_CHROMIUM_PATH. */
export const CHROMIUM = process.env.PW_CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium as the browser tests and the page bench run it: no sandbox (root in CI), no
 * GPU, and nothing fetched from the network behind the page's back.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}
