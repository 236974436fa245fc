import type { Test } from 'tap';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../../bench/chromium.js';

export { CHROMIUM };

/**
 * A test's options that skip it, saying why, where there is no browser. A new object per test: tap's
 * `--grep` marks the options of the tests it filters out, and a shared object would skip them all.
 */
export function needsBrowser(): { skip: string | false } {
  return { skip: !existsSync(CHROMIUM) && `no browser at ${CHROMIUM} (bash deploy/browser.sh installs it)` };
}

/** The screen sizes the page is made for (issue 14): a laptop and a phone. */
export const LAPTOP = { width: 1366, height: 768 };
export const PHONE = { width: 375, height: 812 };

/** Where the browser tests leave their screenshots (test artifacts). */
export const SCREENSHOTS = join('.tap', 'screenshots');

/** Headless Chromium. With a test, closed when the test ends. */
export async function launchBrowser(t?: Test): Promise<Browser> {
  const browser = await launchChromium();
  t?.teardown(() => browser.close());
  return browser;
}

/** Waits until the page's connection state says live. */
export async function waitLive(page: Page, timeout = 10_000): Promise<void> {
  await page.waitForSelector('#status[data-state="live"]', { timeout });
}

/**
 * Waits until the page has applied its first snapshot and the live history read (the charts box says
 * `data-loaded="1"`): before that, an empty chart proves nothing.
 */
export async function waitLoaded(page: Page, timeout = 10_000): Promise<void> {
  await page.waitForSelector('#chart-volume[data-loaded="1"]', { timeout });
}

/**
 * The live page at `url` in a new page (1200×1000 unless `viewport` says) of a browser that closes
 * when `t` ends, once its status says live and its first data is applied; `errors` collects the
 * page's uncaught errors, for `t.same(errors, [])` at the end. `prepare` runs before the page loads
 * (to listen to its WebSocket, say).
 */
export async function openLivePage(
  t: Test,
  url: string,
  viewport: { width: number; height: number } = { width: 1200, height: 1000 },
  prepare?: (page: Page) => unknown,
): Promise<{ page: Page; errors: string[] }> {
  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await prepare?.(page);
  await page.goto(url + '/');
  await waitLive(page);
  await waitLoaded(page);
  return { page, errors };
}

/** Saves a full-page screenshot as .tap/screenshots/<name>.png; a failed screenshot does not fail a test. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true }).catch(() => undefined);
}

/** Each serious or critical axe-core finding (WCAG 2 A and AA rules): rule id, impact, the elements. */
export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** Runs axe-core (from its npm package, injected into the page) and returns its serious and critical findings. */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ content: await readFile(require.resolve('axe-core/axe.min.js'), 'utf8') });
  return page.evaluate(async () => {
    interface Result {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: unknown[] }[];
    }
    const axe = (window as unknown as { axe: { run(o: object): Promise<{ violations: Result[] }> } }).axe;
    const { violations } = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact!,
        help: v.help,
        targets: v.nodes.map((n) => String(n.target)),
      }));
  });
}

/** What the volume chart says it holds, per brand id: its posts, or its windows still open (dashed). */
type ChartCount = 'posts' | 'open';

/** The volume chart's posts (or open windows) per brand id over the windows shown, as the page exposes them for tests. */
export function chartPosts(page: Page, what: ChartCount = 'posts'): Promise<Record<string, number>> {
  return page.$eval(
    '#chart-volume',
    (el, key) => JSON.parse((el as HTMLElement).dataset[key] ?? '{}') as Record<string, number>,
    what,
  );
}

/** Waits until the volume chart holds exactly `n` posts (or open windows) of `brand` (a brand id). */
export async function waitChartPosts(
  page: Page,
  brand: string,
  n: number,
  timeout: number,
  what: ChartCount = 'posts',
): Promise<void> {
  await page.waitForFunction(
    ([b, count, key]) =>
      (
        JSON.parse(document.querySelector<HTMLElement>('#chart-volume')?.dataset[key] ?? '{}') as Record<
          string,
          number
        >
      )[b] === count,
    [brand, n, what] as const,
    { timeout },
  );
}

/** How far the page scrolls sideways (0 when it fits the viewport). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}
