/**
 * The compact instance table, end to end: `poolscope serve … --ui`, the built dashboard in headless
 * Chromium, real requests making 22 instances (reuse 1, then 2, then 100) on demo:works-once,
 * whose reused instance traps: so one instance has reuse 2 and a failure, and the rest differ in
 * id and state only. Needs the dashboard built (POOLSCOPE_DASHBOARD_DIR or renderer/dist).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { runAxe, severe } from './support/axe.ts';
import { getSequential, openDashboard, screenshot, TIMEOUT, useBrowser, withWebMode } from './support/dashboard.ts';

const browser = useBrowser();

async function setReuse(page: Page, value: string): Promise<void> {
  const knob = page.locator('[data-testid="knob-maxInstanceReuseCount"]');
  await knob.locator('.knob-state-applied').waitFor({ state: 'detached', timeout: TIMEOUT }); // not the last change's tick
  await knob.locator('input').fill(value);
  await knob.locator('input').press('Enter');
  await knob.locator('.knob-state-applied').waitFor({ timeout: TIMEOUT });
}

/** The instance ids of the table's rows, top to bottom. */
function rowOrder(page: Page): Promise<number[]> {
  return page
    .locator('[data-testid="instance-row"]')
    .evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-instance-id'))));
}

/** Waits until the table is sorted by `column` in `direction` (the header says so), then reads the order. */
async function sortedBy(page: Page, column: string, direction: 'ascending' | 'descending'): Promise<number[]> {
  await page
    .locator(`[data-testid="instance-table"][data-sort-column="${column}"][data-sort-direction="${direction}"]`)
    .waitFor({ timeout: TIMEOUT });
  const th = page.locator(`th:has([data-testid="instance-sort-${column}"])`);
  assert.equal(await th.getAttribute('aria-sort'), direction);
  assert.equal(await page.locator('th[aria-sort="none"]').count(), 9, 'only one column is sorted');
  return rowOrder(page);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('instance table (web mode)', { timeout: 600_000 }, () => {
  it('22 instances: every row shown, sorting by reuse and failed reorders them, by mouse and keyboard; axe clean', async () => {
    await withWebMode(
      'demo:works-once',
      ['--max-instance-reuse-count', '1', '--idle-instance-timeout', '120s', '--leak-check', 'all'],
      async (web) => {
        const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
        await page.setViewportSize({ width: 1280, height: 800 });

        // Reuse 1: twenty instances (0…19), each retired after its one request.
        const first = await getSequential(web.serviceUrl, '/', 20);
        assert.ok(first.every((a) => a.status === 200));
        // Reuse 2: instance 20 answers once, then traps on its second request (a failure on it,
        // and a leak finding: a fresh instance answers).
        await page.locator('[data-testid="knob-maxInstanceReuseCount"]').waitFor({ timeout: TIMEOUT });
        await setReuse(page, '2');
        const second = await getSequential(web.serviceUrl, '/', 2);
        assert.deepEqual(
          second.map((a) => a.status),
          [200, 500],
        );
        // Reuse 100: instance 21 answers and stays live.
        await setReuse(page, '100');
        assert.equal((await getSequential(web.serviceUrl, '/', 1))[0]?.status, 200);

        // The switch, remembered in the UI slice: cards → table, with retired instances.
        const panel = page.locator('[data-testid="workers-panel"]');
        await panel.locator('[data-testid="instances-view-table"]').click();
        assert.equal(await panel.locator('[data-testid="instances-view-table"]').getAttribute('aria-pressed'), 'true');
        assert.equal(await panel.locator('[data-testid="worker-card"]').count(), 0, 'no cards in table view');
        await panel.locator('[data-testid="instance-table-retired"]').check();
        await page.waitForFunction(
          () =>
            document.querySelectorAll('[data-testid="instance-row"]').length === 22 &&
            document.querySelector('[data-testid="instance-row"][data-instance-id="20"][data-failed="1"]') !== null,
          undefined,
          { timeout: TIMEOUT },
        );
        assert.deepEqual(await sortedBy(page, 'id', 'ascending'), range(0, 21));
        const live = page.locator('[data-testid="instance-row"][data-retired="false"]');
        assert.deepEqual(
          await live.evaluateAll((rows) =>
            rows.map((r) => [r.getAttribute('data-instance-id'), r.getAttribute('data-state')]),
          ),
          [['21', 'Idle']],
        );
        // Compact: a row is about 24 px, so 22 of them take less room than four cards.
        const box = await page.locator('[data-testid="instance-row"]').first().boundingBox();
        assert.ok(box && box.height <= 28, `row height ${box?.height}`);

        // Reuse: the instance reused twice first, then ties in id order; again: the other way.
        await page.locator('[data-testid="instance-sort-reuse"]').click();
        assert.deepEqual(await sortedBy(page, 'reuse', 'descending'), [20, ...range(0, 19), 21]);
        await page.locator('[data-testid="instance-sort-reuse"]').click();
        assert.deepEqual(await sortedBy(page, 'reuse', 'ascending'), [...range(0, 19), 21, 20]);
        // Failed: the one with a failure first.
        await page.locator('[data-testid="instance-sort-failed"]').click();
        assert.deepEqual(await sortedBy(page, 'failed', 'descending'), [20, ...range(0, 19), 21]);

        // Keyboard: Tab reaches the headers, Enter and Space sort.
        await page.locator('[data-testid="instance-sort-age"]').focus();
        await page.keyboard.press('Shift+Tab'); // back to Memory's header
        await page.keyboard.press('Shift+Tab'); // Failed's
        await page.keyboard.press('Shift+Tab'); // OK's
        await page.keyboard.press('Shift+Tab'); // In flight's
        await page.keyboard.press('Shift+Tab'); // Reuse's
        await page.keyboard.press('Shift+Tab'); // State's
        assert.equal(
          await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
          'instance-sort-state',
        );
        await page.keyboard.press('Enter');
        assert.deepEqual(await sortedBy(page, 'state', 'ascending'), [21, ...range(0, 20)], 'live before retired');
        await page.keyboard.press('Space');
        assert.deepEqual(await sortedBy(page, 'state', 'descending'), [...range(0, 20), 21]);

        // A row is selected from its id (filters the event log); Up and Down move between rows.
        const row20 = page.locator('[data-testid="instance-row"][data-instance-id="20"]');
        await row20.locator('button.instance-row-id').click();
        await page.locator('[data-testid="instance-row"][data-instance-id="20"].selected').waitFor();
        assert.equal(await row20.locator('button.instance-row-id').getAttribute('aria-pressed'), 'true');
        await page.keyboard.press('ArrowDown');
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), '#21');
        await page.keyboard.press('ArrowUp');
        await page.keyboard.press('ArrowUp');
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), '#19');

        // Its leak finding opens that instance's findings, as the card's badge does.
        const leaks = row20.locator('.instance-row-leaks');
        await leaks.waitFor({ timeout: TIMEOUT });
        assert.equal(await leaks.innerText(), '⚠ 1 leak in 1 checked');
        await leaks.click();
        await page.locator('[data-testid="leak-filter"][data-instance-id="20"]').waitFor({ timeout: TIMEOUT });

        // Cards again and back: the sort and the retired switch were kept.
        await panel.locator('[data-testid="instances-view-cards"]').click();
        await panel.locator('[data-testid="worker-card"][data-instance-id="21"]').waitFor();
        await panel.locator('[data-testid="instances-view-table"]').click();
        assert.deepEqual(await sortedBy(page, 'state', 'descending'), [...range(0, 20), 21]);

        await screenshot(page, 'instance-table-light');
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          assert.deepEqual(severe(await runAxe(page)), [], `axe (${scheme}): serious or critical violations`);
        }
        await screenshot(page, 'instance-table-dark');
        assert.deepEqual(errors, [], 'no console errors');
      },
    );
  });
});
