/**
 * The desktop app end to end, with Playwright's Electron driver: start the app as npm start does
 * (the bundled main process, electron/build/main/main.mjs; no component: it opens demo:counter
 * with reuse 128), send three requests to the address it
 * serves, and watch the worker card count them. Also checks, in the running app, the effects of
 * what the unit tests check with fakes: the page sees the bridge and no Node, the CSP blocks the
 * network, the Demos menu lists the demos.
 *
 * Needs Electron's binary (and, on Linux, a display: run under `xvfb-run`); where either is
 * missing the test reports itself skipped, with the reason.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { _electron } from 'playwright-core';
import type { BridgeClient, Snapshot } from '../protocol/bridge.ts';
import { buildPreload, ensureRendererBuilt, RENDERER_INDEX } from './build.ts';
import { ensureMainProcessBuilt, MAIN_BUNDLE } from './bundle-main.ts';
import { locateElectronBinary } from './electron-binary.ts';

const ROOT = join(import.meta.dirname, '..');
const TIMEOUT = 30_000;

describe('desktop app (Electron)', { timeout: 180_000 }, () => {
  it('opens the counter demo; three requests show as reuse count 3 on its worker card', async (t) => {
    const binary = locateElectronBinary();
    if (!binary.found) {
      t.skip(`Electron binary not installed: ${binary.reason}`);
      return;
    }
    if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
      t.skip('no display to open a window on (DISPLAY is unset): run under xvfb-run');
      return;
    }
    ensureRendererBuilt((line) => t.diagnostic(line));
    if (!existsSync(RENDERER_INDEX)) {
      t.skip('the dashboard (renderer/dist) is not built and could not be built');
      return;
    }
    await ensureMainProcessBuilt((line) => t.diagnostic(line));
    await buildPreload();

    const userData = mkdtempSync(join(tmpdir(), 'poolscope-e2e-'));
    const app = await _electron.launch({
      args: [MAIN_BUNDLE, '--addr', '127.0.0.1:0'],
      cwd: ROOT,
      env: { ...process.env, POOLSCOPE_USER_DATA: userData },
      timeout: 60_000,
    });
    let logs = '';
    app.process().stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    try {
      const page = await app.firstWindow();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });

      await page.locator('[data-testid="component-info"]', { hasText: 'counter' }).waitFor({ timeout: 60_000 });

      // The page sees the bridge, and no Node or Electron.
      const view = await page.evaluate(() => {
        const w = window as unknown as Record<string, unknown>;
        return {
          api: Object.keys((w.poolscope as object | undefined) ?? {}).sort(),
          require: typeof w.require,
          process: typeof w.process,
        };
      });
      assert.deepEqual(view, { api: ['close', 'send', 'subscribe'], require: 'undefined', process: 'undefined' });

      const snapshot = (await page.evaluate(() =>
        (window as unknown as { poolscope: BridgeClient }).poolscope.send({ type: 'snapshot' }),
      )) as Snapshot;
      assert.equal(snapshot.component?.spec, 'demo:counter');
      assert.equal(snapshot.knobs.maxInstanceReuseCount, 128);
      const served = snapshot.listenUrl!;
      const bodies: string[] = [];
      for (let i = 0; i < 3; i++) bodies.push((await (await fetch(served)).text()).trim());
      assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3']);
      await page.locator('[data-testid="worker-card"][data-reuse-count="3"]').waitFor({ timeout: TIMEOUT });

      mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test-artifacts', 'electron-counter.png') });
      assert.deepEqual(errors, [], 'no errors in the page');

      // The CSP is in force: no network from the page.
      const fetched = await page.evaluate(async () => {
        try {
          await fetch('https://example.com/');
          return 'fetched';
        } catch {
          return 'blocked';
        }
      });
      assert.equal(fetched, 'blocked');

      // The Demos menu lists the engine's demos.
      const demos = await app.evaluate(
        ({ Menu }) =>
          Menu.getApplicationMenu()
            ?.items.find((item) => item.label.replace('&', '') === 'Demos')
            ?.submenu?.items.map((item) => item.label) ?? [],
      );
      assert.ok(demos.includes('counter'), `Demos menu: ${demos.join(', ')}`);
    } catch (error) {
      t.diagnostic(`main process output:\n${logs}`);
      throw error;
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
