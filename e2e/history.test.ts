/**
 * History survives a reload or a late open (issue 16 §1), end to end: `poolscope serve … --ui`,
 * real requests over loopback (served, timed out, refused), a knob changed from the dashboard,
 * then a second page opened late and the first reloaded: each shows what the first showed,
 * open from the start. Chart series are compared from each page's own exported recording,
 * folded by the dashboard's reducers. Needs a built dashboard (POOLSCOPE_DASHBOARD_DIR).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { applyServerMessage, clearHistory, engineNow, initialData } from '../renderer/src/model/apply.ts';
import { chartSeries } from '../renderer/src/model/charts.ts';
import type { DataState } from '../renderer/src/model/types.ts';
import { validateRecording } from '../renderer/src/recording/format.ts';
import {
  ARTIFACTS,
  getSequential,
  openDashboard,
  screenshot,
  TIMEOUT,
  useBrowser,
  withWebMode,
} from './support/dashboard.ts';

const browser = useBrowser();

/** What a page shows of the run, read from its DOM (nothing that depends on the time it is read). */
interface Shown {
  cards: string[];
  retired: string[];
  counters: string[];
  failed: string[];
  logTotal: number;
  logRows: string[];
}

/**
 * Runs in the page (self-contained: Playwright sends its source). With `want`, whether the page
 * shows exactly that (for `waitForFunction`); without, what it shows.
 */
function readShown(want: string | null = null): Shown | boolean {
  const text = (el: Element | null): string => (el as HTMLElement | null)?.innerText.replace(/\s+/g, ' ').trim() ?? '';
  const all = (selector: string): Element[] => [...document.querySelectorAll(selector)];
  const byId = (a: Element, b: Element): number =>
    Number(a.getAttribute('data-instance-id')) - Number(b.getAttribute('data-instance-id'));
  const cards = all('[data-testid="worker-card"]')
    .sort(byId)
    .map((card) => {
      const stats = [...card.querySelectorAll('.card-stats dt')]
        .filter((dt) => ['ok / failed', 'memory', 'start', 'in flight'].includes(text(dt)))
        .map((dt) => `${text(dt)}=${text(dt.nextElementSibling)}`);
      const attrs = ['data-instance-id', 'data-reuse-count', 'data-status', 'data-executor', 'data-leaks'].map(
        (name) => `${name}=${card.getAttribute(name)}`,
      );
      return [...attrs, `reuse=${text(card.querySelector('[data-testid="reuse-count"]'))}`, ...stats].join(' ');
    });
  const meta = text(document.querySelector('[data-testid="event-log"] .panel-meta'));
  const shown: Shown = {
    cards,
    retired: all('[data-testid="retired-card"]').sort(byId).map(text),
    counters: [
      text(document.querySelector('[data-testid="workers-panel"] .panel-meta')),
      text(document.querySelector('[data-testid="failed-count"]')),
      ...all('[data-testid="failed-kind"]').map(text),
    ],
    failed: all('[data-testid="request-failed"]').map(text),
    logTotal: Number(/(\d+) total/.exec(meta)?.[1] ?? Number.NaN),
    logRows: all('[data-testid="log-row"]').map(text),
  };
  return want === null ? shown : JSON.stringify(shown) === want;
}

async function shownBy(page: Page): Promise<Shown> {
  const shown = await page.evaluate(readShown, null);
  assert.ok(typeof shown === 'object');
  return shown;
}

/**
 * Waits until `page` shows what `reference` shows, and `reference` holds still while it does
 * (a batch may still be on its way to either). Waits on the DOM, never for a set time.
 */
async function sameAs(page: Page, reference: Page, what: string): Promise<Shown> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const expected = await shownBy(reference);
    const matched = await page.waitForFunction(readShown, JSON.stringify(expected), { timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (matched && JSON.stringify(await shownBy(reference)) === JSON.stringify(expected)) return expected;
    if (Date.now() > deadline) {
      assert.deepEqual(await shownBy(page), await shownBy(reference), what);
      return expected;
    }
  }
}

async function setReuse(page: Page, value: string): Promise<void> {
  const knob = page.locator('[data-testid="knob-maxInstanceReuseCount"]');
  await knob.locator('input').fill(value);
  await knob.locator('input').press('Enter');
  await knob.locator('.knob-state-applied').waitFor({ timeout: TIMEOUT });
}

/** The page's recording (a real download), folded from an empty dashboard by the same reducers. */
async function exportedState(page: Page, name: string): Promise<DataState> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('[data-testid="recording-export"]').click(),
  ]);
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = `${ARTIFACTS}history-${name}.poolscope.json`;
  await download.saveAs(file);
  const parsed = validateRecording(JSON.parse(readFileSync(file, 'utf8')));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  let state = initialData;
  for (const entry of parsed.recording.messages) {
    state = 'action' in entry ? clearHistory(state) : applyServerMessage(state, entry.message, entry.t);
  }
  return state;
}

