/**
 * Outgoing HTTP in the dashboard, end to end: `poolscope serve zoo-js-fetch --allow-http --ui` as
 * a child process (a componentize-js guest whose `fetch()` goes through wasi:http's
 * outgoing-handler), a node:http upstream in this process, the built dashboard in headless
 * Chromium. Each outgoing request is drawn under the request that made it on the timeline, listed
 * in the event log, and shown for both sides of a leak finding. Needs `renderer/dist` (build first).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { zooGuestPath } from '../assets/guests/build.ts';
import { closedPort } from '../engine/host/outgoing/test-support.ts';
import {
  getSequential,
  nextTimelineFrames,
  openDashboard,
  screenshot,
  useBrowser,
  withWebMode,
  TIMEOUT,
} from './support/dashboard.ts';

const GUEST = zooGuestPath('zoo-js-fetch');

const browser = useBrowser();

let upstream: Server;
let upstreamAuthority: string;
let counted = 0;
before(async () => {
  assert.ok(existsSync(GUEST), `${GUEST} is missing: build the guests first (npm run build:guests)`);
  upstream = createServer((_req, res) => res.end(`n=${++counted}`));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamAuthority = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

const proxied = (url: string): string => `/proxy?url=${encodeURIComponent(url)}`;

interface OutgoingBar {
  seq: number;
  instanceId: number;
  requestId: number | null;
  x: number;
  y: number;
}

/** The outgoing bars the timeline drew in its last frame (mirrored on the canvas). */
async function outgoingBars(page: Page): Promise<OutgoingBar[]> {
  const text = (await page.locator('[data-testid="timeline-canvas"]').getAttribute('data-outgoing-points')) ?? '';
  return text
    .split(' ')
    .filter(Boolean)
    .map((token) => {
      const [seq, instanceId, requestId, x, y] = token.split(':');
      return {
        seq: Number(seq),
        instanceId: Number(instanceId),
        requestId: requestId === '-' ? null : Number(requestId),
        x: Number(x),
        y: Number(y),
      };
    });
}

/**
 * Hovers the outgoing bar of `requestId` until its title lists that call. The bar's place is read from the
 * last frame; if the canvas or the bar moves before the title shows (the page's layout can still
 * change under a busy machine, and Chromium then sends a mousemove of its own that clears the
 * title), it hovers the new place. Each round waits on a change, never on a clock.
 */
async function hoverOutgoingBar(page: Page, requestId: number): Promise<void> {
  const canvas = page.locator('[data-testid="timeline-canvas"]');
  for (let round = 1; ; round++) {
    const bar = (await outgoingBars(page)).find((b) => b.requestId === requestId);
    assert.ok(bar, `no outgoing bar for request ${requestId} in the last frame`);
    await canvas.hover({ position: { x: bar.x, y: bar.y } });
    const box = await canvas.boundingBox();
    assert.ok(box, 'the timeline canvas is not laid out');
    const seen = await waitOrExplain(page, requestId, bar, box, () =>
      page.waitForFunction(
        ({ id, x, y, left, top }) => {
          if (
            document.querySelector(
              `[data-testid="timeline-outgoing-tip"] [data-testid="timeline-outgoing-call"][data-request-id="${id}"]`,
            )
          )
            return 'tip';
          const el = document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement | null;
          if (!el) return false;
          const rect = el.getBoundingClientRect();
          if (Math.round(rect.left) !== Math.round(left) || Math.round(rect.top) !== Math.round(top)) return 'moved';
          const mine = (el.dataset.outgoingPoints ?? '').split(' ').find((t) => t.split(':')[2] === String(id));
          return mine === undefined || mine.split(':')[3] !== String(x) || mine.split(':')[4] !== String(y)
            ? 'moved'
            : false;
        },
        { id: requestId, x: bar.x, y: bar.y, left: box.x, top: box.y },
        { timeout: TIMEOUT },
      ),
    );
    if ((await seen.jsonValue()) === 'tip') return;
    assert.ok(round < 10, `the outgoing bar of request ${requestId} kept moving (${round} rounds)`);
  }
}

/** A failed wait on the title says what the page showed at the hovered point, for the next reader of a CI log. */
async function waitOrExplain<T>(
  page: Page,
  requestId: number,
  bar: OutgoingBar,
  box: { x: number; y: number },
  wait: () => Promise<T>,
): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    const seen = await page.evaluate(
      ({ x, y }) => {
        const el = document.elementFromPoint(x, y);
        const canvas = document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement | null;
        const tip = document.querySelector('[data-testid="timeline-outgoing-tip"]') as HTMLElement | null;
        return {
          atPoint: el
            ? `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[data-testid=${el.getAttribute('data-testid')}]` : ''}.${el.className}`
            : null,
          rect: canvas?.getBoundingClientRect().toJSON(),
          points: canvas?.dataset.outgoingPoints,
          tip: tip ? tip.innerText : null,
        };
      },
      { x: box.x + bar.x, y: box.y + bar.y },
    );
    throw new Error(
      `no title for request ${requestId}'s outgoing bar, hovered at ${bar.x},${bar.y} of a canvas at ${box.x},${box.y}: ${JSON.stringify(seen)}`,
      { cause: error },
    );
  }
}

