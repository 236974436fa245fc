/**
 * Live page benchmark, in the embedded default (synthetic traffic at its default rate, no services)
 * with one extra brand that the generator never posts about, and the page in headless Chromium:
 *
 * (a) load to interactive, over `--loads` loads, each in a fresh browser context (cold cache): from
 *     navigation start to the page's `pulsewatch:interactive` mark (status live and the first data
 *     drawn), and Navigation Timing's domInteractive;
 * (b) event to screen, `--samples` times: the page POSTs one event about the extra brand to
 *     /v1/events and times until that brand's card in the DOM shows it (its count changes to one
 *     other than 0; nothing else moves it but the turn of the minute, which shows 0), i.e. ingest,
 *     stage 1, stage 2's window emit, the WebSocket flush and the render. A sample the card does not
 *     show within `--sample-timeout-ms` (an event in the minute that just ended) is counted as lost.
 *
 * Prints p50/max and p50/p95/p99 and the samples lost; no thresholds (targets: interactive within
 * 1 s, p99 at most 1 s).
 * `--screenshot <file.png>` then also saves the page at laptop size with live data, from a plain
 * embedded default (without the extra brand): docs/dashboard.png.
 *
 *   npm run bench:page -- [--loads 5] [--samples 100] [--sample-timeout-ms 10000] [--screenshot docs/dashboard.png]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../app/config.js';
import { startApp } from '../app/compose.js';
import { launchChromium } from './chromium.js';
import { percentile, writeProbeBrands } from './probe.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const ms = (x: number) => `${Math.round(x)} ms`;
const LOADS = Number(arg('loads', '5'));
const SAMPLES = Number(arg('samples', '100'));
const SAMPLE_TIMEOUT_MS = Number(arg('sample-timeout-ms', '10000'));
const SCREENSHOT = arg('screenshot', '');
const LAPTOP = { width: 1366, height: 768 };
/** The card of the probe brand (probe.ts's PROBE_BRAND): only this benchmark posts about it. */
const PROBE_CARD = '#card-bench-probe .posts';

/** Navigation start → status live with data drawn, and → domInteractive, of one cold load. */
async function timeLoad(browser: Browser, url: string): Promise<{ interactive: number; dom: number }> {
  const context = await browser.newContext({ viewport: LAPTOP });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(
      () => performance.getEntriesByName('pulsewatch:interactive').length > 0,
      undefined,
      {
        timeout: 30_000,
      },
    );
    return await page.evaluate(() => ({
      interactive: performance.getEntriesByName('pulsewatch:interactive')[0]!.startTime,
      dom: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domInteractive,
    }));
  } finally {
    await context.close();
  }
}

/**
 * One event about the probe brand, POSTed by the page; ms until the probe's card shows a new count,
 * or null when it did not within `timeoutMs` (lost).
 */
