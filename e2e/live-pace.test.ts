/**
 * Under load the page updates less often (bridge/message-pacer.ts: at most once a second, slower
 * when a delivery costs it more, at most every 2 s), and the live indicator in the header says so;
 * once no live data came for a while, the page is back at its quiet pace and the indicator says
 * nothing more. End to end: `poolscope serve demo:hello --ui` (max reuse 1: ~14 events a
 * request), 50 clients from the load generator, the built dashboard in headless Chromium. Waits
 * on what the page shows, never on a duration. Needs a built dashboard (see e2e/support).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { runLoad } from '../engine/loadgen/index.ts';
import { openDashboard, TIMEOUT, useBrowser, withWebMode } from './support/dashboard.ts';

const browser = useBrowser();
const INDICATOR = '[data-testid="connection-status"]';

interface Indicator {
  paceMs: number;
  text: string;
  title: string;
}

/**
 * Runs in the page (self-contained: Playwright sends its source): the live indicator's pace (ms
 * between updates), what it says and its title, read at once; with `until`, only once the page
 * is slowed (a pace of 1 s or more) or quiet again (it says just `live`), else false (for
 * `waitForFunction`, which then hands back the reading that satisfied it).
 */
function readIndicator([selector, until]: readonly [string, 'slowed' | 'quiet' | null]): Indicator | false {
  const el = document.querySelector(selector);
  const read = {
    paceMs: Number(el?.getAttribute('data-pace-ms')),
    text: el?.textContent ?? '',
    title: el?.getAttribute('title') ?? '',
  };
  if (until === 'slowed' && !(read.paceMs >= 1000)) return false;
  if (until === 'quiet' && read.text.trim() !== 'live') return false;
  return read;
}

/** Waits until the indicator reads `until`, and returns that reading. */
async function indicatorWhen(page: Page, until: 'slowed' | 'quiet', timeout: number): Promise<Indicator> {
  const seen = await page.waitForFunction(readIndicator, [INDICATOR, until] as const, { timeout });
  return (await seen.jsonValue()) as Indicator;
}

describe('the live indicator', () => {
  it('says how often updates come while the page has slowed them under load, and nothing once it is quiet again', {
    timeout: 240_000,
  }, async () => {
    await withWebMode('demo:hello', [], async (web) => {
      const { page, errors } = await openDashboard(browser(), web.dashboardUrl);
      const quiet = (await page.evaluate(readIndicator, [INDICATOR, null] as const)) as Indicator;
      // 250 ms, or ten times what a delivery cost on a busy machine: under 1 s, and not said.
      assert.ok(quiet.paceMs < 1000, `a page just opened is not slowed, got ${quiet.paceMs}`);
      assert.equal(quiet.text.trim(), 'live', 'and says nothing about it');

      // Load until the page has slowed down (however long the machine takes to get there; on a
      // very busy machine what a delivery costs may slow it first, which the indicator says alike).
      const stop = new AbortController();
      const load = runLoad({ url: web.serviceUrl, connections: 50, durationMs: TIMEOUT * 3, signal: stop.signal });
      let loaded: Indicator;
      try {
        // The reading that saw the slowed pace: the next measurement may change it.
        loaded = await indicatorWhen(page, 'slowed', TIMEOUT * 2);
      } finally {
        stop.abort();
      }
      await load;
      const every = `${loaded.paceMs / 1000} s`; // paces are in tenths of a second
      assert.equal(loaded.text, `live · every ${every}`);
      assert.match(
        loaded.title,
        new RegExp(`^Live: updates come every ${every.replace('.', '\\.')}\\. While events come fast`),
      );

      // Quiet again, with nothing sent: once no live data came for a while, the page is back at
      // its quiet pace and the indicator says nothing more (it does not keep the load's pace).
      const calm = await indicatorWhen(page, 'quiet', TIMEOUT);
      assert.ok(calm.paceMs < 1000, 'and its pace is the quiet one');
      assert.deepEqual(errors, []);
    });
  });
});
