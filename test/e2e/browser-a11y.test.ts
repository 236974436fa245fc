import t from 'tap';
import { startTestApp, LIVE_TRAFFIC } from '../helpers/app.js';
import {
  axeFindings,
  LAPTOP,
  needsBrowser,
  openLivePage,
  PHONE,
  screenshot,
  sidewaysOverflow,
} from '../helpers/browser.js';

const WAIT = { timeout: 60_000 };

for (const [name, viewport] of [
  ['laptop', LAPTOP],
  ['phone', PHONE],
] as const) {
  t.test(
    `on a ${name} (${viewport.width}×${viewport.height}) the page fits and axe-core finds nothing serious`,
    needsBrowser(),
    async (t) => {
      // live data in every section: synthetic traffic with its campaign and a few minutes of history
      const running = await startTestApp([...LIVE_TRAFFIC]);
      t.teardown(() => running.stop());
      const { page, errors } = await openLivePage(t, running.url, viewport);
      await page.waitForSelector('#voice-list li', WAIT);
      await page.waitForSelector('article.campaign', WAIT);
      await page.waitForFunction(
        () => Number(document.querySelector('#card-northwind-coffee .posts')?.textContent) > 0,
        undefined,
        WAIT,
      );

      t.equal(await sidewaysOverflow(page), 0, 'no sideways scrolling of the page');
      if (name === 'phone') {
        // in one evaluation: live updates redraw the cards between the steps of a $$eval
        const columns = await page.evaluate(
          () =>
            new Set(
              Array.from(
                document.querySelectorAll('.cards .card, .analytics-grid > .panel:not([hidden])'),
              ).map((e) => Math.round(e.getBoundingClientRect().left)),
            ).size,
        );
        t.equal(columns, 1, 'the cards and panels stack in one column');
      }
      // every control can be reached and shows its label
      const unlabelled = await page.$$eval('select, input, button', (els) =>
        els
          .filter(
            (e) =>
              !(e as HTMLInputElement).labels?.length &&
              !e.getAttribute('aria-label') &&
              !e.textContent?.trim(),
          )
          .map((e) => e.outerHTML),
      );
      t.same(unlabelled, [], 'every control has a label');
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => {
        const e = document.activeElement as HTMLElement;
        return { id: e.id, outline: getComputedStyle(e).outlineStyle };
      });
      t.equal(outline.id, 'range-select', 'Tab reaches the first control');
      t.not(outline.outline, 'none', 'and keyboard focus shows');

      t.same(await axeFindings(page), [], 'no serious or critical WCAG 2.1 A/AA findings');
      // the history view too: the picker's own controls
      await page.selectOption('#range-select', 'custom');
      t.same(await axeFindings(page), [], 'none with the custom range open either');
      await page.selectOption('#range-select', 'live');
      await screenshot(page, name);
      t.same(errors, [], 'no errors in the page');
    },
  );
}
