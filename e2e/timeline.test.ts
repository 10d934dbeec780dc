/**
 * The timeline end to end: `poolscope serve demo:p3-delay --ui` with concurrent reuse, real
 * requests over loopback, the built dashboard in headless Chromium. Enough instances that the
 * lanes scroll; every lane is reached by scrolling; zooming fixes the window and the charts
 * follow it; the keyboard moves a focus between requests and Enter selects; a click selects;
 * a brush and a drag set the window; Home goes back to live. One time base, labelled, in the
 * timeline, the charts and the event log. Needs a built dashboard (POOLSCOPE_DASHBOARD_DIR or
 * renderer/dist). Waits on what the page shows, never on a clock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  nextTimelineFrames,
  openDashboard,
  screenshot,
  TIMEOUT,
  useBrowser,
  withWebMode,
} from './support/dashboard.ts';

const browser = useBrowser();
const dir = mkdtempSync(join(tmpdir(), 'poolscope-timeline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 80 requests of 300 ms, 16 at a time: with reuse 4 and 4 at once per instance, about 20 instances, most running several at once. */
const REQUESTS = 80;
const AT_ONCE = 16;

async function load(serviceUrl: string): Promise<void> {
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < REQUESTS) {
      next++;
      const response = await fetch(new URL('/?ms=300', serviceUrl));
      assert.equal(response.status, 200, await response.text());
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, client));
}

/** The canvas's mirror of its last frame (see Timeline.tsx, exposeFrame). */
async function frame(canvas: Locator) {
  return canvas.evaluate((el: HTMLElement) => ({
    start: Number(el.dataset.viewStart),
    end: Number(el.dataset.viewEnd),
    lanes: (el.dataset.lanes ?? '').split(' ').filter(Boolean).map(Number),
    rows: (el.dataset.laneRows ?? '')
      .split(' ')
      .filter(Boolean)
      .map((t) => t.split(':').map(Number) as [number, number]),
    laneCount: Number(el.dataset.laneCount),
    focusedPoint: el.dataset.focusedPoint ?? '',
    width: el.clientWidth,
  }));
}

/** What the status line says of the focused request: its id, instance and time. */
async function focusedRequest(page: Page) {
  const text = await page.locator('[data-testid="timeline-focus"]').innerText();
  const m =
    /^Request #(\d+) GET \/\?ms=300 on instance (\d+) \(reuse #\d+\): 200 in [\d.]+m?s, t = (\d+\.\d{3}) s\./.exec(
      text,
    );
  assert.ok(m, `the focus is described: ${text}`);
  return { id: Number(m[1]), instance: Number(m[2]), tMs: Number(m[3]) * 1000 };
}

/** Waits until the timeline's focus (DOM attribute, status line and drawn point) is on a request other than `not`. */
async function focusMovedFrom(page: Page, not: number | null) {
  await page.waitForFunction(
    (previous) => {
      const lanes = document.querySelector('[data-testid="timeline-lanes"]') as HTMLElement | null;
      const canvas = document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement | null;
      const text = document.querySelector('[data-testid="timeline-focus"]')?.textContent ?? '';
      const id = lanes?.dataset.focusedRequest;
      return (
        id !== undefined &&
        id !== String(previous) &&
        text.startsWith(`Request #${id} `) &&
        (canvas?.dataset.focusedPoint ?? '').startsWith(`${id}:`)
      );
    },
    not,
    { timeout: TIMEOUT },
  );
  return focusedRequest(page);
}

/**
 * A selection opens the request panel (a side panel over the right of the page, focus in it):
 * Escape closes it, as a user would, so it covers no part of the timeline the test points at.
 */
async function closeRequestPanel(page: Page): Promise<void> {
  const panel = page.locator('.request-panel');
  if ((await panel.count()) === 0) return;
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached', timeout: TIMEOUT });
}

const PLOT_LEFT = 100; // scale.ts GUTTER
const PLOT_RIGHT = 12; // scale.ts RIGHT_PAD