function eventToScreen(page: Page, n: number, timeoutMs: number): Promise<number | null> {
  return page.evaluate(
    async ({ n, card, timeoutMs }) => {
      const before = document.querySelector(card)?.textContent;
      const shown = new Promise<number>((resolve, reject) => {
        // the turn of the minute shows 0: not this event
        const check = () => {
          const now = document.querySelector(card)?.textContent;
          if (now === before || now === '0') return;
          done();
          resolve(performance.now());
        };
        const observer = new MutationObserver(check);
        const timer = setTimeout(() => {
          done();
          reject(new Error(`not shown within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          observer.disconnect();
          clearTimeout(timer);
        };
        observer.observe(document.getElementById('cards')!, {
          childList: true,
          subtree: true,
          characterData: true,
        });
      });
      const t0 = performance.now();
      const event = {
        id: `bench-page-${Date.now()}-${n}`,
        source: 'bench',
        ts: Date.now(),
        author: { id: `bench-${n % 50}`, followers: 10 },
        text: 'trying the new @benchprobe blend',
        engagement: { likes: 0, shares: 0, replies: 0 },
      };
      const res = await fetch('/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: JSON.stringify(event) + '\n',
      });
      if (res.status !== 202) throw new Error(`POST /v1/events: ${res.status} ${await res.text()}`);
      return shown.then(
        (at) => at - t0,
        () => null, // lost
      );
    },
    { n, card: PROBE_CARD, timeoutMs },
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pw-bench-page-'));
  const brandsFile = writeProbeBrands(dir);
  const config = loadConfig(['--port', '0', '--log-level', 'silent', '--brands', brandsFile], {});
  const running = await startApp(config);
  const browser = await launchChromium();
  try {
    console.log(
      `embedded default, synthetic ${config.syntheticRate} posts/s, --ws-flush-interval-ms ${config.wsFlushIntervalMs}, ` +
        `node ${process.version}; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores ` +
        `(a shared machine: figures move between runs)`,
    );
    const url = running.url + '/';
    const loads: { interactive: number; dom: number }[] = [];
    for (let i = 0; i < LOADS; i++) loads.push(await timeLoad(browser, url));
    const inter = loads.map((l) => l.interactive).sort((a, b) => a - b);
    const dom = loads.map((l) => l.dom).sort((a, b) => a - b);
    console.log(
      `(a) load to interactive (status live, first data drawn), ${LOADS} cold loads at ${LAPTOP.width}×${LAPTOP.height}: ` +
        `p50 ${ms(percentile(inter, 50))}, max ${ms(inter.at(-1)!)}; domInteractive p50 ${ms(percentile(dom, 50))}, max ${ms(dom.at(-1)!)}`,
    );

    const context = await browser.newContext({ viewport: LAPTOP });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 30_000 });
    await page.waitForSelector(PROBE_CARD);
    const samples: number[] = [];
    let lost = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const sample = await eventToScreen(page, i, SAMPLE_TIMEOUT_MS);
      if (sample === null) lost++;
      else samples.push(sample);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `(b) event to screen, ${SAMPLES} events one at a time (POST /v1/events from the page until the extra brand's card ` +
        `shows the new count in the DOM): p50 ${ms(percentile(samples, 50))}, p95 ${ms(percentile(samples, 95))}, ` +
        `p99 ${ms(percentile(samples, 99))}, max ${ms(samples.at(-1) ?? NaN)}; ` +
        `${lost} lost (not shown within ${SAMPLE_TIMEOUT_MS} ms)`,
    );

    await context.close();
  } finally {
    await running.stop();
    await rm(dir, { recursive: true, force: true });
  }
  try {
    if (SCREENSHOT) await screenshot(browser, SCREENSHOT);
  } finally {
    await browser.close();
  }
}

/** The page of a plain embedded default at laptop size, once every section has live data. */
async function screenshot(browser: Browser, file: string): Promise<void> {
  const running = await startApp(loadConfig(['--port', '0', '--log-level', 'silent'], {}));
  const context = await browser.newContext({ viewport: LAPTOP });
  try {
    const page = await context.newPage();
    await page.goto(running.url + '/');
    const wait = { timeout: 60_000 };
    await page.waitForSelector('#status[data-state="live"]', wait);
    await page.waitForSelector('#voice-list li', wait);
    await page.waitForSelector('article.campaign', wait);
    await page.waitForSelector('#topic-list li', wait);
    // the backfilled half hour has been caught up with
    await page.waitForFunction(
      () => Number(document.getElementById('chart-volume')?.dataset.windows) >= 25,
      undefined,
      wait,
    );
    // ... up to the current minute: every brand's card counts posts
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('#cards .posts')).every((e) => Number(e.textContent) > 0),
      undefined,
      wait,
    );
    await page.screenshot({ path: file });
    console.log(`screenshot: ${file} (${LAPTOP.width}×${LAPTOP.height}, the embedded default)`);
  } finally {
    await context.close();
    await running.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
