/**
 * Gauges and panels that tell the truth (issue 16, §3), in real Chromium against
 * `poolscope serve … --ui`: the load panel breaks its errors down and links each kind to the
 * requests behind it; losing the engine shows a banner, disables the controls and fails a knob
 * edit with a message; a replayed recording never looks live; the charts' axes carry units.
 * Every wait is on the page's state; no test asserts a duration.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  chartsShowRequests,
  getSequential,
  openDashboard,
  startWebMode,
  TIMEOUT,
  useBrowser,
  withWebMode,
} from './support/dashboard.ts';

const browser = useBrowser();

const OLDER_RECORDING = fileURLToPath(new URL('../renderer/src/model/fixtures/older-recording.json', import.meta.url));

/** Sends a run from the load panel and waits until its last progress arrived. */
async function sendLoad(
  page: Page,
  run: { count: number; concurrency: number; path: string; timeoutSec: number },
): Promise<void> {
  const panel = page.locator('[data-testid="load-panel"]');
  await panel.getByLabel('Request count').fill(String(run.count));
  await panel.getByLabel('Concurrency').fill(String(run.concurrency));
  await panel.getByLabel('Path').fill(run.path);
  await panel.getByLabel('Client timeout in seconds').fill(String(run.timeoutSec));
  await panel.locator('button[type="submit"]').click();
  await panel
    .locator(`[data-testid="load-progress"][data-finished="true"][data-done="${run.count}"]`)
    .waitFor({ timeout: TIMEOUT });
  await panel.locator('button[type="submit"]:not([disabled])').waitFor({ timeout: TIMEOUT });
}

async function setKnob(page: Page, key: string, value: string): Promise<void> {
  const knob = page.locator(`[data-testid="knob-${key}"]`);
  await knob.locator('input').fill(value);
  await knob.locator('input').press('Enter');
  await knob.locator('.knob-state-applied').waitFor({ timeout: TIMEOUT });
}

/** The event log's rows as shown: type, request id and text. */
async function logRows(page: Page): Promise<Array<{ type: string; requestId: string | null; text: string }>> {
  return page.locator('[data-testid="log-row"]').evaluateAll((rows) =>
    rows.map((row) => ({
      type: row.getAttribute('data-type') ?? '',
      requestId: row.getAttribute('data-request-id'),
      text: row.textContent ?? '',
    })),
  );
}

