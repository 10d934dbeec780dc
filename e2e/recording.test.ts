/**
 * Session recordings end to end: real traffic through `poolscope serve … --ui`, the recording
 * exported from the dashboard (a real download), opened in a fresh page, and replayed there with
 * the scrubber. Needs `renderer/dist` (build first). The recording goes to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  ARTIFACTS,
  getSequential,
  openDashboard,
  screenshot,
  startWebMode,
  useBrowser,
  TIMEOUT,
} from './support/dashboard.ts';

const browser = useBrowser();

interface Shown {
  cards: Array<{ id: number; reuse: number }>;
  retired: Array<{ id: number; served: number; cause: string }>;
  logTotal: number;
}

/** What the instances panel and the event log show. */
async function shown(page: Page): Promise<Shown> {
  const cards = await page.locator('[data-testid="worker-card"]').evaluateAll((els) =>
    els.map((el) => ({
      id: Number(el.getAttribute('data-instance-id')),
      reuse: Number(el.getAttribute('data-reuse-count')),
    })),
  );
  const retired = await page.locator('[data-testid="retired-card"]').evaluateAll((els) =>
    els.map((el) => ({
      id: Number(el.getAttribute('data-instance-id')),
      served: Number(el.getAttribute('data-served')),
      cause: el.getAttribute('data-exit-cause') ?? '',
    })),
  );
  const meta = await page.locator('[data-testid="event-log"] .panel-meta').innerText();
  return {
    cards: cards.sort((a, b) => a.id - b.id),
    retired: retired.sort((a, b) => a.id - b.id),
    logTotal: Number(/(\d+) total/.exec(meta)?.[1] ?? NaN),
  };
}

async function setReuse(page: Page, value: string): Promise<void> {
  const knob = page.locator('[data-testid="knob-maxInstanceReuseCount"]');
  await knob.locator('.knob-state-applied').waitFor({ state: 'detached', timeout: TIMEOUT }); // not the previous change's tick
  await knob.locator('input').fill(value);
  await knob.locator('input').press('Enter');
  await knob.locator('.knob-state-applied').waitFor({ timeout: TIMEOUT });
}

/** Moves the range input the way a drag does: a new value, then an `input` event. */
async function scrubTo(page: Page, offsetMs: number): Promise<void> {
  await page.locator('[data-testid="replay-scrubber"]').evaluate((el, value) => {
    const input = el as HTMLInputElement;
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, String(value));
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, offsetMs);
}

const bar = (page: Page) => page.locator('[data-testid="replay-bar"]');