describe('history survives a reload or a late open (web mode)', { timeout: 600_000 }, () => {
  it('a page opened late, and a reloaded one, show the cards, counters, failures, log and charts of the page open from the start', async () => {
    await withWebMode(
      'demo:sleep',
      [
        '--max-instance-reuse-count',
        '128',
        '--idle-instance-timeout',
        '60s',
        '--request-timeout',
        '1s',
        '--max-request-body-size',
        '1KiB',
      ],
      async (web) => {
        const { page: first, errors } = await openDashboard(browser(), web.dashboardUrl);
        await first.locator('[data-testid="component-info"]', { hasText: 'sleep' }).waitFor({ timeout: TIMEOUT });

        // Five served on instance 0; one outlasting the request timeout (it fails there, and the
        // watchdog ends the instance); one refused at the front door for its body.
        const served = await getSequential(web.serviceUrl, '/?ms=1', 5);
        assert.deepEqual(
          served.map((r) => r.status),
          [200, 200, 200, 200, 200],
        );
        const slow = await fetch(new URL('/?ms=30000', web.serviceUrl));
        await slow.arrayBuffer();
        assert.ok(slow.status >= 500, `the slow request failed (${slow.status})`);
        const refused = await fetch(web.serviceUrl, { method: 'POST', body: 'x'.repeat(4096) });
        await refused.arrayBuffer();
        assert.equal(refused.status, 413);
        await first.locator('[data-testid="retired-card"][data-instance-id="0"]').waitFor({ timeout: TIMEOUT });

        // Max reuse 2 from the dashboard: five more requests use instances 1 and 2 up and leave 3.
        await setReuse(first, '2');
        await getSequential(web.serviceUrl, '/?ms=1', 5);
        await first
          .locator('[data-testid="worker-card"][data-instance-id="3"][data-reuse-count="1"]')
          .waitFor({ timeout: TIMEOUT });
        await first.locator('[data-testid="retired-card"][data-instance-id="2"]').waitFor({ timeout: TIMEOUT });

        const { page: second, errors: secondErrors } = await openDashboard(browser(), web.dashboardUrl);
        const shown = await sameAs(second, first, 'a page opened late shows what the first page shows');
        // Not an empty page equal to an empty one: the run is there.
        assert.equal(shown.cards.length, 1);
        assert.match(shown.cards[0] ?? '', /data-instance-id=3 data-reuse-count=1 .*ok \/ failed=1 \/ 0/);
        assert.equal(shown.retired.length, 3);
        assert.match(shown.retired[0] ?? '', /^#0\b.*served 6 \(1 failed\)/s, 'instance 0: five served, one failed');
        assert.deepEqual(
          shown.counters.slice(1),
          ['2', 'timeout 1', 'refused 1'],
          'failed: one timed out, one refused',
        );
        assert.match(shown.counters[0] ?? '', /1 live · 3 retired/);
        assert.ok(shown.logTotal > 40, `the log has the run's events (${shown.logTotal})`);
        assert.ok(shown.logRows.length > 0);
        const note = second.locator('[data-testid="engine-history"]');
        assert.equal(await note.getAttribute('data-dropped'), '0');
        assert.match(await note.innerText(), /history from engine: last \d+ events \(bound 50,000 \/ 8\.0 MiB\)/);
        assert.equal(
          await first.locator('[data-testid="engine-history"]').count(),
          0,
          'the first page saw it all live',
        );
        await screenshot(second, 'history-late-page');

        // Chart series, from the recording each page exports (the first page's covers the run from
        // the start; the late page's begins with the engine's history), at the same engine time.
        const fromStart = await exportedState(first, 'from-start');
        const late = await exportedState(second, 'late');
        const now = Math.max(engineNow(late.clock, 0), engineNow(fromStart.clock, 0));
        // From the pool's first event: before it, the first page had only the gauge sample its own
        // snapshot gave it when it opened (all zero), a moment a late page never saw.
        const firstSecond = Math.min(...late.charts.buckets.map((b) => b.sec));
        const series = (s: DataState) =>
          chartSeries(s.charts, now, 120).filter((p) => Math.floor(now / 1000) + p.x >= firstSecond);
        const lateSeries = series(late);
        assert.equal(
          lateSeries.reduce((sum, p) => sum + p.ok, 0),
          10,
        );
        assert.equal(
          lateSeries.reduce((sum, p) => sum + p.failed, 0),
          2,
        );
        assert.ok(lateSeries.some((p) => p.p50 !== null && p.live > 0));
        assert.deepEqual(lateSeries, series(fromStart), 'the same chart series, second by second');
        const retiredCounts = (s: DataState) => s.instances.retired.map((r) => [r.instanceId, r.ok, r.failed]);
        assert.deepEqual(retiredCounts(late), [
          [2, 2, 0],
          [1, 2, 0],
          [0, 5, 1],
        ]);
        assert.deepEqual(retiredCounts(late), retiredCounts(fromStart));

        await first.reload();
        await first.locator('.app[data-ready="true"]').waitFor({ timeout: TIMEOUT });
        await sameAs(first, second, 'the reloaded page shows what it showed before (as the late page does)');

        // Both follow the run live from their history: nothing counted twice, nothing lost.
        await getSequential(web.serviceUrl, '/?ms=1', 2);
        await second
          .locator('[data-testid="worker-card"][data-instance-id="4"][data-reuse-count="1"]')
          .waitFor({ timeout: TIMEOUT });
        const after = await sameAs(first, second, 'both pages follow the run the same way');
        assert.match(after.retired.at(-1) ?? '', /^#3\b.*served 2/s);

        assert.deepEqual(errors, [], 'no errors in the first page');
        assert.deepEqual(secondErrors, [], 'no errors in the late page');
      },
    );
  });
});
