/**
 * The dashboard end to end: `poolscope serve … --ui` as a child process, the built dashboard in
 * headless Chromium, real requests to the guest over loopback. Needs `renderer/dist` (build first).
 * Screenshots (light and dark) go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  chartsShowRequests,
  getSequential,
  openDashboard,
  screenshot,
  useBrowser,
  withWebMode,
  TIMEOUT,
} from './support/dashboard.ts';

const browser = useBrowser();

const workerCards = (page: Page) => page.locator('[data-testid="worker-card"]');
const retired = (page: Page, instanceId: number) =>
  page.locator(`[data-testid="retired-card"][data-instance-id="${instanceId}"]`);
const ids = async (page: Page, selector: string): Promise<number[]> =>
  (
    await page.locator(selector).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-instance-id'))))
  ).sort((a, b) => a - b);

describe('dashboard (web mode)', { timeout: 600_000 }, () => {
  it('counter with reuse 128: ten requests, one card with reuse count 10; max reuse 1 makes new instances and retires the old one as drained', async () => {
    // A long idle timeout keeps instance 0 alive while the test looks at it and changes the knob.
    await withWebMode(
      'demo:counter',
      ['--max-instance-reuse-count', '128', '--idle-instance-timeout', '60s'],
      async (web) => {
        const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
        await page.locator('[data-testid="component-info"]', { hasText: 'counter' }).waitFor();
        assert.match(await page.locator('[data-testid="listen-address"]').innerText(), /^127\.0\.0\.1:\d+$/);

        const bodies = await getSequential(web.serviceUrl, '/', 10);
        assert.deepEqual(
          bodies.map((b) => b.body.trim()),
          Array.from({ length: 10 }, (_, i) => `count=${i + 1}`),
        );
        await page.locator('[data-testid="worker-card"][data-reuse-count="10"]').waitFor({ timeout: TIMEOUT });
        assert.equal(await workerCards(page).count(), 1, 'exactly one live instance');
        const card = workerCards(page).first();
        assert.equal(await card.getAttribute('data-instance-id'), '0');
        assert.match(await card.locator('[data-testid="reuse-count"]').innerText(), /^10\s*\/\s*128$/);
        // The executor thread hosting the instance, as a chip coloured per executor.
        const executor = await card.getAttribute('data-executor');
        assert.match(executor ?? '', /^\d+$/);
        assert.equal(await card.locator('[data-testid="executor-chip"]').innerText(), `E${executor}`);
        await chartsShowRequests(page);
        await screenshot(page, 'dashboard-counter-light');

        // Inline validation with the engine's own message; nothing is sent.
        const reuse = page.locator('#knob-maxInstanceReuseCount');
        await reuse.fill('0');
        await page
          .locator('[data-testid="knob-maxInstanceReuseCount"] [data-testid="knob-error"]', {
            hasText: 'max-instance-reuse-count must be at least 1 (0 would let no instance serve anything)',
          })
          .waitFor();
        await reuse.fill('1');
        await reuse.press('Enter');
        await page
          .locator('[data-testid="knob-maxInstanceReuseCount"] .knob-state-applied')
          .waitFor({ timeout: TIMEOUT });

        const after = await getSequential(web.serviceUrl, '/', 3);
        assert.deepEqual(
          after.map((b) => b.body.trim()),
          ['count=1', 'count=1', 'count=1'],
          'every request now gets a fresh instance',
        );
        await retired(page, 0).waitFor({ timeout: TIMEOUT });
        assert.equal(await retired(page, 0).getAttribute('data-exit-cause'), 'drained');
        assert.equal(await retired(page, 0).getAttribute('data-served'), '10');
        // Three new instances, each retired as drained after serving one request.
        await page
          .locator('[data-testid="retired-card"][data-exit-cause="drained"][data-served="1"]')
          .nth(2)
          .waitFor({ timeout: TIMEOUT });
        const seen = [
          ...(await ids(page, '[data-testid="worker-card"]')),
          ...(await ids(page, '[data-testid="retired-card"]')),
        ];
        assert.deepEqual(
          seen.filter((id) => id !== 0),
          [1, 2, 3],
        );
        assert.deepEqual(errors, [], 'no console errors (CSP violations included)');

        await page.emulateMedia({ colorScheme: 'dark' });
        await screenshot(page, 'dashboard-counter-reuse1-dark');
      },
    );
  });

  it('spin with a request timeout: the request shows as timed out, its instance as retired by the watchdog', async () => {
    // A timeout far above the quick request's 1 ms: on a starved machine the quick one must still
    // finish in time (the stuck one times out whatever the timeout).
    await withWebMode(
      'demo:spin',
      ['--request-timeout', '2s', '--max-instance-reuse-count', '8', '--idle-instance-timeout', '30s'],
      async (web) => {
        const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'dark');
        const [quick] = await getSequential(web.serviceUrl, '/?ms=1', 1);
        assert.equal(quick!.status, 200);
        const [spun] = await getSequential(web.serviceUrl, '/', 1);
        assert.equal(spun!.status, 500);

        const failed = page.locator('[data-testid="request-failed"]');
        await failed.first().waitFor({ timeout: TIMEOUT });
        assert.equal(await failed.count(), 1);
        assert.equal(await failed.first().getAttribute('data-kind'), 'timeout');
        assert.equal(await failed.first().getAttribute('data-request-id'), '1');
        assert.equal(await failed.first().getAttribute('data-instance-id'), '0');
        assert.match(await failed.first().innerText(), /guest timed out/);
        assert.equal(await page.locator('[data-testid="failed-count"]').innerText(), '1');

        await retired(page, 0).waitFor({ timeout: TIMEOUT });
        assert.equal(await retired(page, 0).getAttribute('data-exit-cause'), 'watchdog');
        assert.match(await retired(page, 0).innerText(), /watchdog/);
        assert.equal(await workerCards(page).count(), 0, 'the killed instance is no longer live');

        // A request id in the failed list opens its story; the story's "Its events" filters the
        // event log down to that request.
        await failed.first().locator('button').first().click();
        const panel = page.locator('[data-testid="request-panel"]');
        await panel.waitFor({ timeout: TIMEOUT });
        assert.match(await page.locator('[data-testid="request-panel-title"]').innerText(), /r1\b/);
        await panel.getByRole('button', { name: 'Its events' }).click();
        await page.locator('[data-testid="request-panel-close"]').click();
        const rows = page.locator('[data-testid="log-row"]');
        await page.locator('[data-testid="log-row"][data-type="request.failed"]').waitFor();
        const requestIds = await rows.evaluateAll((els) => [
          ...new Set(els.map((el) => el.getAttribute('data-request-id'))),
        ]);
        assert.deepEqual(requestIds, ['1']);

        // The next request gets a fresh instance.
        const [next] = await getSequential(web.serviceUrl, '/?ms=1', 1);
        assert.equal(next!.status, 200);
        await page.locator('[data-testid="worker-card"][data-instance-id="1"]').waitFor({ timeout: TIMEOUT });
        await chartsShowRequests(page);
        await screenshot(page, 'dashboard-spin-timeout-dark');

        // The theme toggle overrides the system preference.
        const toggle = page.locator('[data-testid="theme-toggle"]');
        while ((await toggle.getAttribute('data-theme-preference')) !== 'light') await toggle.click();
        assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(background, 'rgb(255, 255, 255)');
        await screenshot(page, 'dashboard-spin-timeout-light');
        assert.deepEqual(errors, []);
      },
    );
  });

  it('refuses a wrong token: 403 for the page, the WebSocket is rejected', async () => {
    await withWebMode('demo:hello', [], async (web) => {
      const wrong = new URL(web.dashboardUrl);
      wrong.searchParams.set('token', 'not-the-token');
      assert.equal((await fetch(wrong)).status, 403);
      const none = new URL(web.dashboardUrl);
      none.search = '';
      assert.equal((await fetch(none)).status, 403);

      const page = await (await browser().newContext()).newPage();
      const response = await page.goto(wrong.href);
      assert.equal(response?.status(), 403);
      assert.equal(await page.locator('#root').count(), 0, 'no dashboard served');

      const host = new URL(web.dashboardUrl).host;
      const outcome = (token: string) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://${host}/bridge?token=${encodeURIComponent(token)}`);
          ws.onopen = () => {
            ws.onmessage = (e) => {
              resolve(`open:${(JSON.parse(String(e.data)) as { kind: string }).kind}`);
              ws.close();
            };
          };
          ws.onerror = () => resolve('rejected');
        });
      assert.equal(await outcome('not-the-token'), 'rejected');
      assert.equal(await outcome(''), 'rejected');
      assert.equal(await outcome(web.token), 'open:snapshot', 'the right token connects and gets a snapshot first');

      // From the page itself too: the bridge refuses a socket without the page's token.
      const { page: good } = await openDashboard(browser(), web.dashboardUrl);
      const fromPage = await good.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('rejected');
          }),
        `ws://${host}/bridge?token=wrong`,
      );
      assert.equal(fromPage, 'rejected');
    });
  });

  it('stop, start and load from the header: history is kept while stopped, a new pool starts afresh', async () => {
    await withWebMode(
      'demo:counter',
      ['--max-instance-reuse-count', '128', '--idle-instance-timeout', '60s'],
      async (web) => {
        const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
        await getSequential(web.serviceUrl, '/', 2);
        await page.locator('[data-testid="worker-card"][data-reuse-count="2"]').waitFor({ timeout: TIMEOUT });

        await page.locator('[data-testid="serve-toggle"]').click();
        await page.locator('[data-testid="serving-state"][data-serving="false"]').waitFor({ timeout: TIMEOUT });
        await retired(page, 0).waitFor({ timeout: TIMEOUT });
        assert.equal(await retired(page, 0).getAttribute('data-served'), '2');
        assert.match(
          await page.locator('[data-testid="component-info"]').innerText(),
          /counter/,
          'still names the stopped component',
        );

        await page.locator('[data-testid="serve-toggle"]').click();
        await page.locator('[data-testid="serving-state"][data-serving="true"]').waitFor({ timeout: TIMEOUT });
        await page.locator('[data-testid="retired-card"]').first().waitFor({ state: 'detached', timeout: TIMEOUT });
        const address = await page.locator('[data-testid="listen-address"]').innerText();
        const [first] = await getSequential(`http://${address}/`, '/', 1);
        assert.equal(first!.body.trim(), 'count=1');
        await page
          .locator('[data-testid="worker-card"][data-instance-id="0"][data-reuse-count="1"]')
          .waitFor({ timeout: TIMEOUT });

        await page.locator('[data-testid="component-picker"] select').selectOption('demo:hello');
        await page.locator('[data-testid="component-info"]', { hasText: 'hello' }).waitFor({ timeout: TIMEOUT });
        await page.locator('[data-testid="serving-state"][data-serving="true"]').waitFor({ timeout: TIMEOUT });
        assert.equal(await workerCards(page).count(), 0, 'the old pool is gone');
        const helloAddress = await page.locator('[data-testid="listen-address"]').innerText();
        const [hello] = await getSequential(`http://${helloAddress}/`, '/', 1);
        assert.equal(hello!.body.trim(), 'Hello, WASI!');
        await page.locator('[data-testid="worker-card"][data-instance-id="0"]').waitFor({ timeout: TIMEOUT });

        // A bad path is refused with the engine's message, and the current component keeps serving.
        await page.getByLabel('Component path').fill('/nonexistent/thing.wasm');
        await page.getByRole('button', { name: 'Load' }).click();
        await page.locator('.picker-error').waitFor({ timeout: TIMEOUT });
        assert.match(await page.locator('[data-testid="component-info"]').innerText(), /hello/);
        // The engine's problem notice says it to every dashboard, until something serves again.
        const problem = page.locator('[data-testid="engine-problem"]');
        await problem.waitFor({ timeout: TIMEOUT });
        assert.match(await problem.innerText(), /could not load \/nonexistent\/thing\.wasm: /);
        await page.locator('[data-testid="component-picker"] select').selectOption('demo:counter');
        await page.locator('[data-testid="component-info"]', { hasText: 'counter' }).waitFor({ timeout: TIMEOUT });
        await problem.waitFor({ state: 'detached', timeout: TIMEOUT });
        assert.deepEqual(errors, []);
      },
    );
  });

  it('send requests: count and concurrency go to the load generator; progress is shown', async () => {
    await withWebMode('demo:counter', ['--max-instance-reuse-count', '5'], async (web) => {
      const { page } = await openDashboard(browser(), web.dashboardUrl);
      const panel = page.locator('[data-testid="load-panel"]');
      await panel.getByLabel('Request count').fill('20');
      await panel.getByLabel('Concurrency').fill('2');
      await panel.getByRole('button', { name: 'Send' }).click();
      const outcome = await Promise.race([
        page
          .locator('[data-testid="load-progress"][data-finished="true"]')
          .waitFor({ timeout: TIMEOUT })
          .then(() => 'done'),
        panel
          .locator('.form-error')
          .waitFor({ timeout: TIMEOUT })
          .then(() => 'error'),
      ]);
      // The load generator is part of every build: its absence is a failure, like any refusal.
      if (outcome === 'error')
        assert.fail(`the engine refused the load: ${await panel.locator('.form-error').innerText()}`);
      assert.equal(await page.locator('[data-testid="load-progress"]').getAttribute('data-done'), '20');
      await page.locator('[data-testid="retired-card"][data-served="5"]').nth(2).waitFor({ timeout: TIMEOUT });
      await screenshot(page, 'dashboard-load-light');
    });
  });
});
