/**
 * Compare two runs, end to end: two real sessions of `demo:counter` through `poolscope serve … --ui`
 * (max reuse 1, then 128), each exported from its dashboard as a recording (a real download), both
 * opened in the Compare view; then charts exported as SVG and PNG (real downloads, checked as
 * files), and axe on the Compare view. Needs a built dashboard (POOLSCOPE_DASHBOARD_DIR or
 * renderer/dist).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { severe, runAxe } from './support/axe.ts';
import { ARTIFACTS, getSequential, openDashboard, startWebMode, TIMEOUT, useBrowser } from './support/dashboard.ts';

const browser = useBrowser();
const REQUESTS = 8;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Clicks `control` and returns the download it starts: its suggested name and bytes. */
async function download(page: Page, control: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), control.click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

/** Opens an Export menu and clicks one format of one item in it. */
async function exportFrom(page: Page, menu: string, item: string, format: 'png' | 'svg') {
  await page.locator(`[data-testid="${menu}"] > summary`).click();
  return download(page, page.locator(`[data-testid="export-${item}-${format}"]`));
}

/** Whether the page's own XML parser reads the text as an SVG document without error. */
async function parsesAsSvg(page: Page, text: string): Promise<boolean> {
  return page.evaluate((svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return doc.querySelector('parsererror') === null && doc.documentElement.localName === 'svg';
  }, text);
}

function assertPng(bytes: Buffer): { width: number; height: number } {
  assert.ok(bytes.length > PNG_SIGNATURE.length, 'a PNG with content');
  assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE, 'the PNG signature');
  assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Runs demo:counter with a max reuse, sends REQUESTS sequential requests, exports the recording. */
async function recordRun(reuse: number, done: (page: Page) => Promise<void>): Promise<string> {
  const web = await startWebMode('demo:counter', [
    '--max-instance-reuse-count',
    String(reuse),
    // Instances stay until the page has shown them (a busy machine may take a while).
    '--idle-instance-timeout',
    '60s',
  ]);
  try {
    const { page } = await openDashboard(browser(), web.dashboardUrl);
    const bodies = await getSequential(web.serviceUrl, '/', REQUESTS);
    assert.ok(bodies.every((r) => r.status === 200));
    await done(page); // every instance exit is on the page, so in the recording
    const file = `${ARTIFACTS}compare-counter-reuse${reuse}.poolscope.json`;
    const { bytes } = await download(page, page.locator('[data-testid="recording-export"]'));
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(file, bytes);
    await page.context().close();
    return file;
  } finally {
    assert.equal(await web.stop(), 0, `poolscope exits cleanly:\n${web.stderr()}`);
  }
}

