/**
 * E2E support: runs `poolscope serve <component> --ui` as a child process (web mode), waits for
 * `Serving HTTP on …` and `Dashboard: …`, and drives the page in Debian's Chromium through
 * playwright-core (no browser download).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { join } from 'node:path';
import { watchOutput } from '../../engine/test/support/child-output.ts';
import { DEFAULT_DASHBOARD_DIR } from '../../engine/web/dashboard-server.ts';

const CLI = fileURLToPath(new URL('../../engine/cli/poolscope.ts', import.meta.url));
const DIST_INDEX = join(DEFAULT_DASHBOARD_DIR, 'index.html');
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const CHROMIUM = process.env.POOLSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const STARTUP_MS = 60_000;

/** The e2e tests' waits: hang guards only (a busy CI machine can be slow); no test asserts a duration. */
export const TIMEOUT = 60_000;

export interface WebMode {
  child: ChildProcess;
  /** The guest's HTTP address, e.g. `http://127.0.0.1:41234/`. */
  serviceUrl: string;
  /** The dashboard page, token included. */
  dashboardUrl: string;
  token: string;
  stderr(): string;
  /** Resolves once stderr matches (output reaches the test later than the page sees its effects). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then wait for the exit (SIGKILL if it takes too long). */
  stop(): Promise<number | null>;
}

/** Starts `poolscope serve <component> --ui` on free loopback ports, with extra flags. */
export async function startWebMode(component: string, flags: string[] = []): Promise<WebMode> {
  return startPoolscope(
    ['serve', component, '--ui', '--addr', '127.0.0.1:0', '--ui-addr', '127.0.0.1:0', ...SHUTDOWN_GRACE, ...flags],
    true,
  );
}

/**
 * Every test checks that poolscope exits cleanly on SIGTERM. The default grace (5 s) is for
 * people; a CI machine kept busy can take longer than that to close the dashboard, the pools and
 * their threads, and a stop that hangs still fails, once this runs out (the kill comes later).
 */
const SHUTDOWN_GRACE_S = 30;
const SHUTDOWN_GRACE = ['--shutdown-grace', `${SHUTDOWN_GRACE_S}s`];

/**
 * Starts `poolscope demo <scenario>` (web mode). It serves nothing until the scenario loads a
 * guest, so only the dashboard's address is awaited (`serviceUrl` is empty).
 */
export async function startDemoMode(scenario: string, flags: string[] = []): Promise<WebMode> {
  return startPoolscope(['demo', scenario, '--ui-addr', '127.0.0.1:0', ...flags], false);
}

async function startPoolscope(args: string[], servesAtOnce: boolean): Promise<WebMode> {
  if (!existsSync(DIST_INDEX)) {
    throw new Error(
      `${DIST_INDEX} is missing: build the dashboard first (npx vite build --config renderer/vite.config.ts)`,
    );
  }
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = watchOutput(child);
  const [serviceUrl, dashboardUrl] = await Promise.all([
    servesAtOnce ? output.capture(/Serving HTTP on (http:\/\/\S+)/, { stream: 'stderr', timeoutMs: STARTUP_MS }) : '',
    output.capture(/Dashboard: (http:\/\/\S+)/, { stream: 'stderr', timeoutMs: STARTUP_MS }),
  ]).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    child,
    serviceUrl,
    dashboardUrl,
    token: new URL(dashboardUrl).searchParams.get('token') ?? '',
    stderr: () => output.stderr(),
    async waitForStderr(pattern, timeoutMs = 20_000) {
      await output.match(pattern, { stream: 'stderr', timeoutMs });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      // Past the grace, and the server's own cut-off after it: a stop that hangs.
      const timer = setTimeout(() => child.kill('SIGKILL'), (SHUTDOWN_GRACE_S + 10) * 1000);
      const { code } = await output.closed;
      clearTimeout(timer);
      return code;
    },
  };
}

/** One Chromium for the test file: launched before its tests, closed after them. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser is not launched yet: call it inside a test');
    return browser;
  };
}

/** Runs `body` against `poolscope serve <component> --ui`, then checks that it exits cleanly. */
export async function withWebMode(
  component: string,
  flags: string[],
  body: (web: WebMode) => Promise<void>,
): Promise<void> {
  const web = await startWebMode(component, flags);
  try {
    await body(web);
  } finally {
    assert.equal(await web.stop(), 0, `poolscope exits cleanly:\n${web.stderr()}`);
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface OpenedPage {
  page: Page;
  /** Console errors and page errors seen so far (CSP violations included). */
  errors: string[];
}

/** A window size in CSS pixels; browser zoom Z is `deviceScaleFactor: Z` with the size divided by Z. */
export interface PageView {
  width: number;
  height: number;
  deviceScaleFactor: number;
}

/** Opens the dashboard in a fresh context and waits for its first snapshot. */
export async function openDashboard(
  browser: Browser,
  url: string,
  colorScheme: 'light' | 'dark' = 'light',
  view: PageView = { width: 1440, height: 900, deviceScaleFactor: 1 },
): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport: { width: view.width, height: view.height },
    colorScheme,
    deviceScaleFactor: view.deviceScaleFactor,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await page.locator('.app[data-ready="true"]').waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid="connection-status"][data-state="open"]').waitFor({ timeout: TIMEOUT });
  return { page, errors };
}

/** Sequential GETs to the guest; returns the bodies. */
export async function getSequential(
  baseUrl: string,
  path: string,
  count: number,
): Promise<Array<{ status: number; body: string }>> {
  const results = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(new URL(path, baseUrl));
    results.push({ status: response.status, body: await response.text() });
  }
  return results;
}

/**
 * Saves a screenshot once the page shows its current state: the charts drawn in the current
 * theme's colours (they take them from the CSS after a theme change), and painted. CSS
 * transitions are finished, not waited for.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  await chartsInCurrentTheme(page);
  await nextTimelineFrames(page);
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/** Waits until the charts are drawn in the current theme's colours (they take them from the CSS after a theme change). */
export async function chartsInCurrentTheme(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const grid = getComputedStyle(document.documentElement).getPropertyValue('--grid').trim();
    return [...document.querySelectorAll('.recharts-cartesian-grid line, .chart-grid line')].every(
      (line) => line.getAttribute('stroke') === grid,
    );
  });
}

/** Waits until the latency chart has plotted a completed request (it redraws once a second). */
export async function chartsShowRequests(page: Page): Promise<void> {
  await page
    .locator('[data-testid="chart-latency"] .mini-value')
    .filter({ hasNotText: '—' })
    .waitFor({ timeout: TIMEOUT });
}

/** Lets the timeline's frame loop (≤ 30 frames a second) draw at least one more frame. */
export async function nextTimelineFrames(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        let frames = 4;
        const tick = (): void => void (--frames === 0 ? resolve() : requestAnimationFrame(tick));
        requestAnimationFrame(tick);
      }),
  );
}
