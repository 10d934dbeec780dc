/**
 * Axis ticks and headline values for the pool charts (pure): every number says its unit, and a
 * headline says what it is (the last full second, the gauge now, the window's peak).
 */
import type { Gauges } from '../../../protocol/index.ts';

/**
 * Between a tick's number and its unit: a no-break space, so no chart (recharts wraps a tick at
 * spaces when it is wider than the axis) shows `180` over `ms`.
 */
export const TICK_UNIT_SPACE = '\u00a0';

/** A latency tick: `250 µs`, `12 ms`, `1.5 s`, `2 min` (never `60k`). */
export function axisMs(v: number): string {
  if (!Number.isFinite(v) || v <= 0) return '0';
  if (v < 1) return withUnit(v * 1000, 'µs');
  if (v < 1000) return withUnit(v, 'ms');
  if (v < 60_000) return withUnit(v / 1000, 's');
  return withUnit(v / 60_000, 'min');
}

function withUnit(n: number, unit: string): string {
  return `${trim(n)}${TICK_UNIT_SPACE}${unit}`;
}

/** A rate tick: `40/s`, `1.2k/s`. */
export function axisRate(v: number): string {
  return `${axisCount(v)}/s`;
}

/** A count tick: `12`, `1.2k`, `35k` (the legend names what is counted). */
export function axisCount(v: number): string {
  if (!Number.isFinite(v) || v <= 0) return '0';
  if (v >= 10_000) return `${Math.round(v / 1000)}k`;
  if (v >= 1000) return `${trim(v / 1000)}k`;
  return trim(v);
}

/** Up to 3 significant digits, no trailing zeros. */
function trim(v: number): string {
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}

/**
 * What a headline is, and the window's peak beside it when that differs from zero
 * (`now · peak 50 in window`): a gauge back at 0 after a burst still says there was one.
 */
export function withPeak(what: string, peak: number | null, unit = ''): string {
  return peak !== null && peak > 0 ? `${what} · peak ${peak}${unit} in window` : what;
}

/**
 * What the queue's headline is: the gauge now, and how many of the queued wait for an instance
 * started for them (`now · 50 waiting for a starting instance`; older engines do not say), else
 * the window's peak.
 */
export function queueWhat(g: Gauges, peak: number | null = null): string {
  const waiting = g.waitingForStart ?? 0;
  return waiting > 0 ? `now · ${waiting} waiting for a starting instance` : withPeak('now', peak);
}

/** Highest value of `key` over the window, or null for none (a sparse series). */
export function windowMax<T>(points: readonly T[], value: (p: T) => number | null): number | null {
  let max: number | null = null;
  for (const p of points) {
    const v = value(p);
    if (v !== null && (max === null || v > max)) max = v;
  }
  return max;
}