describe('compare two runs, and export charts (web mode)', { timeout: 600_000 }, () => {
  it('max reuse 1 against 128: the knob change and instances started 8 → 1; charts and the timeline export as SVG and PNG', async () => {
    // Run A: reuse 1, every request on a fresh instance that then drains.
    const fileA = await recordRun(1, (page) =>
      page
        .waitForFunction(
          (n) => document.querySelectorAll('[data-testid="retired-card"][data-exit-cause="drained"]').length >= n,
          REQUESTS,
          { timeout: TIMEOUT },
        )
        .then(() => undefined),
    );
    // Run B: reuse 128, one instance serves all (still live when exported).
    const fileB = await recordRun(128, (page) =>
      page.locator(`[data-testid="worker-card"][data-reuse-count="${REQUESTS}"]`).waitFor({ timeout: TIMEOUT }),
    );

    const web = await startWebMode('demo:counter', [
      '--max-instance-reuse-count',
      '128',
      '--idle-instance-timeout',
      '60s',
      '--max-request-body-size',
      '1KiB',
    ]);
    try {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      await getSequential(web.serviceUrl, '/', 3);
      await page.locator('[data-testid="worker-card"][data-reuse-count="3"]').waitFor({ timeout: TIMEOUT });
      // One failure in the live run, of a kind the recorded runs lack: refused for its body.
      const refused = await fetch(web.serviceUrl, { method: 'POST', body: 'x'.repeat(4096) });
      await refused.arrayBuffer();
      assert.equal(refused.status, 413);
      await page.locator('[data-testid="failed-count"]', { hasText: '1' }).waitFor({ timeout: TIMEOUT });

      await page.locator('[data-testid="compare-open"]').click();
      const view = page.locator('[data-testid="compare-view"]');
      await view.locator('h2', { hasText: 'Compare two runs' }).waitFor({ timeout: TIMEOUT });

      // A bad file is refused with the parser's precise message, on its side.
      await view.locator('[data-testid="compare-file-a"]').setInputFiles({
        name: 'cut.poolscope.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify({ format: 'poolscope-recording', version: 1, exportedAt: 'yesterday' })),
      });
      const error = view.locator('[data-testid="compare-error-a"]');
      await error.waitFor({ timeout: TIMEOUT });
      assert.match(await error.innerText(), /^Could not open cut\.poolscope\.json: invalid recording: exportedAt: /);

      await view.locator('[data-testid="compare-file-a"]').setInputFiles(fileA);
      await view.locator('[data-testid="compare-file-b"]').setInputFiles(fileB);
      await error.waitFor({ state: 'detached', timeout: TIMEOUT });
      const changes = view.locator('[data-testid="compare-knob-changes"]');
      await changes.waitFor({ timeout: TIMEOUT });
      assert.match(await changes.innerText(), /Max reuse: 1 → 128/);
      assert.equal(
        await view
          .locator('[data-testid="compare-knobs"] tr[data-knob="maxInstanceReuseCount"]')
          .getAttribute('data-changed'),
        'true',
      );
      assert.equal(
        await view.locator('[data-testid="compare-knobs"] tr[data-changed="true"]').count(),
        1,
        'only the reuse knob differs',
      );
      const row = (metric: string) => view.locator(`[data-testid="compare-summary"] tr[data-metric="${metric}"]`);
      const started = await row('started').evaluate((tr) => [tr.getAttribute('data-a'), tr.getAttribute('data-b')]);
      assert.deepEqual(started, [String(REQUESTS), '1'], 'reuse 1 starts an instance per request; 128 starts one');
      assert.deepEqual(
        await row('completed').evaluate((tr) => [tr.getAttribute('data-a'), tr.getAttribute('data-b')]),
        [String(REQUESTS), String(REQUESTS)],
      );
      assert.match(await row('started').innerText(), /−7/);
      // The legend names each file.
      assert.equal(
        await view.locator('[data-testid="compare-side-a"]').getAttribute('data-label'),
        fileA.split('/').at(-1),
      );

      await page.screenshot({ path: `${ARTIFACTS}compare-view.png` });
      // axe: the Compare view (a modal dialog: the page behind it is inert).
      assert.deepEqual(severe(await runAxe(page)), [], 'axe on the Compare view');
      await page.emulateMedia({ colorScheme: 'dark' });
      assert.deepEqual(severe(await runAxe(page)), [], 'axe on the Compare view, dark theme');
      await page.screenshot({ path: `${ARTIFACTS}compare-view-dark.png` });

      // A compare chart as SVG: it parses, has both runs' lines (B dashed), its axis label and the legend.
      const svg = await exportFrom(page, 'compare-export-started', 'compare-started', 'svg');
      assert.match(svg.name, /^poolscope-compare-started-.*\.svg$/);
      const svgText = svg.bytes.toString('utf8');
      assert.ok(await parsesAsSvg(page, svgText), 'the SVG parses');
      const curves = svgText.match(/<path[^>]*class="recharts-curve recharts-line-curve"[^>]*>/g) ?? [];
      assert.equal(curves.length, 2, 'a line for A and one for B');
      assert.ok(
        curves.every((c) => / d="M[\d.]+/.test(c)),
        'each line is drawn',
      );
      assert.ok(
        curves.some((c) => /stroke-dasharray(="|:\s*)6[ ,]+3/.test(c)),
        'B dashed',
      );
      assert.match(svgText, /s since recording start/);
      assert.ok(svgText.includes(`A: ${fileA.split('/').at(-1)}`), 'the legend names file A');
      // And as PNG.
      const png = await exportFrom(page, 'compare-export-started', 'compare-started', 'png');
      assert.match(png.name, /\.png$/);
      writeFileSync(`${ARTIFACTS}compare-started.png`, png.bytes);
      writeFileSync(`${ARTIFACTS}compare-started.svg`, svg.bytes);
      const size = assertPng(png.bytes);
      assert.ok(size.width > 100 && size.height > 100, `a chart-sized image (${size.width}×${size.height})`);

      // The live run as A: this run started one instance.
      await view.locator('[data-testid="compare-live-a"]').click();
      await view.locator('[data-testid="compare-side-a"][data-label="live run"]').waitFor({ timeout: TIMEOUT });
      await row('started').and(page.locator('[data-a="1"]')).waitFor({ timeout: TIMEOUT });

      // The failures chart singles out a kind either run had: the live run's refused request.
      const failedChart = view.locator('[data-testid="compare-chart-failed"]');
      const kinds = failedChart.getByRole('group', { name: 'Failure kind' });
      assert.deepEqual(await kinds.getByRole('button').allInnerTexts(), ['all', 'refused']);
      await kinds.getByRole('button', { name: 'refused' }).click();
      await failedChart.and(page.locator('[data-kind="refused"]')).waitFor({ timeout: TIMEOUT });
      assert.equal(await failedChart.locator('figcaption > span').innerText(), 'Failed requests per second: refused');
      const refusedSvg = await exportFrom(page, 'compare-export-failed', 'compare-failed-refused', 'svg');
      assert.match(refusedSvg.name, /^poolscope-compare-failed-refused-.*\.svg$/);
      assert.ok(await parsesAsSvg(page, refusedSvg.bytes.toString('utf8')));
      // The menu closes once its export is done: the Escape below is for the dialog.
      await view.locator('[data-testid="compare-export-failed"]:not([open])').waitFor({ timeout: TIMEOUT });

      await page.keyboard.press('Escape');
      await view.locator('h2').waitFor({ state: 'detached', timeout: TIMEOUT });

      // The Pool panel's menu lists its charts; Escape closes it, back on its button.
      const menu = page.locator('[data-testid="charts-export"]');
      await menu.locator('summary').click();
      await menu.getByRole('button', { name: 'Export Requests / s as SVG' }).waitFor({ timeout: TIMEOUT });
      await page.screenshot({ path: `${ARTIFACTS}charts-export-menu.png` });
      await page.keyboard.press('Escape');
      await menu.and(page.locator(':not([open])')).waitFor({ timeout: TIMEOUT });
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
        'Export a pool chart',
      );

      // A live chart and the timeline, each as PNG and SVG.
      const livePng = await exportFrom(page, 'charts-export', 'chart-rps', 'png');
      assertPng(livePng.bytes);
      const liveSvg = await exportFrom(page, 'charts-export', 'chart-rps', 'svg');
      assert.ok(await parsesAsSvg(page, liveSvg.bytes.toString('utf8')));
      assert.match(liveSvg.bytes.toString('utf8'), /<path[^>]*class="chart-line"[^>]* d="M[\d.]+/);
      assert.match(liveSvg.bytes.toString('utf8'), /<text[^>]*>completed<\/text>/, 'the legend names its series');
      const timelinePng = await exportFrom(page, 'timeline-export', 'timeline', 'png');
      assertPng(timelinePng.bytes);
      writeFileSync(`${ARTIFACTS}timeline-export.png`, timelinePng.bytes);
      writeFileSync(`${ARTIFACTS}chart-rps-export.png`, livePng.bytes);
      const timelineSvg = (await exportFrom(page, 'timeline-export', 'timeline', 'svg')).bytes.toString('utf8');
      assert.ok(await parsesAsSvg(page, timelineSvg));
      assert.match(timelineSvg, /<image [^>]*href="data:image\/png;base64,/, 'the timeline is embedded as its pixels');

      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      assert.equal(await web.stop(), 0, `poolscope exits cleanly:\n${web.stderr()}`);
    }
  });
});