describe('timeline (web mode)', { timeout: 600_000 }, () => {
  it('p3-delay with concurrent reuse: every lane reachable, zoom links the charts, keyboard and click select, brush, pan, back to live', async () => {
    const events = join(dir, 'events.jsonl');
    const flags = [
      '--max-instance-reuse-count',
      '4',
      '--max-instance-concurrent-reuse-count',
      '4',
      '--idle-instance-timeout',
      '120s',
      '--events',
      events,
    ];
    const lanesSeen = new Set<number>();
    /** Sub-rows of each lane, as drawn. */
    const rowsSeen = new Map<number, number>();
    await withWebMode('demo:p3-delay', flags, async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
      const canvas = page.locator('[data-testid="timeline-canvas"]');
      const lanes = page.locator('[data-testid="timeline-lanes"]');
      await page.getByRole('group', { name: 'Timeline window' }).getByRole('button', { name: '120s' }).click();

      // One time base, named on the timeline, the charts and the event log.
      assert.match(await page.locator('[data-testid="timeline-window"]').innerText(), /t \(s since engine start\)/);
      assert.match(
        await page.locator('[data-testid="charts-panel"] .panel-meta').innerText(),
        /t \(s since engine start\)/,
      );
      assert.equal(
        await page.locator('[data-testid="log-head"] abbr').getAttribute('title'),
        't (s since engine start)',
      );

      await load(web.serviceUrl);
      await page.waitForFunction(
        (n) =>
          (document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement | null)?.dataset.requestCount ===
          String(n),
        REQUESTS,
        { timeout: TIMEOUT },
      );
      const logTime = await page.locator('[data-testid="log-row"] .log-t').first().innerText();
      assert.match(logTime, /^\d+\.\d{3}$/, 'the log shows engine seconds to the millisecond');

      // The smallest height, so the lanes must scroll; the handle is a keyboard-reachable splitter.
      const handle = page.getByRole('separator', { name: 'Timeline height' });
      await handle.focus();
      await page.keyboard.press('Home');
      assert.equal(await handle.getAttribute('aria-valuenow'), '140');
      await page.waitForFunction(
        () => {
          const el = document.querySelector('[data-testid="timeline-lanes"]') as HTMLElement | null;
          return !!el && el.clientHeight <= 140 && el.scrollHeight > el.clientHeight;
        },
        undefined,
        { timeout: TIMEOUT },
      );
      await page.keyboard.press('ArrowDown');
      assert.equal(await handle.getAttribute('aria-valuenow'), '160');

      // Every lane is reached by scrolling down the lanes.
      const { laneCount } = await frame(canvas);
      const { scrollHeight, clientHeight } = await lanes.evaluate((el) => ({
        scrollHeight: el.scrollHeight,
        clientHeight: el.clientHeight,
      }));
      for (let top = 0; ; top += Math.floor(clientHeight / 2)) {
        await lanes.evaluate((el, y) => {
          el.scrollTop = y;
        }, top);
        await nextTimelineFrames(page);
        const seen = await frame(canvas);
        for (const id of seen.lanes) lanesSeen.add(id);
        for (const [id, rows] of seen.rows) rowsSeen.set(id, rows);
        if (top >= scrollHeight - clientHeight) break;
      }
      assert.equal(lanesSeen.size, laneCount, `lanes seen while scrolling: ${[...lanesSeen].join(' ')}`);
      await lanes.evaluate((el) => {
        el.scrollTop = 0;
      });
      await screenshot(page, 'timeline-lanes-light');

      // Hold the window, so bars stay where they are drawn.
      await page.locator('[data-testid="timeline-follow"]').click();
      await page.locator('[data-testid="timeline-window"][data-live="false"]').waitFor({ timeout: TIMEOUT });

      // The keyboard: the lanes are one tab stop; an arrow focuses a request and says which.
      await lanes.focus();
      await page.keyboard.press('ArrowRight');
      const first = await focusMovedFrom(page, null);

      // Wheel up over that request: the window narrows around it, and the charts show the same window.
      const before = await frame(canvas);
      const [, fx, fy] = before.focusedPoint.split(':').map(Number) as [number, number, number];
      await canvas.hover({ position: { x: fx, y: fy } });
      await page.mouse.wheel(0, -600);
      await page.waitForFunction(
        (span) => {
          const el = document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement | null;
          return !!el && Number(el.dataset.viewEnd) - Number(el.dataset.viewStart) < span / 2;
        },
        before.end - before.start,
        { timeout: TIMEOUT },
      );
      const zoomed = await frame(canvas);
      assert.ok(zoomed.start <= first.tMs && first.tMs <= zoomed.end, 'the request under the pointer stays in view');
      const charts = page.locator('[data-testid="charts-window"][data-linked="true"]');
      await charts.waitFor({ timeout: TIMEOUT });
      const chartEnd = Number(await charts.getAttribute('data-end-sec'));
      const chartSeconds = Number(await charts.getAttribute('data-seconds'));
      assert.equal(chartSeconds, Math.max(5, Math.ceil((zoomed.end - zoomed.start) / 1000)));
      assert.ok(
        (chartEnd - chartSeconds + 1) * 1000 <= zoomed.start + 1000 && zoomed.end < (chartEnd + 1) * 1000 + 1000,
        `the charts (seconds ${chartEnd - chartSeconds + 1}…${chartEnd}) cover the timeline's window ${zoomed.start}…${zoomed.end}`,
      );
      assert.match(await page.locator('[data-testid="charts-panel"] .panel-meta').innerText(), /the timeline's window/);

      // Left: earlier on the same instance (or the same request at the lane's start); down: an older instance.
      await page.keyboard.press('ArrowLeft');
      await nextTimelineFrames(page);
      const left = await focusedRequest(page);
      assert.equal(left.instance, first.instance);
      assert.ok(left.tMs <= first.tMs);
      await page.keyboard.press('ArrowDown');
      const down = await focusMovedFrom(page, left.id);
      assert.ok(
        down.instance < first.instance,
        `down from instance ${first.instance} is an older one (${down.instance})`,
      );
      // Enter selects it: the ui slice's selection, mirrored on the lanes, and the status line says so.
      await page.keyboard.press('Enter');
      await page
        .locator(`[data-testid="timeline-lanes"][data-selected-request="${down.id}"]`)
        .waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="timeline-focus"]', { hasText: 'Selected.' }).waitFor({ timeout: TIMEOUT });
      await closeRequestPanel(page);

      // A click on a bar selects that request (closing the panel cleared the selection).
      await lanes.focus();
      await page.keyboard.press('ArrowUp');
      const up = await focusMovedFrom(page, down.id);
      const [, ux, uy] = (await frame(canvas)).focusedPoint.split(':').map(Number) as [number, number, number];
      assert.equal(await lanes.getAttribute('data-selected-request'), null);
      await canvas.click({ position: { x: ux, y: uy } });
      await page
        .locator(`[data-testid="timeline-lanes"][data-selected-request="${up.id}"]`)
        .waitFor({ timeout: TIMEOUT });
      await screenshot(page, 'timeline-zoomed-selected-light');
      await closeRequestPanel(page);

      // Shift-drag brushes a range (here up to the first focused request): it becomes the window.
      const w0 = await frame(canvas);
      const plotW = w0.width - PLOT_LEFT - PLOT_RIGHT;
      const tOf = (x: number) => w0.start + ((x - PLOT_LEFT) / plotW) * (w0.end - w0.start);
      const box = (await canvas.boundingBox())!;
      // Within the past: a window can reach past now (zoomed out early in the engine's life), a brush cannot.
      const xOf = (t: number) => PLOT_LEFT + ((t - w0.start) / (w0.end - w0.start)) * plotW;
      const [x1, x2] = [xOf(w0.start + 0.3 * (first.tMs - w0.start)), xOf(first.tMs)];
      await page.keyboard.down('Shift');
      await page.mouse.move(box.x + x1, box.y + 30);
      await page.mouse.down();
      await page.mouse.move(box.x + (x1 + x2) / 2, box.y + 30);
      await page.mouse.move(box.x + x2, box.y + 30);
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await page.waitForFunction(
        (start) =>
          Number((document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement).dataset.viewStart) !==
          start,
        w0.start,
        { timeout: TIMEOUT },
      );
      const brushed = await frame(canvas);
      const px = (w0.end - w0.start) / plotW; // one pixel of the old window
      assert.ok(
        Math.abs(brushed.start - tOf(x1)) <= 2 * px,
        `brush start ${brushed.start} ≈ ${tOf(x1)} (window was ${w0.start}…${w0.end}, now ${brushed.start}…${brushed.end})`,
      );
      assert.ok(Math.abs(brushed.end - tOf(x2)) <= 2 * px, `brush end ${brushed.end} ≈ ${tOf(x2)}`);

      // A drag to the right pans back in time by as much as the pointer moved.
      const b0 = await frame(canvas);
      await page.mouse.move(box.x + x1, box.y + 30);
      await page.mouse.down();
      await page.mouse.move(box.x + x1 + 60, box.y + 30);
      await page.mouse.move(box.x + x1 + 120, box.y + 30);
      await page.mouse.up();
      const shift = (120 / plotW) * (b0.end - b0.start);
      const panTolerance = (b0.end - b0.start) / plotW + 2;
      // The drag's two moves may be drawn as two frames: wait for the frame that shows both.
      await page
        .waitForFunction(
          ({ want, tolerance }) =>
            Math.abs(
              Number((document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement).dataset.viewStart) -
                want,
            ) <= tolerance,
          { want: b0.start - shift, tolerance: panTolerance },
          { timeout: TIMEOUT },
        )
        .catch(() => undefined); // the assertion below says where it stopped
      const panned = await frame(canvas);
      assert.ok(
        Math.abs(b0.start - shift - panned.start) <= panTolerance,
        `panned to ${panned.start}, expected ${b0.start - shift}`,
      );
      assert.ok(
        Math.abs(panned.end - panned.start - (b0.end - b0.start)) <= 2,
        `panning keeps the length (${b0.end - b0.start} → ${panned.end - panned.start}; the mirror rounds each edge to 1 ms)`,
      );

      // Home: back to live; the charts keep their own window again.
      await lanes.focus();
      await page.keyboard.press('Home');
      await page.locator('[data-testid="timeline-window"][data-live="true"]').waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="charts-window"][data-linked="false"]').waitFor({ timeout: TIMEOUT });
      assert.deepEqual(errors, [], 'no console errors (CSP violations included)');
    });

    // The engine's own record: the lanes seen are exactly the instances it started, and each lane has
    // as many sub-rows as the most requests its instance ran at once (accepted, not yet completed).
    const recorded = readFileSync(events, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; instanceId?: number; requestId?: number });
    const spawned = recorded.filter((e) => e.type === 'worker.spawned').map((e) => e.instanceId ?? -1);
    assert.ok(spawned.length >= 10, `enough instances to scroll (${spawned.length})`);
    assert.deepEqual(
      [...lanesSeen].sort((a, b) => a - b),
      spawned.sort((a, b) => a - b),
    );
    const running = new Map<number, number>();
    const most = new Map<number, number>();
    const onInstance = new Map<number, number>();
    for (const e of recorded) {
      if (e.type === 'request.accepted' && e.instanceId !== undefined && e.requestId !== undefined) {
        onInstance.set(e.requestId, e.instanceId);
        running.set(e.instanceId, (running.get(e.instanceId) ?? 0) + 1);
        most.set(e.instanceId, Math.max(most.get(e.instanceId) ?? 0, running.get(e.instanceId) ?? 0));
      } else if ((e.type === 'request.completed' || e.type === 'request.failed') && e.requestId !== undefined) {
        const instance = onInstance.get(e.requestId);
        if (instance !== undefined) running.set(instance, (running.get(instance) ?? 1) - 1);
      }
    }
    assert.ok(Math.max(...most.values()) > 1, 'some instance ran requests at once');
    assert.deepEqual(
      [...rowsSeen.entries()].sort((a, b) => a[0] - b[0]),
      [...most.entries()].sort((a, b) => a[0] - b[0]),
    );
  });
});