describe('gauges that tell the truth (web mode)', { timeout: 600_000 }, () => {
  it('a load run breaks its errors down, and each kind links to the requests behind it', async () => {
    // demo:sleep without `?ms` sleeps forever. Two runs, each with one outcome whatever the
    // machine's speed: (1) nobody answers, so every request is a client timeout; (2) the engine's
    // request timeout (1 s) answers each with 500 long before the client's (30 s) would give up.
    // One run mixing both would hang on which of two timers fires first.
    await withWebMode('demo:sleep', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      const panel = page.locator('[data-testid="load-panel"]');

      await sendLoad(page, { count: 2, concurrency: 2, path: '/', timeoutSec: 1 });
      assert.equal(await panel.locator('[data-testid="load-errors"]').innerText(), '2');
      const timeouts = panel.locator('[data-testid="load-breakdown-row"][data-kind="timeout"]');
      assert.equal(await timeouts.getAttribute('data-count'), '2');
      assert.match(await timeouts.innerText(), /client timeouts\s+2/);
      assert.match(await timeouts.innerText(), /gave up after 1\.00s/);
      assert.equal(await panel.locator('[data-testid="load-breakdown-row"][data-kind="status"]').count(), 0);
      // Its instances still sleep, drained (max reuse 1): each card says since when and why.
      await page
        .locator('[data-testid="card-state"]', { hasText: /^draining [\d.]+m?s — cause: max reuse reached$/ })
        .first()
        .waitFor({ timeout: TIMEOUT });
      // The engine's side: each client that gave up is a client-gone failure.
      await page
        .locator('[data-testid="failed-kind"][data-kind="client-gone"]', { hasText: '2' })
        .waitFor({ timeout: TIMEOUT });

      await panel.locator('[data-testid="load-show-timeouts"]').click();
      await page.locator('[data-testid="log-requests-filter"]').waitFor({ timeout: TIMEOUT });
      assert.match(await page.locator('[data-testid="log-requests-filter"]').innerText(), /client-gone/);
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="log-row"][data-type="request.failed"]').length === 2,
        null,
        { timeout: TIMEOUT },
      );
      const timedOut = await logRows(page);
      const failedRows = timedOut.filter((r) => r.type === 'request.failed');
      assert.equal(failedRows.length, 2, JSON.stringify(timedOut));
      assert.ok(failedRows.every((r) => r.text.includes('client-gone')));
      const timedOutIds = new Set(failedRows.map((r) => r.requestId));
      assert.ok(
        timedOut.every((r) => r.requestId !== null && timedOutIds.has(r.requestId)),
        'only the events of those requests',
      );
      assert.ok(
        timedOut.some((r) => r.type === 'request.received'),
        'their whole story, not only the failure',
      );

      await setKnob(page, 'requestTimeoutMs', '1s');
      await sendLoad(page, { count: 2, concurrency: 2, path: '/', timeoutSec: 30 });
      assert.equal(await panel.locator('[data-testid="load-errors"]').innerText(), '0');
      const status = panel.locator('[data-testid="load-breakdown-row"][data-kind="status"]');
      assert.equal(await status.count(), 1);
      assert.match(await status.innerText(), /500\s+×2/);
      await status.locator('[data-testid="load-show-status"][data-status="500"]').click();
      await page
        .locator('[data-testid="log-requests-filter"]', { hasText: 'requests answered 500' })
        .waitFor({ timeout: TIMEOUT });
      // The run's last progress can reach the page before the batch with the engine's events.
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="log-row"][data-type="request.failed"]').length === 2,
        null,
        { timeout: TIMEOUT },
      );
      const answered500 = await logRows(page);
      const expired = answered500.filter((r) => r.type === 'request.failed');
      assert.equal(expired.length, 2, JSON.stringify(answered500));
      assert.ok(
        expired.every((r) => r.text.includes('timeout')),
        'the engine timed them out, and answered 500',
      );
      assert.ok(answered500.every((r) => r.requestId !== null && !timedOutIds.has(r.requestId)));

      await page.locator('[data-testid="log-requests-filter"]').click();
      await page.locator('[data-testid="log-requests-filter"]').waitFor({ state: 'detached', timeout: TIMEOUT });
      // The first run's guests sleep until their drain deadline (10 s after their client left)
      // kills them; stopping before would wait on them and exit 1.
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="worker-card"]').length === 0, null, {
        timeout: TIMEOUT,
      });
      assert.deepEqual(errors, []);
    });
  });

  it('losing the engine shows a banner, disables the controls, and a knob edit fails with a message', async () => {
    const web = await startWebMode('demo:hello');
    try {
      const { page } = await openDashboard(browser(), web.dashboardUrl);
      assert.equal(await page.locator('[data-testid="connection-banner"]').count(), 0);
      await page.locator('[data-testid="serving-state"][data-state="serving"]').waitFor({ timeout: TIMEOUT });

      web.child.kill('SIGKILL');
      const banner = page.locator('[data-testid="connection-banner"]');
      await banner.waitFor({ timeout: TIMEOUT });
      assert.match(await banner.innerText(), /Disconnected from the engine — reconnecting…/);
      await page.locator('[data-testid="serving-state"][data-state="unknown"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('[data-testid="serving-state"]').innerText(), 'Not connected');
      assert.equal(await page.locator('.conn-live').count(), 0, 'no green live dot');
      assert.ok(await page.locator('[data-testid="serve-toggle"]').isDisabled());
      assert.ok(await page.locator('[data-testid="load-panel"] button[type="submit"]').isDisabled());
      assert.ok(await page.locator('[data-testid="scenario-panel"] button').first().isDisabled());

      // A knob edit is refused at once, with a message, instead of waiting on `…` for a reconnect.
      const knob = page.locator('[data-testid="knob-maxInstanceReuseCount"]');
      await knob.locator('input').fill('4');
      await knob.locator('input').press('Enter');
      await knob.locator('[data-testid="knob-error"]').waitFor({ timeout: TIMEOUT });
      assert.match(await knob.locator('[data-testid="knob-error"]').innerText(), /Not connected to the engine/);
      assert.notEqual(await knob.locator('.knob-state').innerText(), '…');
      assert.equal(await knob.locator('input').inputValue(), '4', 'the typed value is kept, to apply later');

      // Retry tries at once rather than at the end of the backoff.
      const attempts = Number(await banner.getAttribute('data-attempts'));
      await page.locator('[data-testid="connection-retry"]').click();
      await page.waitForFunction(
        (before) =>
          Number(document.querySelector('[data-testid="connection-banner"]')?.getAttribute('data-attempts')) > before,
        attempts,
        { timeout: TIMEOUT },
      );
    } finally {
      await web.stop();
    }
  });

  it('a replayed recording never looks live; chart axes and headlines carry units', async () => {
    await withWebMode('demo:hello', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      await getSequential(web.serviceUrl, '/', 5);
      await chartsShowRequests(page);
      await page.locator('[data-testid="serving-state"][data-state="serving"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('[data-testid="connection-status"]').getAttribute('data-shown'), 'live');

      // Units: latency ticks in µs/ms/s (never `60k`), rates per second, a legend and a y unit on each.
      await page.locator('[data-testid="chart-latency"] .chart-y-tick').first().waitFor({ timeout: TIMEOUT });
      // Each tick whole inside the chart (a label wider than the 44 px axis would be cut at the
      // left edge), its number and unit read with a plain space.
      const ticks = async (chart: string): Promise<string[]> =>
        page
          .locator(`[data-testid="${chart}"] .chart-y-tick`)
          .evaluateAll((labels) =>
            labels.map((label) =>
              label instanceof SVGTextElement && label.getBBox().x < 0
                ? `cut: ${label.textContent}`
                : (label.textContent ?? '').replaceAll('\u00a0', ' '),
            ),
          );
      const latencyTicks = await ticks('chart-latency');
      assert.ok(latencyTicks.length > 1, JSON.stringify(latencyTicks));
      assert.ok(
        latencyTicks.every((t) => /^(0|[\d.]+ (µs|ms|s|min))$/.test(t)),
        JSON.stringify(latencyTicks),
      );
      assert.ok(latencyTicks.some((t) => t !== '0'));
      const rateTicks = await ticks('chart-rps');
      assert.ok(
        rateTicks.every((t) => /^(0|[\d.]+k?\/s)$/.test(t)),
        JSON.stringify(rateTicks),
      );
      // The keyboard steps a readout through the seconds: End is the last one, ArrowLeft the one before.
      const plot = page.locator('[data-testid="chart-rps"] .chart-surface');
      await plot.focus();
      await page.keyboard.press('End');
      const readout = page.locator('[data-testid="chart-rps"] [data-testid="chart-tip"]');
      const lastSecond = await readout.innerText();
      assert.match(lastSecond, /^t = (\d+)–\d+ s\ncompleted: (0|[\d.]+k?\/s)\nfailed: /);
      // The cursor stays on its second while the window slides on each second.
      await page.keyboard.press('ArrowLeft');
      const before = Number(/^t = (\d+)/.exec(await readout.innerText())?.[1]);
      assert.equal(before, Number(/^t = (\d+)/.exec(lastSecond)?.[1]) - 1, 'ArrowLeft steps one second back');
      await page.keyboard.press('Escape');
      assert.equal(await readout.innerText(), '', 'Escape clears the readout');
      for (const chart of ['chart-rps', 'chart-latency', 'chart-live', 'chart-queue', 'chart-inflight']) {
        const figure = page.locator(`[data-testid="${chart}"]`);
        assert.ok((await figure.locator('[data-testid="mini-legend"] li').count()) >= 2, `${chart} has a legend`);
        assert.match(await figure.locator('[data-testid="mini-unit"]').innerText(), /^y: \w/);
        assert.notEqual(await figure.locator('[data-testid="mini-value-what"]').innerText(), '');
      }
      // demo:hello at max reuse 1: five instances came and went; the window's peak shows beside the gauge now.
      assert.match(
        await page.locator('[data-testid="chart-live"] [data-testid="mini-value-what"]').innerText(),
        /^now · peak \d+ in window$/,
      );
      assert.match(
        await page.locator('[data-testid="chart-rps"] [data-testid="mini-value-what"]').innerText(),
        /^last full second · peak \d+\/s in window$/,
      );

      // The recording was made while serving; replayed, the header says it is a replay.
      await page.locator('[data-testid="recording-file-input"]').setInputFiles(OLDER_RECORDING);
      await page.locator('[data-testid="replay-bar"]').waitFor({ timeout: TIMEOUT });
      const pill = page.locator('[data-testid="serving-state"]');
      await page.locator('[data-testid="serving-state"][data-state="replay"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await pill.innerText(), 'Replay of older-recording.json');
      assert.equal(await page.locator('[data-testid="connection-status"]').getAttribute('data-shown'), 'replay');
      assert.equal(await page.locator('.pill-serving, .conn-live').count(), 0, 'no Serving pill, no live dot');
      assert.ok(!(await page.locator('.app-header').innerText()).includes('Serving'));
      assert.ok(!(await page.locator('[data-testid="replay-exit"]').innerText()).includes('●'), 'no dot on it either');

      await page.locator('[data-testid="replay-exit"]').click();
      await page.locator('[data-testid="serving-state"][data-state="serving"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('[data-testid="connection-status"]').getAttribute('data-shown'), 'live');
      assert.deepEqual(errors, []);
    });
  });
});
