/**
 * Scenarios leave the user's work alone (issue 16, §4), end to end: `poolscope serve demo:counter
 * --ui` with knobs of the user's, a scenario run from the dashboard in real Chromium on a pool and
 * address of its own, while the address the CLI printed at start-up goes on answering from the
 * user's pool, with the same knobs and guest state; the CLI printed where the scenario served and
 * that the dashboard shows the user's pool again. The result banner folds
 * to one line when the user works on something else, and unfolds from the keyboard. Presenter
 * mode on a 1280×720 projector at 150 % (853×480 CSS px): a large caption, no sideways scroll,
 * axe clean.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { runAxe, severe } from './support/axe.ts';
import { openDashboard, screenshot, TIMEOUT, useBrowser, withWebMode } from './support/dashboard.ts';

/** The quick scenarios take seconds; this is a hang guard, not an expectation. */
const SCENARIO_TIMEOUT = 240_000;

const browser = useBrowser();

/** A pattern matching `text` literally (a URL has dots). */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Clicks a scenario's Run button (quick run) and waits until it has ended; returns how it ended. */
async function runQuick(page: Page, name: string): Promise<string | null> {
  const quick = page.locator('[data-testid="scenario-quick"]');
  if (!(await quick.isChecked())) await quick.check();
  await page.locator(`[data-testid="run-scenario-${name}"]`).click();
  await page.locator('[data-testid="scenario-banner"][data-state="running"]').waitFor({ timeout: TIMEOUT });
  const ended = page.locator('[data-testid="scenario-banner"]:not([data-state="running"])');
  await ended.waitFor({ timeout: SCENARIO_TIMEOUT });
  return ended.getAttribute('data-state');
}

/** The page scrolls sideways (wider content than the window). */
function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

