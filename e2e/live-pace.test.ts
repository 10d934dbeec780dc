/**
 * Under load the page updates less often (bridge/message-pacer.ts: at most once a second, slower
 * when a delivery costs it more, at most every 2 s), and the live indicator in the header says so;
 * once the load is over, a request by hand brings the quiet pace back and the indicator says
 * nothing more. End to end: `poolscope serve demo:hello --ui` (max reuse 1: ~14 events a
 * request), 50 clients from the load generator, the built dashboard in headless Chromium. Waits
 * on what the page shows, never on a duration. Needs a built dashboard (see e2e/support).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { runLoad } from '../engine/loadgen/index.ts';
import { openDashboard, TIMEOUT, useBrowser, withWebMode } from './support/dashboard.ts';

const browser = useBrowser();
const INDICATOR = '[data-testid="connection-status"]';

/** The live indicator's pace (ms between updates) and what it says. */
async function indicator(page: Page): Promise<{ paceMs: number; text: string; title: string }> {
  const el = page.locator(INDICATOR);
  return {
    paceMs: Number(await el.getAttribute('data-pace-ms')),
    text: (await el.textContent()) ?? '',
    title: (await el.getAttribute('title')) ?? '',
  };
}

/** Instances retired so far, as the instances panel counts them. */
async function retiredTotal(page: Page): Promise<number> {
  const text = (await page.locator('[data-testid="workers-panel"]').textContent()) ?? '';
  return Number(/(\d+) retired/.exec(text)?.[1]);
}

describe('the live indicator', () => {
  it('says how often updates come while the page has slowed them under load, and nothing once it is quiet again', {
    timeout: 240_000,
  }, async () => {
    await withWebMode('demo:hello', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      const quiet = await indicator(page);
      // 250 ms, or ten times what a delivery cost on a busy machine: under 1 s, and not said.
      assert.ok(quiet.paceMs < 1000, `a page just opened is not slowed, got ${quiet.paceMs}`);
      assert.equal(quiet.text.trim(), 'live', 'and says nothing about it');

      // Load until the page has slowed down (however long the machine takes to get there).
      const stop = new AbortController();
      const load = runLoad({ url: web.serviceUrl, connections: 50, durationMs: TIMEOUT * 3, signal: stop.signal });
      let loaded: Awaited<ReturnType<typeof indicator>>;
      try {
        await page.locator(`${INDICATOR} .conn-pace`).waitFor({ timeout: TIMEOUT * 2 });
        loaded = await indicator(page); // read while the load still runs
      } finally {
        stop.abort();
      }
      const summary = await load;
      assert.ok(summary.responses > 0, 'the load was served');
      assert.ok(loaded.paceMs >= 1000 && loaded.paceMs <= 2000, `between 1 and 2 s under load, got ${loaded.paceMs}`);
      assert.match(loaded.text, /^live· every \d+(\.\d)? s$/);
      assert.match(loaded.title, /^Live: updates come every \d+(\.\d)? s\. While events come fast/);

      // Quiet again: one request by hand at a time, each waited for on the page (at max reuse 1
      // it retires an instance) and painted; a cheap delivery of a quiet stream brings the quiet
      // pace back (250 ms, or ten times what a delivery costs on a busy machine: under 1 s).
      for (let sent = 0; (await indicator(page)).paceMs >= 1000; sent++) {
        assert.ok(sent < 20, 'the quiet pace comes back within 20 requests by hand');
        const before = await retiredTotal(page);
        await (await fetch(web.serviceUrl)).text();
        await page.waitForFunction(
          (n) =>
            Number(
              /(\d+) retired/.exec(document.querySelector('[data-testid="workers-panel"]')?.textContent ?? '')?.[1],
            ) > n,
          before,
          { timeout: TIMEOUT },
        );
        // The pacer measures a delivery once it is painted: after the next frame.
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
      }
      assert.equal((await indicator(page)).text.trim(), 'live');
      assert.deepEqual(errors, []);
    });
  });
});
