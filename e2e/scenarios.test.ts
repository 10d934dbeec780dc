/**
 * Teaching scenarios end to end: each of the five runs to its end from the dashboard (web mode,
 * quick runs), against the real engine and real guests, with its captions and its phases side by
 * side; and `poolscope demo <scenario>` starts when the dashboard opens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  openDashboard,
  screenshot,
  startDemoMode,
  startWebMode,
  useBrowser,
  type WebMode,
} from './support/dashboard.ts';

const SCENARIO_TIMEOUT = 240_000;

const browser = useBrowser();

/** The comparison table as { row label: [value per phase] }, and the phase labels. */
async function results(page: Page): Promise<{ phases: string[]; rows: Record<string, string[]> }> {
  const table = page.locator('[data-testid="scenario-results"]');
  const phases = await table.locator('thead th[scope="col"]').allInnerTexts();
  const rows: Record<string, string[]> = {};
  for (const row of await table.locator('tbody tr').all()) {
    rows[(await row.getAttribute('data-row'))!] = await row.locator('td').allInnerTexts();
  }
  return { phases, rows };
}

/**
 * Runs one scenario from its Run button (quick) and waits for it to finish; returns every caption
 * it showed, in order, as a MutationObserver in the page saw them (none is missed between looks).
 */
async function runToEnd(page: Page, name: string): Promise<string[]> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { scenarioCaptions: string[] }).scenarioCaptions = seen;
    let started = false;
    const record = (): void => {
      const state = document.querySelector('[data-testid="scenario-banner"]')?.getAttribute('data-state');
      if (!started && state !== 'running') return; // the last run's banner, until this one starts
      started = true;
      const caption =
        (document.querySelector('[data-testid="scenario-caption"]') as HTMLElement | null)?.innerText ?? '';
      if (seen.at(-1) !== caption) seen.push(caption);
      // One progress message sets the state and its caption together: the one that ends the run is the last.
      if (state !== 'running') observer.disconnect();
    };
    const observer = new MutationObserver(record);
    observer.observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['data-state'],
    });
  });
  await page.locator(`[data-testid="run-scenario-${name}"]`).click();
  await page.locator('[data-testid="scenario-banner"][data-state="running"]').waitFor({ timeout: 20_000 });
  const banner = page.locator('[data-testid="scenario-banner"]:not([data-state="running"])');
  await banner.waitFor({ timeout: SCENARIO_TIMEOUT });
  const captions = await page.evaluate(() => (window as unknown as { scenarioCaptions: string[] }).scenarioCaptions);
  assert.equal(await banner.getAttribute('data-state'), 'finished', `scenario ${name} ended: ${captions.at(-1)}`);
  return captions;
}

