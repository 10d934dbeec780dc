/**
 * Accessibility and layout end to end: `poolscope serve … --ui` as a child process, the built
 * dashboard in headless Chromium, real requests to the guest (drained, trapped and live
 * instances, a failed request, leak findings), then axe-core on the live page in both themes
 * and at the window sizes people use: 1280×720, 1024×768, and 1280×720 at 150 % zoom (853×480
 * CSS pixels at a device scale of 1.5, which is what browser zoom does to a page).
 * Needs `renderer/dist` (build first). Screenshots of each size go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { countByRule, runAxe, severe, tabStops } from './support/axe.ts';
import {
  chartsInCurrentTheme,
  chartsShowRequests,
  getSequential,
  type OpenedPage,
  openDashboard,
  type PageView,
  screenshot,
  useBrowser,
  type WebMode,
  withWebMode,
  TIMEOUT,
} from './support/dashboard.ts';

/** Instances serve four requests (so some drain while the test runs) and idle instances stay; every reused answer is replayed. */
const SERVE = ['--max-instance-reuse-count', '4', '--idle-instance-timeout', '60s', '--leak-check', 'all'];

const VIEWS: ReadonlyArray<PageView & { label: string }> = [
  { label: '1280x720', width: 1280, height: 720, deviceScaleFactor: 1 },
  { label: '1024x768', width: 1024, height: 768, deviceScaleFactor: 1 },
  { label: '1280x720-at-150pc', width: 853, height: 480, deviceScaleFactor: 1.5 },
];

const browser = useBrowser();

/**
 * demo:counter, one request at a time: instance 0 serves four and drains, instance 1 serves two
 * and traps on `/trap` (a failed request), instance 2 serves two and stays live. Instance 0's
 * reused answers differ from a fresh instance's, so leak detection finds them.
 */
async function driveTraffic(web: WebMode): Promise<void> {
  const before = await getSequential(web.serviceUrl, '/', 6);
  assert.deepEqual(
    before.map((r) => r.status),
    [200, 200, 200, 200, 200, 200],
  );
  const [trapped] = await getSequential(web.serviceUrl, '/trap', 1);
  assert.equal(trapped!.status, 500);
  await getSequential(web.serviceUrl, '/', 2);
}

/** Waits until the page shows all of that traffic: cards of each kind, the failure, a leak, the charts. */
async function showsTraffic(page: Page): Promise<void> {
  await page.locator('[data-testid="retired-card"][data-exit-cause="drained"]').first().waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid="retired-card"][data-exit-cause="trap"]').first().waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid="worker-card"]').first().waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid="request-failed"]').first().waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid="tab-leaks-count"]').waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid="log-row"]').first().waitFor({ timeout: TIMEOUT });
  await chartsShowRequests(page);
}

/** The light dashboard at 1280×800, once it shows `driveTraffic`'s traffic. */
async function openWithTraffic(web: WebMode): Promise<OpenedPage> {
  const opened = await openDashboard(browser(), web.dashboardUrl, 'light', {
    width: 1280,
    height: 800,
    deviceScaleFactor: 1,
  });
  await driveTraffic(web);
  await showsTraffic(opened.page);
  return opened;
}

async function switchTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  await page.emulateMedia({ colorScheme: theme });
  await page.waitForFunction((scheme) => getComputedStyle(document.documentElement).colorScheme === scheme, theme);
  await chartsInCurrentTheme(page);
}

/** Runs axe and fails on any serious or critical violation; returns the counts by rule (all impacts) for the log. */
async function assertNoSevereViolations(page: Page, where: string): Promise<Record<string, number>> {
  const violations = await runAxe(page);
  assert.deepEqual(severe(violations), [], `axe, ${where}: serious or critical violations`);
  return countByRule(violations);
}

