/**
 * Leak findings and memory growth in the dashboard, end to end: `poolscope serve … --ui` as a
 * child process, the built dashboard in headless Chromium, real requests to the guest. Leak
 * detection is turned on from the dashboard itself. Needs `renderer/dist` (build first).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  getSequential,
  nextTimelineFrames,
  openDashboard,
  screenshot,
  useBrowser,
  withWebMode,
  TIMEOUT,
} from './support/dashboard.ts';

const KEEP_ONE_INSTANCE = ['--max-instance-reuse-count', '50', '--idle-instance-timeout', '60s'];

const browser = useBrowser();

const card = (page: Page, instanceId: number) =>
  page.locator(`[data-testid="worker-card"][data-instance-id="${instanceId}"]`);
const count = (page: Page, name: string, value: number) =>
  page.locator(`[data-testid="leak-count-${name}"][data-value="${value}"]`);

/** The timeline's leak markers as drawn in its last frame: request id → centre on the canvas. */
async function leakMarkers(page: Page): Promise<Map<number, { x: number; y: number }>> {
  const text = (await page.locator('[data-testid="timeline-canvas"]').getAttribute('data-leak-points')) ?? '';
  const markers = new Map<number, { x: number; y: number }>();
  for (const token of text.split(' ').filter(Boolean)) {
    const [id, x, y] = token.split(':').map(Number);
    markers.set(id!, { x: x!, y: y! });
  }
  return markers;
}