describe('teaching scenarios (web mode)', { timeout: 600_000 }, () => {
  let web: WebMode;
  let page: Page;
  let errors: string[];
  before(async () => {
    web = await startWebMode('demo:hello', []);
    ({ page, errors } = await openDashboard(browser(), web.dashboardUrl));
    await page.locator('[data-testid="scenario-quick"]').check();
  });
  after(async () => {
    assert.deepEqual(errors, [], 'no console errors');
    assert.equal(await web.stop(), 0, web.stderr());
  });

  it('fresh vs reused: reuse 1 starts an instance per request, reuse 128 a handful', async () => {
    const captions = await runToEnd(page, 'fresh-vs-reused');
    assert.match(captions[0]!, /max-instance-reuse-count 1/);
    assert.match(
      captions.at(-1)!,
      /^Reuse answered [\d.]+× the requests per second, starting \d+ instances instead of \d+/,
    );
    const { phases, rows } = await results(page);
    assert.deepEqual(phases, ['reuse 1', 'reuse 128']);
    const [fresh, reused] = rows['instances started']!.map(Number);
    assert.ok(fresh! > reused!, `instances started: ${fresh} with reuse 1, ${reused} with reuse 128`);
    assert.equal(rows['failed']!.join(), '0,0');
  });

  it('state leaks: the detector flags every reused answer of the counter, none without reuse', async () => {
    const captions = await runToEnd(page, 'state-leaks');
    assert.ok(
      captions.some((c) => /^The detector flagged 5 of 5 reused answers/.test(c)),
      captions.join('\n'),
    );
    const { phases, rows } = await results(page);
    assert.deepEqual(phases, ['reuse 128', 'reuse 1']);
    assert.deepEqual(rows['leaks found'], ['5 of 5', '0']);
    // Each request waits for its leak replay, so a rate would compare the waits: none is shown.
    assert.equal(rows['requests / s'], undefined, 'no requests/s row');
    // The reuse-128 instance retires during the reuse-1 phase, but is not that phase's: not counted there.
    const started = rows['instances started']!.map(Number);
    const drained = (rows['drained'] ?? ['0', '0']).map(Number);
    assert.deepEqual(started, [1, 4]);
    assert.deepEqual(drained, [0, 4], 'drained never exceeds the instances of the phase');
    await screenshot(page, 'scenario-state-leaks');
  });

  it("timeouts: the waiting guest's request expires, the spinning guest is killed by the watchdog", async () => {
    await runToEnd(page, 'timeouts');
    const { phases, rows } = await results(page);
    assert.deepEqual(phases, ['WASIp3 expiry', 'WASIp2 watchdog']);
    assert.deepEqual(rows['timeouts'], ['1', '2']);
    assert.equal(rows['killed by the watchdog']![1], '2', 'one kill per spinning request');
    assert.deepEqual(rows['failed'], ['1', '2'], 'the fast requests beside the expired one were answered');
  });

  it('trap blast radius: concurrent reuse loses more requests to one trap than serial reuse', async () => {
    const captions = await runToEnd(page, 'trap-blast-radius');
    assert.match(
      captions.at(-1)!,
      /^Blast radius: \d+ failed requests under concurrent reuse against 1 under serial reuse/,
    );
    const { rows } = await results(page);
    const [concurrent, serial] = rows['failed']!.map(Number);
    assert.equal(serial, 1, 'serial reuse: only the trapping request fails');
    assert.ok(concurrent! > serial!, `failed: ${concurrent} concurrent vs ${serial} serial`);
  });

  it('I/O-bound concurrency: concurrent reuse needs fewer live instances', async () => {
    await runToEnd(page, 'io-concurrency');
    const { rows } = await results(page);
    const [concurrent, serial] = rows['live instances (avg)']!.map(Number);
    assert.ok(concurrent! < serial!, `live instances on average: ${concurrent} vs ${serial}`);
    await screenshot(page, 'scenario-io-concurrency');
  });

  it('engine commands are refused while a scenario runs, and Stop ends it', async () => {
    await page.locator('[data-testid="scenario-quick"]').uncheck();
    await page.locator('[data-testid="run-scenario-io-concurrency"]').click();
    await page.locator('[data-testid="scenario-banner"][data-state="running"]').waitFor();
    // Stopping (or starting) the server from the header would change the scenario's run: the
    // engine refuses it, and the dashboard shows the engine's own words.
    await page.locator('[data-testid="serve-toggle"]').click();
    const notice = page.locator('[data-testid="notice"]');
    await notice.waitFor();
    assert.equal(await notice.locator('span').innerText(), "the scenario 'io-concurrency' is running: stop it first");
    assert.equal(
      await page.locator('[data-testid="scenario-banner"]').getAttribute('data-state'),
      'running',
      'the refusal left the scenario running',
    );
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await page.locator('[data-testid="stop-scenario"]').click();
    await page.locator('[data-testid="scenario-banner"][data-state="stopped"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="scenario-quick"]').check();
  });
});

describe('poolscope demo <scenario>', { timeout: 600_000 }, () => {
  it('waits for the dashboard, then runs the scenario to its end and echoes the captions', async () => {
    const web = await startDemoMode('state-leaks', ['--quick']);
    try {
      assert.match(web.stderr(), /Open the dashboard to start the scenario/);
      assert.doesNotMatch(web.stderr(), /\[1\/5\]/, 'nothing runs before the audience arrives');
      const { page } = await openDashboard(browser(), web.dashboardUrl);
      await page
        .locator('[data-testid="scenario-banner"][data-state="finished"]')
        .waitFor({ timeout: SCENARIO_TIMEOUT });
      assert.deepEqual((await results(page)).rows['leaks found'], ['5 of 5', '0']);
      // The page hears of the end over its socket; the summary comes down a pipe, maybe later.
      await web.waitForStderr(/Scenario finished\./);
      assert.match(web.stderr(), /\[1\/5\] demo:counter keeps a counter/);
      // Where the scenario's guest listens is printed too (it has no address before the scenario loads it).
      assert.match(web.stderr(), /Scenario guest demo:counter on http:\/\/127\.0\.0\.1:\d+\//);
      assert.match(web.stderr(), /Scenario finished\./);
      await page.context().close();
    } finally {
      assert.equal(await web.stop(), 0, web.stderr());
    }
  });
});
