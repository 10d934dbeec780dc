/**
 * Panels that must stay usable beside each other, in real Chromium (web mode, `poolscope serve
 * demo:counter --ui`): the request panel leaves the replay bar and banners uncovered and scrolls
 * from the keyboard, panel actions stay on screen at 150% zoom and 1024×768, and a one-second run
 * still shows on the compare charts. Needs a built dashboard (see e2e/support).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { runAxe, severe } from './support/axe.ts';
import { getSequential, openDashboard, TIMEOUT, useBrowser, withWebMode } from './support/dashboard.ts';

const browser = useBrowser();
/** `serve demo:counter` with max reuse 3, recorded with `--events` (renderer/src/model/fixtures/README.md). */
const COUNTER_EVENTS = fileURLToPath(new URL('../renderer/src/model/fixtures/counter-reuse3.jsonl', import.meta.url));
/** 8 sequential `GET /` to `demo:counter` with max reuse 1, all within one second (compare/fixtures/README.md). */
const ONE_SECOND_RUN = fileURLToPath(new URL('../renderer/src/compare/fixtures/counter-reuse1.jsonl', import.meta.url));
/** `demo:p3-delay`, concurrent requests over more than two seconds (model/fixtures/README.md). */
const LONGER_RUN = fileURLToPath(new URL('../renderer/src/model/fixtures/p3-concurrent.jsonl', import.meta.url));

/** True when a click at the centre of `testId` lands on it (nothing is drawn over it). */
async function reachable(page: Page, testId: string): Promise<boolean> {
  return page.locator(`[data-testid="${testId}"]`).evaluate((el) => {
    const box = el.getBoundingClientRect();
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return top !== null && el.contains(top);
  });
}

describe('request panel over the replay bar', () => {
  it('leaves the replay bar (its exit and scrubber) uncovered at 1280×720', async () => {
    await withWebMode('demo:counter', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light', {
        width: 1280,
        height: 720,
        deviceScaleFactor: 1,
      });
      await page.locator('[data-testid="recording-file-input"]').setInputFiles(COUNTER_EVENTS);
      await page.locator('[data-testid="replay-bar"]').waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="replay-scrubber"]').focus();
      await page.keyboard.press('End');

      // A request from the timeline, by keyboard: its story opens beside the replay.
      const lanes = page.locator('[data-testid="timeline-lanes"]');
      await lanes.focus();
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction(
        () => document.querySelector('[data-testid="timeline-lanes"]')?.hasAttribute('data-focused-request'),
        null,
        { timeout: TIMEOUT },
      );
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="request-panel"]').waitFor({ timeout: TIMEOUT });

      assert.ok(await reachable(page, 'replay-exit'), 'the replay bar’s exit is not under the request panel');
      assert.ok(await reachable(page, 'replay-engine-t'), 'the replayed time is not under the request panel');
      await page.locator('[data-testid="replay-exit"]').click({ trial: true, timeout: TIMEOUT });
      assert.deepEqual(errors, []);
    });
  });
});

describe('request panel at 1280×720', () => {
  it('can be scrolled from the keyboard (axe: no serious violation with it open)', async () => {
    await withWebMode('demo:counter', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light', {
        width: 1280,
        height: 720,
        deviceScaleFactor: 1,
      });
      await getSequential(web.serviceUrl, '/', 2);
      const lanes = page.locator('[data-testid="timeline-lanes"]');
      await lanes.focus();
      // The timeline's keys need a request in the window: the first arrow after it arrives focuses one.
      await page.waitForFunction(
        () => {
          const el = document.querySelector('[data-testid="timeline-lanes"]');
          el?.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
          return el?.hasAttribute('data-focused-request') ?? false;
        },
        null,
        { timeout: TIMEOUT, polling: 200 },
      );
      await page.keyboard.press('Enter');
      const panel = page.locator('[data-testid="request-panel"]');
      // Settled: the request headers (engine detail) are in, which makes the story taller than the panel.
      await panel.locator('[data-testid="story-step"][data-step="exited"]').waitFor({ timeout: TIMEOUT });
      await panel.getByText('user-agent').waitFor({ timeout: TIMEOUT });
      const body = panel.locator('.request-panel-body');
      assert.ok(
        await body.evaluate((el) => el.scrollHeight > el.clientHeight),
        'the story overflows the panel at 1280×720 (what this test is about)',
      );
      assert.deepEqual(severe(await runAxe(page)), []);
      // Focused (it is a tab stop), the story scrolls with the keys.
      await body.focus();
      await page.keyboard.press('End');
      await page.waitForFunction(() => (document.querySelector('.request-panel-body')?.scrollTop ?? 0) > 0, null, {
        timeout: TIMEOUT,
      });
      assert.deepEqual(errors, []);
    });
  });
});