describe('session recordings (web mode)', { timeout: 600_000 }, () => {
  it('export a session, open it in a fresh page: the same end state, and the scrubber goes back in time', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const eventsFile = `${ARTIFACTS}recording-events.jsonl`;
    const web = await startWebMode('demo:counter', [
      '--max-instance-reuse-count',
      '128',
      '--idle-instance-timeout',
      '60s',
      '--events',
      eventsFile,
    ]);
    try {
      const { page: live, errors } = await openDashboard(browser(), web.dashboardUrl);

      // Twenty requests on one instance; reuse 1 retires it and three one-shot instances; back to
      // 128, one instance serves five.
      const first = await getSequential(web.serviceUrl, '/', 20);
      assert.equal(first.at(-1)!.body.trim(), 'count=20');
      await live
        .locator('[data-testid="worker-card"][data-instance-id="0"][data-reuse-count="20"]')
        .waitFor({ timeout: TIMEOUT });
      await setReuse(live, '1');
      await getSequential(web.serviceUrl, '/', 3);
      await live
        .locator('[data-testid="retired-card"][data-exit-cause="drained"][data-served="1"]')
        .nth(2)
        .waitFor({ timeout: TIMEOUT });
      await setReuse(live, '128');
      const last = await getSequential(web.serviceUrl, '/', 5);
      assert.deepEqual(
        last.map((r) => r.body.trim()),
        ['count=1', 'count=2', 'count=3', 'count=4', 'count=5'],
      );
      await live
        .locator('[data-testid="worker-card"][data-instance-id="4"][data-reuse-count="5"]')
        .waitFor({ timeout: TIMEOUT });
      await live.locator('[data-testid="retired-card"][data-instance-id="0"]').waitFor({ timeout: TIMEOUT });

      // What the live dashboard shows, once the last batches are in (the total stops moving).
      const exportButton = live.locator('[data-testid="recording-export"]');
      let before: Shown;
      for (;;) {
        before = await shown(live);
        await live.waitForTimeout(300);
        if ((await shown(live)).logTotal === before.logTotal) break;
      }
      assert.deepEqual(before.cards, [{ id: 4, reuse: 5 }]);
      assert.deepEqual(before.retired, [
        { id: 0, served: 20, cause: 'drained' },
        { id: 1, served: 1, cause: 'drained' },
        { id: 2, served: 1, cause: 'drained' },
        { id: 3, served: 1, cause: 'drained' },
      ]);
      assert.equal(
        await exportButton.getAttribute('data-event-count'),
        String(before.logTotal),
        'everything the log got is recorded',
      );

      const [download] = await Promise.all([live.waitForEvent('download'), exportButton.click()]);
      assert.match(
        download.suggestedFilename(),
        /^poolscope-demo-counter-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.poolscope\.json$/,
      );
      const file = `${ARTIFACTS}recording-counter.poolscope.json`;
      await download.saveAs(file);
      const recording = JSON.parse(readFileSync(file, 'utf8')) as {
        format: string;
        eventCount: number;
        startT: number;
        endT: number;
        messages: Array<{
          message?: {
            kind: string;
            events?: Array<{ type: string; t: number; instanceId?: number; reuseCount?: number }>;
          };
        }>;
      };
      assert.equal(recording.format, 'poolscope-recording');
      assert.equal(recording.eventCount, before.logTotal);
      assert.deepEqual(errors, [], 'no console errors on the live page');

      // A fresh page: live first (instance 4 only), then the file.
      const { page, errors: freshErrors } = await openDashboard(browser(), web.dashboardUrl);
      await page.locator('[data-testid="worker-card"][data-instance-id="4"]').waitFor({ timeout: TIMEOUT });
      const input = page.locator('[data-testid="recording-file-input"]');
      await input.setInputFiles({
        name: 'notes.json',
        mimeType: 'application/json',
        buffer: Buffer.from('{"hello":"world"}'),
      });
      await page
        .locator('[data-testid="notice"]', { hasText: 'Could not open notes.json: not a Poolscope recording' })
        .waitFor({ timeout: TIMEOUT });
      assert.equal(await bar(page).count(), 0, 'a wrong file does not leave live mode');

      await input.setInputFiles(file);
      await bar(page).waitFor({ timeout: TIMEOUT });
      assert.equal(
        await page.locator('[data-testid="notice"]').count(),
        0,
        'opening a recording clears the old notice',
      );
      assert.match(await bar(page).innerText(), /Replaying recording-counter\.poolscope\.json — recorded /);
      assert.equal(await bar(page).getAttribute('data-event-count'), String(recording.eventCount));
      assert.equal(await bar(page).getAttribute('data-events-applied'), String(recording.eventCount));
      assert.match(
        await page.locator('[data-testid="replay-events"]').innerText(),
        new RegExp(`^${recording.eventCount} of ${recording.eventCount} events$`),
      );
      assert.deepEqual(
        await shown(page),
        before,
        'at the end: the same cards, reuse counts, retired instances and event total as live',
      );
      await screenshot(page, 'recording-replay-end');

      // The start: the page had just opened, nothing had been served.
      const scrubber = page.locator('[data-testid="replay-scrubber"]');
      await scrubber.focus();
      await scrubber.press('Home');
      await page.locator('[data-testid="replay-bar"][data-position="0"]').waitFor({ timeout: TIMEOUT });
      const atStart = await shown(page);
      assert.deepEqual(atStart.cards, []);
      assert.deepEqual(atStart.retired, []);
      assert.ok(atStart.logTotal < before.logTotal);
      assert.match(await page.locator('[data-testid="replay-offset"]').innerText(), /^0\.000 s \/ \d+\.\d{3} s$/);

      // Just after instance 0 accepted its tenth request: one card, reuse count 10.
      const accepted = recording.messages
        .flatMap((m) => (m.message?.kind === 'events' ? m.message.events! : []))
        .find((e) => e.type === 'request.accepted' && e.instanceId === 0 && e.reuseCount === 10)!;
      // A hair after it: (t - startT) + startT need not come back to exactly t in floating point.
      await scrubTo(page, accepted.t - recording.startT + 0.01);
      await page
        .locator('[data-testid="worker-card"][data-instance-id="0"][data-reuse-count="10"]')
        .waitFor({ timeout: TIMEOUT });
      const atTen = await shown(page);
      assert.deepEqual(atTen.cards, [{ id: 0, reuse: 10 }]);
      assert.deepEqual(atTen.retired, []);

      // Play from the start at 16×: it runs to the end and stops there.
      await page.locator('[data-testid="replay-speed-16"]').click();
      await scrubber.press('Home');
      await page.locator('[data-testid="replay-play"]').click();
      await page.locator('[data-testid="replay-bar"][data-playing="true"]').waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="replay-bar"][data-playing="false"]').waitFor({ timeout: 60_000 });
      assert.equal(await bar(page).getAttribute('data-events-applied'), String(recording.eventCount));
      assert.deepEqual(await shown(page), before, 'played to the end: the end state again');

      // Live messages keep arriving (and being recorded) without changing what the replay shows.
      const recordedBefore = Number(
        await page.locator('[data-testid="recording-export"]').getAttribute('data-event-count'),
      );
      const [more] = await getSequential(web.serviceUrl, '/', 1);
      assert.equal(more!.body.trim(), 'count=6');
      await page.waitForFunction(
        (n) => Number(document.querySelector('[data-testid="recording-export"]')?.getAttribute('data-event-count')) > n,
        recordedBefore,
        { timeout: TIMEOUT },
      );
      assert.deepEqual(await shown(page), before);

      // Nothing can change the engine while replaying: its controls are disabled (and the store
      // refuses commands anyway, see replay-slice.test.ts).
      assert.equal(await page.locator('[data-testid="serve-toggle"]').isDisabled(), true);
      for (const control of [
        '[data-testid="knob-maxInstanceReuseCount"] input',
        '[data-testid="load-panel"] button[type="submit"]',
        '[data-testid="run-scenario-state-leaks"]',
        '[data-testid="component-picker"] select',
      ]) {
        assert.equal(await page.locator(control).isDisabled(), true, `${control} is disabled while replaying`);
      }

      // Back to live: the live dashboard as it is now.
      await page.locator('[data-testid="replay-exit"]').click();
      await bar(page).waitFor({ state: 'detached', timeout: TIMEOUT });
      await page
        .locator('[data-testid="worker-card"][data-instance-id="4"][data-reuse-count="6"]')
        .waitFor({ timeout: TIMEOUT });
      // Opened late, this page's live history came from the engine's: the run's retired instances.
      assert.deepEqual((await shown(page)).retired, before.retired, 'the live history is the run from its start');
      const [still] = await getSequential(web.serviceUrl, '/', 1);
      assert.equal(still!.body.trim(), 'count=7', 'nothing reached the engine while replaying');

      // An `--events` file opens too, from an empty dashboard.
      const lines = readFileSync(eventsFile, 'utf8');
      await input.setInputFiles({
        name: 'recording-events.jsonl',
        mimeType: 'application/x-ndjson',
        buffer: Buffer.from(lines),
      });
      await bar(page).waitFor({ timeout: TIMEOUT });
      assert.equal(await bar(page).getAttribute('data-event-count'), String(lines.trim().split('\n').length));
      assert.match(await bar(page).innerText(), /Replaying recording-events\.jsonl — event stream, saved /);
      await page
        .locator('[data-testid="retired-card"][data-instance-id="0"][data-served="20"]')
        .waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="replay-exit"]').click();
      assert.deepEqual(freshErrors, [], 'no console errors on the replaying page');
    } finally {
      assert.equal(await web.stop(), 0, `poolscope exits cleanly:\n${web.stderr()}`);
    }
  });
});