describe('accessibility and layout (web mode)', { timeout: 600_000 }, () => {
  it('axe finds no serious or critical violation in either theme, on the events, the leak findings and a leak diff', async (t) => {
    await withWebMode('demo:counter', SERVE, async (web) => {
      const { page, errors } = await openWithTraffic(web);
      // The load generator too, so its results are on screen.
      const load = page.locator('[data-testid="load-panel"]');
      await load.getByLabel('Request count').fill('12');
      await load.getByLabel('Concurrency').fill('2');
      await load.getByRole('button', { name: 'Send' }).click();
      await page.locator('[data-testid="load-progress"][data-finished="true"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('[data-testid="load-progress"]').getAttribute('data-done'), '12');

      for (const theme of ['light', 'dark'] as const) {
        await switchTheme(page, theme);
        await page.locator('[data-testid="tab-events"]').click();
        await page.locator('[data-testid="tab-events"][aria-selected="true"]').waitFor();
        t.diagnostic(
          `${theme}, events: ${JSON.stringify(await assertNoSevereViolations(page, `${theme} theme, events`))}`,
        );

        await page.locator('[data-testid="tab-leaks"]').click();
        const finding = page.locator('[data-testid="leak-finding"]').first();
        await finding.waitFor({ timeout: TIMEOUT });
        t.diagnostic(
          `${theme}, leak findings: ${JSON.stringify(await assertNoSevereViolations(page, `${theme} theme, leak findings`))}`,
        );

        await finding.click();
        await page.locator('[data-testid="leak-diff"]').waitFor({ timeout: TIMEOUT });
        t.diagnostic(
          `${theme}, leak diff: ${JSON.stringify(await assertNoSevereViolations(page, `${theme} theme, leak diff`))}`,
        );
        await page.locator('[data-testid="leak-diff-close"]').click();
        await finding.waitFor();
      }
      assert.deepEqual(errors, [], 'no console errors (CSP violations included)');
    });
  });

  it('one h1, a distinct name for each Run button, named tab stops in the charts, skip links that move focus', async () => {
    await withWebMode('demo:counter', SERVE, async (web) => {
      const { page, errors } = await openWithTraffic(web);

      const headings = page.locator('h1');
      assert.equal(await headings.count(), 1);
      assert.equal((await headings.innerText()).replace(/^\W+/, ''), 'Poolscope');

      // Five scenarios, five "Run" buttons: each name says which scenario it runs.
      const runs = await tabStops(page, '[data-testid="scenario-panel"] [data-testid^="run-scenario-"]');
      assert.equal(runs.length, 5);
      for (const run of runs) assert.match(run.name, /^Run \S/);
      assert.equal(
        new Set(runs.map((r) => r.name)).size,
        runs.length,
        `distinct names: ${runs.map((r) => r.name).join(', ')}`,
      );

      // Each plot is a tab stop (the arrow keys then step through it): each must say what it is.
      const chartStops = await tabStops(page, '[data-testid="charts-panel"] .mini-chart');
      assert.ok(chartStops.length > 0, 'the charts are keyboard reachable');
      assert.deepEqual(
        chartStops.filter((s) => s.name === '').map((s) => s.testId),
        [],
        'tab stops in the charts without a name',
      );

      // The first Tab stop on the page skips to the live views.
      await page.evaluate(() =>
        document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined,
      );
      await page.keyboard.press('Tab');
      const skipToViews = page.locator('[data-testid="skip-to-views"]');
      await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'skip-to-views');
      assert.ok(((await skipToViews.boundingBox())?.width ?? 0) > 20, 'the skip link shows while focused');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.id === 'live-views');

      // In the event log, one Enter gets past every row's buttons.
      const skipLog = page.locator('[data-testid="skip-event-log"]');
      await skipLog.focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'event-log-end');
      await page.keyboard.press('Tab');
      assert.equal(
        await page.evaluate(() => document.activeElement?.closest('.log-scroll') ?? null),
        null,
        'the next Tab stop is not a row of the log',
      );
      assert.deepEqual(errors, [], 'no console errors (CSP violations included)');
    });
  });

  it('1280×720, 1024×768 and 150 % zoom: the header controls are on screen, no sideways scroll, every panel has room, axe is clean in both themes', async (t) => {
    await withWebMode('demo:counter', SERVE, async (web) => {
      const pages = [];
      for (const view of VIEWS)
        pages.push({ view, ...(await openDashboard(browser(), web.dashboardUrl, 'light', view)) });
      await driveTraffic(web);

      for (const { view, page, errors } of pages) {
        await showsTraffic(page);
        const layout = await page.evaluate(() => {
          const box = (el: Element) => {
            const r = el.getBoundingClientRect();
            return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
          };
          const header = document.querySelector('.app-header');
          const controls = header
            ? [
                ...header.querySelectorAll(
                  'a, button, select, input:not([type="file"]), [data-testid="connection-status"]',
                ),
              ].map((el) => ({
                what:
                  el.getAttribute('data-testid') ??
                  el.getAttribute('aria-label') ??
                  el.textContent?.trim() ??
                  el.tagName,
                ...box(el),
              }))
            : [];
          const panel = (selector: string) => {
            const el = document.querySelector(selector);
            return el ? box(el) : null;
          };
          return {
            innerWidth: window.innerWidth,
            innerHeight: window.innerHeight,
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
            controls,
            plots: [...document.querySelectorAll('[data-testid="charts-panel"] .chart-surface')].map(box),
            timeline: panel('[data-testid="timeline-canvas"]'),
            instances: panel('[data-testid="workers-panel"] .panel-body'),
            log: panel('[data-testid="event-log"] .log-scroll'),
          };
        });
        const where = `${view.label} (${layout.innerWidth}×${layout.innerHeight} CSS px)`;

        const seen = layout.controls.map((c) => c.what);
        for (const needed of [
          'serve-toggle',
          'recording-export',
          'recording-open',
          'connection-status',
          'theme-toggle',
        ]) {
          assert.ok(seen.includes(needed), `${where}: the header has ${needed} (${seen.join(', ')})`);
        }
        const offScreen = layout.controls.filter(
          (c) =>
            c.left < 0 || c.top < 0 || c.right > layout.innerWidth || c.bottom > layout.innerHeight || c.width === 0,
        );
        assert.deepEqual(offScreen, [], `${where}: header controls outside the window`);
        assert.ok(
          layout.scrollWidth <= layout.clientWidth,
          `${where}: the page scrolls sideways (${layout.scrollWidth} > ${layout.clientWidth})`,
        );

        // Nothing squeezed to nothing: five plots, a timeline, the instances and the log, each with room to read.
        assert.equal(layout.plots.length, 5, `${where}: five charts`);
        for (const plot of layout.plots)
          assert.ok(plot.width >= 100 && plot.height >= 60, `${where}: a chart of ${plot.width}×${plot.height}`);
        for (const [name, area] of Object.entries({
          timeline: layout.timeline,
          instances: layout.instances,
          log: layout.log,
        })) {
          assert.ok(
            area && area.width >= 300 && area.height >= 120,
            `${where}: the ${name} is ${area ? `${area.width}×${area.height}` : 'missing'}`,
          );
        }

        t.diagnostic(
          `${where}, light: ${JSON.stringify(await assertNoSevereViolations(page, `${where}, light theme`))}`,
        );
        await screenshot(page, `a11y-${view.label}`);
        await switchTheme(page, 'dark');
        t.diagnostic(`${where}, dark: ${JSON.stringify(await assertNoSevereViolations(page, `${where}, dark theme`))}`);
        assert.deepEqual(errors, [], `${where}: no console errors (CSP violations included)`);
      }
    });
  });
});
