/**
 * The instances panel draws in full only the cards and retired rows in or near view; the rest are
 * shells with the same box and attributes (components/InstanceCards.tsx, hooks/useNearRows.ts).
 * End to end: `poolscope serve demo:sleep --ui` at max reuse 1, 40 requests that retire their
 * instances and 40 held open, the built dashboard in headless Chromium. What is checked is what
 * the user sees: whatever is in the panel's visible band is drawn, wherever it is scrolled, and the
 * card holding the keyboard focus stays drawn (and focused) when scrolled far away.
 * Needs a built dashboard (see e2e/support).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { getSequential, openDashboard, TIMEOUT, useBrowser, withWebMode } from './support/dashboard.ts';

const browser = useBrowser();
const HELD = 40;
const RETIRED = 40;

interface Item {
  id: number;
  kind: 'card' | 'retired';
  shell: boolean;
  /** Some of it lies in the panel's visible band. */
  visible: boolean;
}

/**
 * Runs in the page (self-contained: Playwright sends its source): every card and retired row,
 * whether it is a shell and whether it is in view. With `check`, whether everything in view is
 * drawn in full (for `waitForFunction`).
 */
function readItems(check = false): Item[] | boolean {
  const body = document.querySelector('[data-testid="workers-panel"] .panel-body');
  if (!body) return check ? false : [];
  const band = body.getBoundingClientRect();
  const items = [
    ...body.querySelectorAll<HTMLElement>('[data-testid="worker-card"], [data-testid="retired-card"]'),
  ].map((el): Item => {
    const box = el.getBoundingClientRect();
    return {
      id: Number(el.dataset.instanceId),
      kind: el.dataset.testid === 'worker-card' ? 'card' : 'retired',
      shell: el.dataset.shell === 'true',
      visible: box.bottom > band.top && box.top < band.bottom,
    };
  });
  return check ? items.some((i) => i.visible) && items.every((i) => !i.visible || !i.shell) : items;
}

/** Waits until everything in view is drawn in full (a scroll is measured in the frame after it). */
async function drawnInView(page: Page): Promise<Item[]> {
  await page.waitForFunction(readItems, true, { timeout: TIMEOUT });
  return (await page.evaluate(readItems, false)) as Item[];
}

async function scrollPanel(page: Page, to: 'top' | 'bottom'): Promise<void> {
  await page.locator('[data-testid="workers-panel"] .panel-body').evaluate((el, where) => {
    el.scrollTop = where === 'top' ? 0 : el.scrollHeight;
  }, to);
}

describe('the instances panel', () => {
  it('draws what is in view in full, the rest as shells, and keeps the focused card drawn', {
    timeout: 180_000,
  }, async () => {
    await withWebMode('demo:sleep', ['--max-instance-reuse-count', '1'], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      await getSequential(web.serviceUrl, '/?ms=1', RETIRED);
      const held = new AbortController();
      for (let i = 0; i < HELD; i++) fetch(web.serviceUrl, { signal: held.signal }).catch(() => {});
      try {
        await page.waitForFunction(
          ([cards, retired]) =>
            document.querySelectorAll('[data-testid="worker-card"][data-in-flight="1"]').length === cards &&
            document.querySelectorAll('[data-testid="retired-card"]').length === retired,
          [HELD, RETIRED],
          { timeout: TIMEOUT },
        );

        // At the top: the first cards drawn, the cards far below and every retired row shells.
        const top = await drawnInView(page);
        const cards = top.filter((i) => i.kind === 'card');
        const retired = top.filter((i) => i.kind === 'retired');
        assert.equal(new Set(cards.map((i) => i.id)).size, HELD, 'one card per live instance, shells included');
        assert.equal(new Set(retired.map((i) => i.id)).size, RETIRED, 'one row per retired instance');
        assert.ok(cards[0] && !cards[0].shell && cards[0].visible, 'the first card is in view and drawn');
        assert.ok(cards.at(-1)?.shell, 'the last card, far below, is a shell');
        assert.ok(
          retired.every((i) => i.shell),
          'the retired rows, below every card, are shells',
        );

        // At the bottom: the last retired rows drawn, the first cards shells.
        await scrollPanel(page, 'bottom');
        const bottom = await drawnInView(page);
        assert.ok(
          bottom.some((i) => i.kind === 'retired' && i.visible),
          'retired rows are in view',
        );
        assert.ok(bottom.find((i) => i.kind === 'card')?.shell, 'the first card, far above, is a shell');

        // The focused card stays drawn and focused while scrolled far away.
        await scrollPanel(page, 'top');
        await drawnInView(page);
        const first = page.locator('[data-testid="worker-card"]').first();
        const firstId = Number(await first.getAttribute('data-instance-id'));
        await first.locator('button.card-id').focus();
        await scrollPanel(page, 'bottom');
        const away = await drawnInView(page);
        const focused = away.find((i) => i.kind === 'card' && i.id === firstId);
        assert.ok(focused && !focused.visible && !focused.shell, 'the focused card is out of view and still drawn');
        assert.ok(
          away.filter((i) => i.kind === 'card').some((i) => i.shell),
          'the other cards far above are shells',
        );
        assert.equal(
          await page.evaluate(() =>
            document.activeElement?.closest('[data-instance-id]')?.getAttribute('data-instance-id'),
          ),
          String(firstId),
          'the keyboard focus stayed on its card',
        );
        assert.deepEqual(errors, [], 'no console errors');
      } finally {
        held.abort();
      }
    });
  });
});
