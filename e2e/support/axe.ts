/**
 * axe-core (https://github.com/dequelabs/axe-core) in the dashboard under test. Its source is
 * evaluated in the page through the DevTools protocol, which the page's Content-Security-Policy
 * does not govern; an injected <script> would be refused (script-src 'self') and logged as an error.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, ImpactValue } from 'axe-core';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type AxeApi = typeof import('axe-core');

export interface Violation {
  rule: string;
  impact: ImpactValue;
  /** One line per element: its selector and axe's summary of what is wrong with it. */
  nodes: string[];
}

async function ensureAxe(page: Page): Promise<void> {
  if (await page.evaluate(() => 'axe' in window)) return;
  await page.evaluate(AXE_SOURCE);
}

/** Runs every axe rule (WCAG A/AA and best practices, no experimental ones) on the page as it is now. */
export async function runAxe(page: Page): Promise<Violation[]> {
  await ensureAxe(page);
  return page.evaluate(async () => {
    const { axe } = window as unknown as { axe: AxeApi };
    const results: AxeResults = await axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      rule: v.id,
      impact: v.impact ?? null,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
    }));
  });
}

/** The serious and critical ones, as `rule (impact): node; node` lines for an assertion message. */
export function severe(violations: readonly Violation[]): string[] {
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.rule} (${v.impact}): ${v.nodes.join('; ')}`);
}

/** Violations counted by rule, e.g. `{ 'color-contrast': 11 }`. */
export function countByRule(violations: readonly Violation[]): Record<string, number> {
  return Object.fromEntries(violations.map((v) => [v.rule, v.nodes.length]));
}

export interface TabStop {
  /** The accessible name, as axe computes it. */
  name: string;
  testId: string | null;
}

/**
 * What the Tab key stops at inside `selector` (every match): rendered elements with a
 * tabindex ≥ 0 that are not disabled, in document order, with their accessible names.
 */
export async function tabStops(page: Page, selector: string): Promise<TabStop[]> {
  await ensureAxe(page);
  return page.evaluate((within) => {
    const { axe } = window as unknown as { axe: AxeApi };
    axe.setup(document);
    try {
      return [...document.querySelectorAll(within)]
        .flatMap((root) => [root, ...root.querySelectorAll('*')])
        .filter(
          (el): el is HTMLElement | SVGElement =>
            (el instanceof HTMLElement || el instanceof SVGElement) && el.tabIndex >= 0,
        )
        .filter((el) => !el.matches(':disabled') && el.getClientRects().length > 0)
        .map((el) => ({
          name: axe.commons.text.accessibleText(el).trim(),
          testId: el.closest('[data-testid]')?.getAttribute('data-testid') ?? null,
        }));
    } finally {
      axe.teardown();
    }
  }, selector);
}