describe('outgoing requests (web mode)', { timeout: 600_000 }, () => {
  it("zoo-js-fetch: each outgoing request is a bar under the request that made it, with its title; the log lists them; a leak finding shows both sides' calls", async () => {
    // One instance (a late handle return on a busy machine must not start a second one; leak
    // replays run on a private pool of their own), and the widest timeline window, so requests
    // sent early are still drawn after a slow leak check.
    const flags = [
      '--allow-http',
      '--max-instance-reuse-count',
      '50',
      '--max-instances',
      '1',
      '--idle-instance-timeout',
      '120s',
      '--leak-check',
      'all',
    ];
    await withWebMode(GUEST, flags, async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl, 'light');
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.getByRole('group', { name: 'Timeline window' }).getByRole('button', { name: '120s' }).click();

      // Requests 0 and 1 ask the upstream for its count; 1 (reused) is replayed on a fresh
      // instance, whose call counts once more: a leak finding with a call on each side.
      const counts = await getSequential(web.serviceUrl, proxied(`http://${upstreamAuthority}/count`), 2);
      assert.deepEqual(
        counts.map((r) => [r.status, r.body]),
        [
          [200, 'n=1'],
          [200, 'n=2'],
        ],
      );
      await page.locator('[data-testid="tab-leaks"]').click();
      await page.locator('[data-testid="leak-count-leaks"][data-value="1"]').waitFor({ timeout: TIMEOUT });
      await page.locator('[data-testid="tab-events"]').click();
      // Request 2 calls a port nobody listens on.
      const port = await closedPort();
      const [refused] = await getSequential(web.serviceUrl, proxied(`http://127.0.0.1:${port}/nobody`), 1);
      assert.equal(refused!.status, 502);
      assert.match(refused!.body, /^fetch failed: /);

      // The timeline: three bars in instance 0's lane, one per request.
      const canvas = page.locator('[data-testid="timeline-canvas"]');
      await page.waitForFunction(
        () =>
          (
            document.querySelector('[data-testid="timeline-canvas"]') as HTMLElement | null
          )?.dataset.outgoingPoints?.split(' ').length === 3,
        undefined,
        {
          timeout: TIMEOUT,
        },
      );
      await page.locator('[data-testid="timeline-follow"]').click(); // pause, so the bars stay where they are
      await nextTimelineFrames(page);
      const bars = await outgoingBars(page);
      assert.deepEqual(
        bars.map((b) => [b.instanceId, b.requestId]),
        [
          [0, 0],
          [0, 1],
          [0, 2],
        ],
      );
      // Calls made moments apart share pixels in a 120 s window: the title lists each call under the pointer.
      const tipCall = (id: number) =>
        page.locator(
          `[data-testid="timeline-outgoing-tip"] [data-testid="timeline-outgoing-call"][data-request-id="${id}"]`,
        );
      await hoverOutgoingBar(page, 0);
      assert.equal(await tipCall(0).getAttribute('data-outcome'), 'complete');
      const okText = await tipCall(0).innerText();
      assert.match(
        okText,
        new RegExp(
          `^outgoing GET http://${upstreamAuthority.replace(/\./g, '\\.')}/count\\n→ 200 · [\\d.]+m?s · 0 B ↑ 3 B ↓\\ninstance 0 · request #0$`,
        ),
      );

      await hoverOutgoingBar(page, 2);
      assert.equal(await tipCall(2).getAttribute('data-outcome'), 'failed');
      const failedText = await tipCall(2).innerText();
      assert.match(failedText, new RegExp(`^outgoing GET http://127\\.0\\.0\\.1:${port}/nobody\\nfailed · `));
      assert.match(
        failedText,
        new RegExp(`\\nconnection-refused: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\ninstance 0 · request #2$`),
      );
      // For the picture: the default 10 s window (still paused), the failed call's title open.
      await page.getByRole('group', { name: 'Timeline window' }).getByRole('button', { name: '10s' }).click();
      await nextTimelineFrames(page);
      const shown = (await outgoingBars(page)).find((b) => b.requestId === 2);
      if (shown) await canvas.hover({ position: { x: shown.x, y: shown.y } });
      await screenshot(page, 'outgoing-timeline-light');
      await page.mouse.move(0, 0);

      // The event log lists them with the request each belongs to (filtered by request id, as a user would).
      const requestFilter = page.getByRole('textbox', { name: 'Filter by request id' });
      const rows = page.locator('[data-testid="log-row"][data-type="request.outgoing"]');
      for (const id of [0, 1, 2]) {
        await requestFilter.fill(String(id));
        await page
          .locator(
            `[data-testid="log-row"][data-type="request.outgoing"][data-request-id="${id}"][data-instance-id="0"]`,
          )
          .waitFor({ timeout: TIMEOUT });
        assert.equal(await rows.count(), 1);
        assert.match(await rows.first().innerText(), id === 2 ? /failed: connection-refused/ : /count → 200 in /);
      }
      await requestFilter.fill('');

      // The finding's diff shows what each side asked upstream.
      await page.locator('[data-testid="tab-leaks"]').click();
      await page.locator('[data-testid="leak-finding"][data-request-id="1"]').click();
      const outgoing = page.locator('[data-testid="leak-diff"] [data-testid="leak-outgoing"]');
      await outgoing.waitFor({ timeout: TIMEOUT });
      const call = new RegExp(
        `^GET http://${upstreamAuthority.replace(/\./g, '\\.')}/count → 200 in [\\d.]+m?s \\(0 B ↑ 3 B ↓\\)$`,
      );
      for (const side of ['reused', 'fresh']) {
        const calls = outgoing.locator(`[data-testid="leak-outgoing-${side}"] [data-testid="leak-outgoing-call"]`);
        assert.equal(await calls.count(), 1, side);
        assert.match(await calls.first().innerText(), call, side);
      }
      assert.equal(await page.locator('[data-testid="leak-diff"] [data-testid="diff-reused"]').innerText(), 'n=2');
      assert.equal(await page.locator('[data-testid="leak-diff"] [data-testid="diff-fresh"]').innerText(), 'n=3');
      await outgoing.scrollIntoViewIfNeeded();
      await screenshot(page, 'outgoing-leak-diff-light');
      assert.deepEqual(errors, [], 'no console errors (CSP violations included)');
    });
  });
});