describe('scenarios leave the user’s server alone (web mode)', { timeout: 600_000 }, () => {
  it("after a scenario the printed address answers the user's component, with the user's knobs; the banner folds", async () => {
    await withWebMode(
      'demo:counter',
      // A long idle timeout: the user's instance must outlive the scenario on a busy machine. One
      // instance at most: each request waits for it rather than racing its return to the pool.
      ['--max-instance-reuse-count', '5', '--idle-instance-timeout', '600s', '--max-instances', '1'],
      async (web) => {
        const first = await fetch(web.serviceUrl);
        assert.equal(first.status, 200);
        assert.match(await first.text(), /^count=1/, "the user's component, before");

        const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
        const address = await page.locator('[data-testid="listen-address"]').innerText();
        assert.equal(`http://${address}/`, web.serviceUrl);

        assert.equal(await runQuick(page, 'fresh-vs-reused'), 'finished');
        // The CLI printed where the scenario served, then the user's address again.
        await web.waitForStderr(/Scenario guest demo:hello on http:\/\/\S+/);
        await web.waitForStderr(
          new RegExp(
            `Scenario over: the dashboard shows demo:counter again\\.\\nServing HTTP on ${literal(web.serviceUrl)}\\n`,
          ),
        );
        const scenarioUrl = /Scenario guest demo:hello on (http:\/\/\S+)/.exec(web.stderr())?.[1];
        assert.notEqual(scenarioUrl, web.serviceUrl, 'the scenario served on an address of its own');
        assert.match(
          web.stderr(),
          new RegExp(`demo:counter keeps serving on ${literal(web.serviceUrl)} while a scenario runs`),
        );

        // The user's pool kept serving, untouched: the same instance counts on.
        const after = await fetch(web.serviceUrl);
        assert.equal(after.status, 200);
        assert.match(await after.text(), /^count=2/, "the user's counter, its state kept through the scenario");
        assert.equal(await page.locator('[data-testid="listen-address"]').innerText(), address);
        assert.match(await page.locator('[data-testid="component-info"]').innerText(), /counter/);
        // The page shows the user's pool again as it went on: its instance with both requests.
        await page
          .locator('[data-testid="worker-card"][data-instance-id="0"][data-reuse-count="2"]')
          .waitFor({ timeout: TIMEOUT });
        // The user's knobs, not the scenario's 128: the instance serves five, the sixth request a new one.
        const bodies: string[] = [];
        for (let i = 0; i < 5; i++) bodies.push(await (await fetch(web.serviceUrl)).text());
        assert.deepEqual(
          bodies.map((b) => b.trim()),
          ['count=3', 'count=4', 'count=5', 'count=1', 'count=2'],
          'max reuse 5: the instance that served five retired, the next request got a fresh one',
        );

        // The results stay until the user does something else: sending load folds the banner to one line.
        const banner = page.locator('[data-testid="scenario-banner"]');
        assert.equal(await banner.getAttribute('data-expanded'), 'true');
        await page.locator('[data-testid="scenario-results"]').waitFor();
        await screenshot(page, 'scenario-isolation-expanded');
        const load = page.locator('[data-testid="load-panel"]');
        await load.getByLabel('Request count').fill('4');
        await load.getByLabel('Concurrency').fill('1');
        await load.getByRole('button', { name: 'Send' }).click();
        await page.locator('[data-testid="scenario-banner"][data-expanded="false"]').waitFor({ timeout: TIMEOUT });
        assert.equal(await page.locator('[data-testid="scenario-results"]').count(), 0, 'one line, no table');
        const line = await banner.boundingBox();
        assert.ok(line && line.height < 60, `the folded banner is one line (${line?.height} px high)`);
        await screenshot(page, 'scenario-isolation-folded');

        // Unfolded and folded again from the keyboard; then closed.
        const expand = page.locator('[data-testid="scenario-expand"]');
        assert.equal(await expand.getAttribute('aria-expanded'), 'false');
        await expand.focus();
        await page.keyboard.press('Enter');
        await page.locator('[data-testid="scenario-banner"][data-expanded="true"]').waitFor();
        await page.locator('[data-testid="scenario-results"]').waitFor();
        assert.equal(await expand.getAttribute('aria-expanded'), 'true');
        await page.keyboard.press('Space');
        await page.locator('[data-testid="scenario-banner"][data-expanded="false"]').waitFor();
        await page.locator('[data-testid="scenario-close"]').click();
        await banner.waitFor({ state: 'detached' });
        assert.deepEqual(errors, [], 'no console errors');
      },
    );
  });

  it("a stopped scenario gives the user's pool back too; its address answered throughout", async () => {
    await withWebMode('demo:counter', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      const quick = page.locator('[data-testid="scenario-quick"]');
      if (await quick.isChecked()) await quick.uncheck();
      await page.locator('[data-testid="run-scenario-io-concurrency"]').click();
      await page.locator('[data-testid="scenario-banner"][data-state="running"]').waitFor({ timeout: TIMEOUT });
      await web.waitForStderr(/Scenario guest demo:p3-delay on http:\/\/\S+/);
      // The user's address answers while the scenario runs.
      const during = await fetch(web.serviceUrl);
      assert.equal(during.status, 200);
      assert.match(await during.text(), /^count=1/);
      await page.locator('[data-testid="stop-scenario"]').click();
      await page
        .locator('[data-testid="scenario-banner"][data-state="stopped"]')
        .waitFor({ timeout: SCENARIO_TIMEOUT });
      const after = await fetch(web.serviceUrl);
      assert.equal(after.status, 200);
      assert.match(await after.text(), /^count=/);
      assert.deepEqual(errors, [], 'no console errors');
    });
  });

  it('presenter mode at 853×480 (1280×720 at 150 %): a large caption, no sideways scroll, axe clean; the header toggles it', async () => {
    await withWebMode('demo:hello', [], async (web) => {
      const url = new URL(web.dashboardUrl);
      url.searchParams.set('presenter', '1');
      const { page, errors } = await openDashboard(browser(), url.href, 'light', {
        width: 853,
        height: 480,
        deviceScaleFactor: 1.5,
      });
      await page.waitForFunction(() => document.documentElement.dataset.presenter === 'true');
      assert.equal(await page.locator('[data-testid="presenter-toggle"]').getAttribute('aria-pressed'), 'true');
      // Minimal chrome: of the sidebar only the scenarios (to start one); no component picker.
      assert.equal(await page.locator('[data-testid="load-panel"]').isVisible(), false);
      assert.equal(await page.locator('[data-testid="component-picker"]').isVisible(), false);
      assert.ok(await page.locator('[data-testid="scenario-panel"]').isVisible());
      assert.equal(await scrollsSideways(page), false, 'no sideways scroll before the run');

      await page.locator('[data-testid="scenario-quick"]').check();
      await page.locator('[data-testid="run-scenario-state-leaks"]').click();
      await page.locator('[data-testid="scenario-banner"][data-state="running"]').waitFor({ timeout: TIMEOUT });
      const caption = page.locator('[data-testid="scenario-caption"]');
      await caption.filter({ hasText: /\S/ }).waitFor();
      const captionPx = await caption.evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
      assert.ok(captionPx >= 20, `a caption of ${captionPx} px`);
      // While it runs the views take the whole width.
      assert.equal(await page.locator('.sidebar').isVisible(), false);
      assert.equal(await scrollsSideways(page), false, 'no sideways scroll while the scenario runs');
      const running = severe(await runAxe(page));
      assert.deepEqual(running, [], 'axe, presenter mode, scenario running');
      await screenshot(page, 'presenter-853x480-running');

      const ended = page.locator('[data-testid="scenario-banner"]:not([data-state="running"])');
      await ended.waitFor({ timeout: SCENARIO_TIMEOUT });
      assert.equal(await ended.getAttribute('data-state'), 'finished');
      await page.locator('[data-testid="scenario-results"]').waitFor();
      assert.equal(await scrollsSideways(page), false, 'no sideways scroll with the results shown');
      for (const theme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: theme });
        await page.waitForFunction(
          (scheme) => getComputedStyle(document.documentElement).colorScheme === scheme,
          theme,
        );
        assert.deepEqual(severe(await runAxe(page)), [], `axe, presenter mode, results, ${theme} theme`);
      }
      await screenshot(page, 'presenter-853x480-results');

      // The header's toggle leaves presenter mode, and the address says so (a reload keeps it).
      await page.locator('[data-testid="presenter-toggle"]').click();
      await page.waitForFunction(() => document.documentElement.dataset.presenter === 'false');
      assert.equal(new URL(page.url()).searchParams.get('presenter'), null);
      assert.ok(new URL(page.url()).searchParams.get('token'), 'the token stays in the address');
      assert.ok(await page.locator('[data-testid="load-panel"]').isVisible(), 'the full dashboard is back');
      assert.deepEqual(errors, [], 'no console errors');
    });
  });
});