describe('leak findings and memory growth (web mode)', { timeout: 600_000 }, () => {
  it('counter: leak detection turned on from the dashboard finds every reused answer; badge, timeline marker and diff show it', async () => {
    await withWebMode('demo:counter', KEEP_ONE_INSTANCE, async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
      await page.setViewportSize({ width: 1280, height: 800 });

      await page.locator('[data-testid="tab-leaks"]').click();
      const controls = page.locator('[data-testid="leak-controls"]');
      assert.equal(await controls.getAttribute('data-mode'), 'off');
      await page.locator('[data-testid="leak-mode-all"]').click();
      // The mode shown is what the engine replied and broadcast, not a local guess.
      await page.locator('[data-testid="leak-controls"][data-mode="all"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('[data-testid="leak-mode-all"]').getAttribute('aria-pressed'), 'true');

      // One request at a time, each next one after the previous replay's verdict (replays are bounded, so a busy one would be skipped).
      const bodies: string[] = [];
      for (let i = 1; i <= 4; i++) {
        const [answer] = await getSequential(web.serviceUrl, '/', 1);
        bodies.push(answer!.body.trim());
        if (i >= 2) await count(page, 'checked', i - 1).waitFor({ timeout: TIMEOUT });
      }
      assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3', 'count=4']);
      await count(page, 'leaks', 3).waitFor();
      assert.equal(await page.locator('[data-testid="leak-count-same"]').getAttribute('data-value'), '0');
      assert.equal(await page.locator('[data-testid="leak-count-skipped"]').getAttribute('data-value'), '0');
      assert.equal(await page.locator('[data-testid="tab-leaks-count"]').innerText(), '⚠ 3');

      // The card's badge counts them and opens that instance's findings.
      const badge = card(page, 0).locator('[data-testid="leak-badge"]');
      await badge.waitFor({ timeout: TIMEOUT });
      assert.equal(await badge.getAttribute('data-count'), '3');
      assert.equal(await badge.innerText(), '⚠ 3 leaks in 3 checked');
      assert.equal(await badge.getAttribute('data-checked'), '3');
      assert.equal(
        await page.locator('[data-testid="leak-coverage"]').innerText(),
        'checked 3 of 3 reused answers',
        'said where the findings are, not only in a tooltip',
      );
      await page.locator('[data-testid="tab-events"]').click();
      await badge.click();
      await page.locator('[data-testid="leak-filter"][data-instance-id="0"]').waitFor();
      const findings = page.locator('[data-testid="leak-finding"]');
      assert.deepEqual(
        await findings.evaluateAll((els) =>
          els.map((el) => [el.getAttribute('data-request-id'), el.getAttribute('data-instance-id')]),
        ),
        [
          ['3', '0'],
          ['2', '0'],
          ['1', '0'],
        ],
      );

      // The timeline marks the three bars; hovering one shows its finding, clicking opens its diff.
      const canvas = page.locator('[data-testid="timeline-canvas"]');
      await page
        .locator(
          '[data-testid="timeline-canvas"][data-leak-requests~="1"][data-leak-requests~="2"][data-leak-requests~="3"]',
        )
        .waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="timeline-follow"]').click(); // pause, so the bars stay where they are
      await nextTimelineFrames(page);
      const marker = (await leakMarkers(page)).get(1);
      assert.ok(marker, 'request 1 has a marker');
      await canvas.hover({ position: marker });
      const tip = page.locator('[data-testid="timeline-leak-tip"]');
      await tip.waitFor({ timeout: TIMEOUT });
      assert.match(await tip.innerText(), /body: "count=2" ≠ "count=1"/);
      await canvas.click({ position: marker });
      // The click opens the request's own panel (its whole story) too, over the diff: close it.
      const requestPanel = page.locator('[data-testid="request-panel"][data-request-id="1"]');
      await requestPanel.waitFor({ timeout: TIMEOUT });
      await requestPanel.locator('[data-testid="request-panel-close"]').click();
      await requestPanel.waitFor({ state: 'detached', timeout: TIMEOUT });

      const diff = page.locator('[data-testid="leak-diff"]');
      await diff.waitFor({ timeout: TIMEOUT });
      assert.equal(await diff.getAttribute('data-request-id'), '1');
      assert.equal(await diff.getAttribute('data-instance-id'), '0');
      assert.match(
        await page.locator('[data-testid="leak-diff-where"]').innerText(),
        /instance #0 as its 2nd request \(reuse #2\)/,
      );
      const row = diff.locator('[data-testid="leak-difference"]');
      assert.equal(await row.count(), 1);
      assert.equal(await row.getAttribute('data-what'), 'body');
      assert.equal(await row.locator('[data-testid="diff-reused"]').innerText(), 'count=2');
      assert.equal(await row.locator('[data-testid="diff-fresh"]').innerText(), 'count=1');
      // The request as it was replayed, folded away until asked for.
      const request = diff.locator('[data-testid="leak-diff-request"]');
      assert.match(await request.locator('summary').innerText(), /^The request, as replayed: \d+ headers, no body$/);
      await request.locator('summary').click();
      assert.equal(await request.locator('dt', { hasText: /^host$/ }).count(), 1);
      await request.locator('summary').click(); // folded again, for the screenshot
      await page.mouse.move(0, 0);
      await screenshot(page, 'leaks-diff-light');

      // Back to the list: opened from the timeline, it shows every instance's findings.
      await page.locator('[data-testid="leak-diff-close"]').click();
      await findings.first().waitFor();
      assert.equal(await page.locator('[data-testid="leak-filter"]').count(), 0);
      assert.equal(await findings.count(), 3);

      await page.emulateMedia({ colorScheme: 'dark' });
      await findings.first().click();
      await diff.waitFor();
      assert.equal(await diff.getAttribute('data-request-id'), '3');
      assert.equal(await diff.locator('[data-testid="diff-reused"]').innerText(), 'count=4');
      await screenshot(page, 'leaks-diff-dark');
      assert.deepEqual(errors, [], 'no console errors (CSP violations included)');
    });
  });

  it('8 sequential requests back to back: every reused answer is checked (the replay queue), and the panel and badge say so', async () => {
    await withWebMode('demo:counter', [...KEEP_ONE_INSTANCE, '--leak-check', 'all'], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
      await page.setViewportSize({ width: 1280, height: 800 });
      // No waiting for verdicts between requests: answers that find the one replay slot busy queue.
      const answers = await getSequential(web.serviceUrl, '/', 8);
      assert.deepEqual(
        answers.map((a) => a.body.trim()),
        ['count=1', 'count=2', 'count=3', 'count=4', 'count=5', 'count=6', 'count=7', 'count=8'],
      );
      await page.locator('[data-testid="tab-leaks"]').click();
      const coverage = page.locator('[data-testid="leak-coverage"][data-checked="7"][data-of="7"]');
      await coverage.waitFor({ timeout: TIMEOUT });
      assert.equal(await coverage.innerText(), 'checked 7 of 7 reused answers');
      assert.equal(await coverage.getAttribute('data-skipped'), '0');
      await count(page, 'leaks', 7).waitFor();
      const badge = card(page, 0).locator('[data-testid="leak-badge"]');
      assert.equal(await badge.innerText(), '⚠ 7 leaks in 7 checked');
      await screenshot(page, 'leaks-coverage-light');
      assert.deepEqual(errors, [], 'no console errors');
    });
  });

  it('works-once: a reused instance that fails where a fresh one answers shows as failed on reuse, in the list and the diff', async () => {
    await withWebMode('demo:works-once', KEEP_ONE_INSTANCE, async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.locator('[data-testid="tab-leaks"]').click();
      await page.locator('[data-testid="leak-mode-all"]').click();
      await page.locator('[data-testid="leak-controls"][data-mode="all"]').waitFor({ timeout: TIMEOUT });

      const answers = await getSequential(web.serviceUrl, '/', 2);
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 500],
      );
      await count(page, 'checked', 1).waitFor({ timeout: TIMEOUT });
      await count(page, 'leaks', 1).waitFor();
      await count(page, 'failed-on-reuse', 1).waitFor();
      assert.equal(await page.locator('[data-testid="leak-count-same"]').getAttribute('data-value'), '0');

      const finding = page.locator('[data-testid="leak-finding"]');
      assert.equal(await finding.count(), 1);
      assert.equal(await finding.getAttribute('data-kind'), 'failed-on-reuse');
      assert.equal(await finding.getAttribute('data-request-id'), '1');
      assert.equal(await finding.locator('[data-testid="leak-finding-kind"]').innerText(), 'failed on reuse');

      await finding.click();
      const diff = page.locator('[data-testid="leak-diff"]');
      await diff.waitFor({ timeout: TIMEOUT });
      assert.equal(await diff.getAttribute('data-kind'), 'failed-on-reuse');
      assert.match(
        await page.locator('[data-testid="leak-diff-where"]').innerText(),
        /^Failed by instance #0 as its 2nd request \(reuse #2\); replayed on a fresh instance in .+, which answered it\.$/,
      );
      const failure = await page.locator('[data-testid="leak-diff-failure"]').innerText();
      assert.match(failure, /failed on reuse\s+failed \(trap\): .*wasm trap: wasm `unreachable` instruction executed$/);
      const row = diff.locator('[data-testid="leak-difference"]');
      assert.equal(await row.count(), 1);
      assert.equal(await row.getAttribute('data-what'), 'outcome');
      assert.match(await row.locator('[data-testid="diff-reused"]').innerText(), /^failed \(trap\): /);
      assert.equal(await row.locator('[data-testid="diff-fresh"]').innerText(), '200');
      await screenshot(page, 'leaks-failed-on-reuse-light');
      assert.deepEqual(errors, [], 'no console errors');
    });
  });

  it('grow: the card warns that memory grows ~64 KiB/request and draws the growth', async () => {
    await withWebMode('demo:grow', KEEP_ONE_INSTANCE, async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
      await page.setViewportSize({ width: 1280, height: 800 });
      const answers = await getSequential(web.serviceUrl, '/', 10);
      assert.ok(answers.every((a) => a.status === 200));

      const badge = card(page, 0).locator('[data-testid="memory-growth-badge"]');
      await badge.waitFor({ timeout: TIMEOUT });
      assert.equal(await badge.getAttribute('data-bytes-per-request'), String(64 * 1024));
      assert.equal(await badge.innerText(), '⚠ memory grows ~64 KiB/request');
      // One measurement at instantiation, then one per request (memory changed after each); the
      // last one 64 KiB × 11 (one page at start).
      const sparkline = card(page, 0).locator('[data-testid="memory-sparkline"][data-points="11"]');
      await sparkline.waitFor({ timeout: TIMEOUT });
      assert.equal(await sparkline.getAttribute('data-last-bytes'), String(11 * 64 * 1024));

      await page.locator('[data-testid="tab-leaks"]').click();
      const warning = page.locator('[data-testid="memory-growth-warning"][data-instance-id="0"]');
      await warning.waitFor();
      assert.match(await warning.innerText(), /#0\s+grows ~64 KiB\/request \(256 KiB → 576 KiB over 5 requests\)/);
      assert.equal(
        await card(page, 0).locator('[data-testid="leak-badge"]').count(),
        0,
        'no leak findings: detection is off',
      );
      await screenshot(page, 'leaks-memory-growth-light');
      assert.deepEqual(errors, []);
    });
  });

  it("an invalid sample rate shows the engine's message inline and changes nothing; the engine refuses it too", async () => {
    await withWebMode('demo:counter', KEEP_ONE_INSTANCE, async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
      await page.locator('[data-testid="tab-leaks"]').click();
      const controls = page.locator('[data-testid="leak-controls"]');
      await controls.waitFor();
      assert.equal(await controls.getAttribute('data-sample-rate'), '0.1');

      const rate = page.locator('#leak-sampleRate');
      await rate.fill('2');
      const error = page.locator('[data-testid="leak-error"]');
      await error.waitFor();
      assert.equal(await error.innerText(), 'sample rate must be at most 1 (1 replays every reused answer)');
      assert.equal(await rate.getAttribute('aria-invalid'), 'true');
      await rate.press('Enter');
      await rate.blur();
      assert.equal(
        await error.innerText(),
        'sample rate must be at most 1 (1 replays every reused answer)',
        'still refused',
      );
      assert.equal(await controls.getAttribute('data-sample-rate'), '0.1');

      // The same patch sent to the engine directly is refused with the same message.
      const host = new URL(web.dashboardUrl).host;
      const reply = await page.evaluate(
        (url) =>
          new Promise<unknown>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () =>
              ws.send(JSON.stringify({ id: 7, command: { type: 'setLeakDetection', patch: { sampleRate: 2 } } }));
            ws.onmessage = (e) => {
              const message = JSON.parse(String(e.data)) as { kind: string };
              if (message.kind === 'reply') {
                resolve(message);
                ws.close();
              }
            };
          }),
        `ws://${host}/bridge?token=${encodeURIComponent(web.token)}`,
      );
      const refused = reply as { kind: string; ok: boolean; error: string };
      assert.equal(refused.ok, false);
      assert.match(refused.error, /sample rate must be at most 1 \(1 replays every reused answer\)$/);

      // A fresh page gets the engine's settings: unchanged.
      await page.reload();
      await page.locator('.app[data-ready="true"]').waitFor();
      await page.locator('[data-testid="tab-leaks"]').click();
      await controls.waitFor();
      assert.equal(await controls.getAttribute('data-sample-rate'), '0.1');
      assert.equal(await controls.getAttribute('data-mode'), 'off');
      assert.equal(await page.locator('#leak-sampleRate').inputValue(), '0.1');

      // A valid one applies (a percentage, as the CLI takes).
      await page.locator('#leak-sampleRate').fill('25%');
      await page.locator('#leak-sampleRate').press('Enter');
      await page.locator('[data-testid="leak-controls"][data-sample-rate="0.25"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('[data-testid="leak-error"]').count(), 0);
      assert.deepEqual(errors, []);
    });
  });
});
