/**
 * The request panel, end to end: `poolscope serve demo:print --ui` as a child process (a guest that
 * writes to stdout and stderr while it handles a request), real HTTP requests carrying a
 * distinctive header, the built dashboard in headless Chromium. A request is opened from the event
 * log by keyboard and from the failed list by click; the panel shows its phases in order, its
 * status, the header, the guest output written during it, its instance and reuse index, and
 * Escape closes it with focus back where it was. Needs a built dashboard (see e2e/support).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { runAxe } from './support/axe.ts';
import { openDashboard, screenshot, TIMEOUT, useBrowser, withWebMode } from './support/dashboard.ts';

const browser = useBrowser();
/** `serve demo:print`, one request, recorded with `--events` (renderer/src/model/fixtures/README.md). */
const PRINT_EVENTS = fileURLToPath(new URL('../renderer/src/model/fixtures/print-idle.jsonl', import.meta.url));

/** Narrows the event log to one request and returns its `request.completed` or `request.failed` row's open button. */
async function logButtonOf(page: Page, requestId: number) {
  await page.getByLabel('Filter by request id').fill(String(requestId));
  const row = page.locator(
    `[data-testid="log-row"][data-request-id="${requestId}"]:is([data-type="request.completed"], [data-type="request.failed"])`,
  );
  await row.waitFor({ timeout: TIMEOUT });
  return row.locator('[data-testid="log-open-request"]');
}

/** The panel's steps in the order it lists them, once `last` is among them (the story is settled). */
async function stepsOf(page: Page, last: string): Promise<Array<{ key: string; t: number }>> {
  const panel = page.locator('[data-testid="request-panel"]');
  await panel.locator(`[data-testid="story-step"][data-step="${last}"]`).waitFor({ timeout: TIMEOUT });
  return panel
    .locator('[data-testid="story-step"]')
    .evaluateAll((items) =>
      items.map((li) => ({ key: li.getAttribute('data-step') ?? '', t: Number(li.getAttribute('data-t')) })),
    );
}

/** axe on the open panel only (the rest of the page has its own test, e2e/a11y.test.ts), in both themes. */
async function panelViolations(page: Page): Promise<string[]> {
  await runAxe(page); // loads axe into the page
  const found: string[] = [];
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => {
      document.documentElement.dataset.theme = t;
    }, theme);
    const lines = await page.evaluate(async () => {
      const { axe } = window as unknown as { axe: typeof import('axe-core') };
      const results = await axe.run('[data-testid="request-panel"]', { resultTypes: ['violations'] });
      return results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
    });
    found.push(...lines.map((line) => `${theme}: ${line}`));
  }
  await page.evaluate(() => {
    delete document.documentElement.dataset.theme;
  });
  return found;
}

const activeTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.id ?? null);

