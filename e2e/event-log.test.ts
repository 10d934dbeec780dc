/**
 * The event log, end to end: `poolscope serve demo:hello --ui`, sequential requests over real
 * HTTP, the built dashboard in headless Chromium. The log follows live (its last row is the newest
 * event, scrolled into view), stays where the user scrolled while events keep coming, and follows
 * again once scrolled back to the bottom. Its rows are virtualised and drawn from the bottom while
 * following (components/EventLog.tsx), so this checks what the user sees, not the DOM's order.
 * Needs a built dashboard (see e2e/support).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { getSequential, openDashboard, TIMEOUT, useBrowser, withWebMode } from './support/dashboard.ts';

const browser = useBrowser();
const ROW = 20; // px, as EventLog.tsx draws them

/**
 * The scroll box, the rows drawn in it by their place in the log (from their `top`), and how many
 * the log lists ("N shown"), read at one moment: a delivery in between would tell them apart.
 */
async function logView(scroller: Locator) {
  return scroller.evaluate(
    (el, row) => ({
      shown: Number(/(\d+) shown/.exec(el.closest('[data-testid="event-log"]')?.textContent ?? '')?.[1] ?? Number.NaN),
      scrollTop: el.scrollTop,
      clientHeight: el.clientHeight,
      rows: [...el.querySelectorAll<HTMLElement>('[data-testid="log-row"]')]
        .map((r) => ({ place: Math.round(Number.parseFloat(r.style.top) / row), text: r.textContent ?? '' }))
        .sort((a, b) => a.place - b.place),
    }),
    ROW,
  );
}

/** Waits for request `id`'s `request.completed` row to be drawn. */
const completedRow = (page: Page, id: number) =>
  page.locator(`[data-testid="log-row"][data-type="request.completed"][data-request-id="${id}"]`);

describe('the event log', () => {
  it('follows live, holds still where the user scrolled, and follows again from the bottom', {
    timeout: 180_000,
  }, async () => {
    await withWebMode('demo:hello', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      const scroller = page.locator('[data-testid="event-log"] .log-scroll');

      // Following: the newest request's last row drawn, the box at the bottom, the last place drawn.
      await getSequential(web.serviceUrl, '/', 30);
      await completedRow(page, 29).waitFor({ timeout: TIMEOUT });
      await page.waitForFunction(
        (row) => {
          const el = document.querySelector('[data-testid="event-log"] .log-scroll');
          return el !== null && el.scrollHeight - el.scrollTop - el.clientHeight < row;
        },
        ROW,
        { timeout: TIMEOUT },
      );
      const following = await logView(scroller);
      assert.ok(following.shown * ROW > following.clientHeight, 'more rows than fit: the test scrolls');
      assert.equal(following.rows.at(-1)?.place, following.shown - 1, 'the last row drawn is the last in the log');
      const inView = following.rows.filter(
        (r) =>
          r.place * ROW >= following.scrollTop && (r.place + 1) * ROW <= following.scrollTop + following.clientHeight,
      );
      assert.ok(inView.length >= Math.floor(following.clientHeight / ROW) - 1, 'every place in view is drawn');

      // Scrolled to the top: new events do not move the view.
      await scroller.evaluate((el) => {
        el.scrollTop = 0;
      });
      await page.waitForFunction(
        () =>
          document.querySelector<HTMLElement>(
            '[data-testid="event-log"] [data-testid="log-row"][style*="top: 0px"]',
          ) !== null,
        null,
        { timeout: TIMEOUT },
      );
      const top = await logView(scroller);
      const firstText = top.rows.find((r) => r.place === 0)?.text;
      await getSequential(web.serviceUrl, '/', 10);
      await page.waitForFunction((before) => {
        const meta = document.querySelector('[data-testid="event-log"]')?.textContent ?? '';
        const match = /(\d+) shown/.exec(meta);
        return match !== null && Number(match[1]) > before;
      }, top.shown);
      const held = await logView(scroller);
      assert.equal(held.scrollTop, 0, 'still at the top');
      assert.equal(held.rows.find((r) => r.place === 0)?.text, firstText, 'the same first row');
      assert.equal(await completedRow(page, 39).count(), 0, 'the newest rows are not drawn up here');

      // Back at the bottom: following again.
      await scroller.evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await getSequential(web.serviceUrl, '/', 5);
      await completedRow(page, 44).waitFor({ timeout: TIMEOUT });
      const again = await logView(scroller);
      assert.equal(again.rows.at(-1)?.place, again.shown - 1);
      assert.deepEqual(errors, []);
    });
  });
});