describe('panel headings at 150% zoom and 1024×768', () => {
  it('keep every panel action on screen (the notes beside the titles give way)', async () => {
    await withWebMode('demo:counter', [], async (web) => {
      // A 1280×720 projector at 150% zoom, and a 1024×768 screen.
      for (const view of [
        { width: 853, height: 480, deviceScaleFactor: 1.5 },
        { width: 1024, height: 768, deviceScaleFactor: 1 },
      ]) {
        const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light', view);
        // Some events, so the log's note (shown · total · history) is at its longest.
        await getSequential(web.serviceUrl, '/', 2);
        await page.locator('[data-testid="log-row"]').first().waitFor({ timeout: TIMEOUT });
        for (const id of ['timeline-export', 'timeline-follow', 'log-pause']) {
          const control = page.locator(`[data-testid="${id}"]`);
          await control.scrollIntoViewIfNeeded();
          const box = await control.evaluate((el) => {
            const b = el.getBoundingClientRect();
            return { left: b.left, right: b.right, width: document.documentElement.clientWidth };
          });
          assert.ok(
            box.left >= 0 && box.right <= box.width,
            `${id} is on screen at ${view.width}×${view.height}@${view.deviceScaleFactor}: ${JSON.stringify(box)}`,
          );
        }
        assert.deepEqual(errors, []);
        await page.context().close();
      }
    });
  });
});

describe('compare view', () => {
  it('draws a run that lasted one second on the per-second charts', async () => {
    await withWebMode('demo:counter', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      await page.locator('[data-testid="compare-open"]').click();
      await page.locator('[data-testid="compare-file-a"]').setInputFiles(ONE_SECOND_RUN);
      await page.locator('[data-testid="compare-file-b"]').setInputFiles(LONGER_RUN);
      await page
        .locator('[data-testid="compare-side-a"][data-label="counter-reuse1.jsonl"]')
        .waitFor({ timeout: TIMEOUT });
      await page
        .locator('[data-testid="compare-side-b"][data-label="p3-concurrent.jsonl"]')
        .waitFor({ timeout: TIMEOUT });
      // Run A completed its 8 requests in its first (only) second: its line must show that point.
      // A run is visible when its line has a segment (`L` in its path) or its points are dotted.
      const chart = page.locator('[data-testid="compare-chart-ok"]');
      await chart.locator('path.recharts-line-curve[name="B: p3-concurrent.jsonl"]').waitFor({ timeout: TIMEOUT });
      const drawn = await chart.evaluate((figure) =>
        ['A: counter-reuse1.jsonl', 'B: p3-concurrent.jsonl'].map((name) => {
          const d = figure.querySelector(`path.recharts-line-curve[name="${name}"]`)?.getAttribute('d') ?? '';
          return d.includes('L') || figure.querySelectorAll(`circle[name="${name}"]`).length > 0;
        }),
      );
      assert.deepEqual(drawn, [true, true], 'both runs are visible on the requests-per-second chart');
      assert.deepEqual(errors, []);
    });
  });
});