describe('timeline scroll anchoring (web mode)', { timeout: 600_000 }, () => {
  it('scrolled down to a lane, the view stays on it as new instances come in above; at the top it follows the newest', async () => {
    /** Sequential requests to demo:hello with reuse 1: each starts an instance, so each adds a lane at the top. */
    const send = async (serviceUrl: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const response = await fetch(serviceUrl);
        assert.equal(response.status, 200, await response.text());
      }
    };
    const laneCountIs = (page: Page, n: number) =>
      page.waitForFunction(
        (count) =>
          (document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement | null)?.dataset.laneCount ===
          String(count),
        n,
        { timeout: TIMEOUT },
      );
    await withWebMode('demo:hello', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      const canvas = page.locator('[data-testid="timeline-canvas"]');
      const lanes = page.locator('[data-testid="timeline-lanes"]');
      await page.getByRole('group', { name: 'Timeline window' }).getByRole('button', { name: '120s' }).click();
      const handle = page.getByRole('separator', { name: 'Timeline height' });
      await handle.focus();
      await page.keyboard.press('Home'); // the smallest height: the lanes scroll

      await send(web.serviceUrl, 20);
      await laneCountIs(page, 20);
      await lanes.evaluate((el) => {
        el.scrollTop = 200;
      });
      await nextTimelineFrames(page);
      const before = await frame(canvas);
      const anchor = before.lanes[0];
      assert.ok(anchor !== undefined && anchor < 19, `scrolled below the newest lanes (${before.lanes.join(' ')})`);

      await send(web.serviceUrl, 5);
      await laneCountIs(page, 25);
      await nextTimelineFrames(page);
      const after = await frame(canvas);
      assert.deepEqual(after.lanes, before.lanes, 'the same lanes in view, in the same order');
      const scrolled = await lanes.evaluate((el) => el.scrollTop);
      assert.ok(scrolled > 200, `the view moved down with its lanes (scrollTop ${scrolled})`);

      // Back at the top: new lanes show there.
      await lanes.evaluate((el) => {
        el.scrollTop = 0;
      });
      await send(web.serviceUrl, 1);
      await laneCountIs(page, 26);
      await nextTimelineFrames(page);
      assert.equal((await frame(canvas)).lanes[0], 25, 'the newest instance on top');
      assert.equal(await lanes.evaluate((el) => el.scrollTop), 0);
      assert.deepEqual(errors, []);
    });
  });
});