describe('the request panel', () => {
  it('opens any request from the log (keyboard) and the failed list (click), and tells its whole story', {
    timeout: 180_000,
  }, async () => {
    await withWebMode(
      'demo:print',
      ['--max-instance-reuse-count', '8', '--max-request-body-size', '16'],
      async (web) => {
        const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
        // Two sequential requests (the second reuses the first's instance), then one the front door refuses.
        for (const probe of ['probe-0', 'probe-1']) {
          const answer = await fetch(new URL('/story', web.serviceUrl), { headers: { 'x-poolscope-probe': probe } });
          assert.equal(answer.status, 200);
          await answer.arrayBuffer();
        }
        const refused = await fetch(new URL('/too-big', web.serviceUrl), { method: 'POST', body: 'x'.repeat(100) });
        assert.equal(refused.status, 413);

        // From the log, by keyboard: focus r1's button and press Enter.
        const open1 = await logButtonOf(page, 1);
        await open1.focus();
        await page.keyboard.press('Enter');
        const panel = page.locator('[data-testid="request-panel"][data-request-id="1"]');
        await panel.waitFor({ timeout: TIMEOUT });
        assert.equal(await activeTestId(page), 'request-panel-title', 'focus moves to the panel');

        await panel
          .locator('[data-testid="request-headers-in"] tr', { hasText: 'x-poolscope-probe' })
          .filter({ hasText: 'probe-1' })
          .waitFor({ timeout: TIMEOUT });
        const steps = await stepsOf(page, 'available');
        assert.deepEqual(
          steps.map((s) => s.key),
          ['received', 'dispatched', 'accepted', 'responded', 'ended', 'available'],
        );
        const times = steps.map((s) => s.t);
        assert.deepEqual(
          times,
          [...times].sort((a, b) => a - b),
          'the steps in time order',
        );
        assert.equal(await panel.locator('[data-testid="request-status"]').textContent(), '200');
        const instance = panel.locator('[data-testid="request-instance"]');
        assert.equal(await instance.getAttribute('data-instance-id'), '0');
        assert.equal(await instance.getAttribute('data-reuse-index'), '2');
        assert.match((await instance.textContent()) ?? '', /instance 0, its request #2/);
        await panel
          .locator('[data-testid="request-output-line"]', { hasText: 'start a print 1234' })
          .waitFor({ timeout: TIMEOUT });
        assert.equal(await panel.locator('[data-testid="request-target"]').textContent(), 'GET /story');
        await screenshot(page, 'request-panel');
        assert.deepEqual(await panelViolations(page), [], 'axe: no serious violation in the panel');
        await page.locator('[data-testid="request-panel-title"]').focus();

        // Escape closes it, and focus returns to the button that opened it.
        await page.keyboard.press('Escape');
        await panel.waitFor({ state: 'detached', timeout: TIMEOUT });
        assert.equal(await activeTestId(page), 'log-open-request');

        // The first request started its instance: the story has the start, in its place.
        await (await logButtonOf(page, 0)).click();
        const panel0 = page.locator('[data-testid="request-panel"][data-request-id="0"]');
        await panel0.waitFor({ timeout: TIMEOUT });
        assert.deepEqual(
          (await stepsOf(page, 'available')).map((s) => s.key),
          ['received', 'dispatched', 'spawned', 'instantiated', 'accepted', 'responded', 'ended', 'available'],
        );
        assert.equal(await panel0.locator('[data-testid="request-instance"]').getAttribute('data-reuse-index'), '1');
        await panel0.locator('[data-testid="request-panel-close"]').click();
        await panel0.waitFor({ state: 'detached', timeout: TIMEOUT });

        // From the failed list, by click: refused at the front door, it never reached the pool.
        const failedButton = page.locator(
          '[data-testid="request-failed"][data-request-id="2"] [data-testid="failed-open-request"]',
        );
        await failedButton.click();
        const panel2 = page.locator('[data-testid="request-panel"][data-request-id="2"]');
        await panel2.waitFor({ timeout: TIMEOUT });
        assert.equal(await panel2.locator('[data-testid="request-status"]').textContent(), 'failed: refused');
        assert.deepEqual(
          (await stepsOf(page, 'ended')).map((s) => s.key),
          ['received', 'ended'],
        );
        await panel2
          .locator('[data-testid="request-headers-note"]', { hasText: 'never reached the pool' })
          .waitFor({ timeout: TIMEOUT });
        assert.equal(await panel2.locator('[data-testid="request-instance"]').getAttribute('data-instance-id'), '');
        await page.keyboard.press('Escape');
        await panel2.waitFor({ state: 'detached', timeout: TIMEOUT });
        assert.equal(await activeTestId(page), 'failed-open-request');

        // Replaying a recording (an event file recorded from the engine): the story from its events, no headers.
        await page.locator('[data-testid="recording-file-input"]').setInputFiles(PRINT_EVENTS);
        await page.locator('.app[data-replaying="true"]').waitFor({ timeout: TIMEOUT });
        await (await logButtonOf(page, 0)).click();
        const replayed = page.locator('[data-testid="request-panel"][data-request-id="0"]');
        await replayed.waitFor({ timeout: TIMEOUT });
        assert.deepEqual(
          (await stepsOf(page, 'available')).map((s) => s.key),
          ['received', 'dispatched', 'spawned', 'instantiated', 'accepted', 'responded', 'ended', 'available'],
        );
        await replayed
          .locator('[data-testid="request-headers-note"][data-state="replay"]', {
            hasText: 'Headers were not recorded',
          })
          .waitFor({ timeout: TIMEOUT });
        await replayed
          .locator('[data-testid="request-output-line"]', { hasText: 'start a print 1234' })
          .waitFor({ timeout: TIMEOUT });
        assert.deepEqual(errors, []);
      },
    );
  });
});
