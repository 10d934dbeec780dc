/**
 * Which seconds the charts show. Following now, each keeps its own length (the chart window
 * control); once the timeline's window is fixed (zoomed, panned, brushed) the charts show that
 * window, so a spike on one is the bars on the other. Pure.
 */
import { createContext } from 'react';
import type { TimeView } from './time-view.ts';

/** A chart of 1 s buckets needs a few points to be a line: a narrower timeline window shows these many seconds around it. */
export const MIN_LINKED_SECONDS = 5;
/** No wider than the buckets the dashboard keeps (`LIMITS.bucketSeconds`). */
export const MAX_LINKED_SECONDS = 300;

export interface ChartWindow {
  /** Engine ms the last point's second contains. */
  end: number;
  seconds: number;
  /** True when the charts show the timeline's (fixed) window. */
  linked: boolean;
}

export function chartWindowOf(view: TimeView, now: number, ownSeconds: number): ChartWindow {
  if (view.live) return { end: now, seconds: ownSeconds, linked: false };
  const seconds = Math.min(MAX_LINKED_SECONDS, Math.max(MIN_LINKED_SECONDS, Math.ceil(view.spanMs / 1000)));
  // Widened windows stay centred on the timeline's.
  const extra = Math.max(0, seconds * 1000 - view.spanMs) / 2;
  return { end: view.endT + extra, seconds, linked: true };
}

/**
 * What the charts share of the time base: the engine second of their last point (x = 0), for
 * axis labels, and the timeline's window in chart x (seconds before that point), shaded when it
 * is narrower than the chart. Null: labels stay relative (a chart outside the panel).
 */
export interface ChartAxis {
  endSec: number;
  band: { x1: number; x2: number } | null;
}
export const ChartAxisContext = createContext<ChartAxis | null>(null);

/** The chart axis for charts of `shown`, given the timeline's view at `now`. */
export function chartAxisOf(view: TimeView, now: number, shown: ChartWindow): ChartAxis {
  // The second holding the window's last moment (a window ending on a whole second ends before it).
  const endSec = Math.ceil(shown.end / 1000) - 1;
  const end = view.live ? now : view.endT;
  const x1 = (end - view.spanMs) / 1000 - endSec;
  const x2 = end / 1000 - endSec;
  // A point x stands for the second [x, x + 1): the chart spans 1 - seconds … 1.
  const covers = x1 <= 1 - shown.seconds && x2 >= 1;
  return { endSec, band: covers ? null : { x1: Math.max(1 - shown.seconds, x1), x2: Math.min(1, x2) } };
}

/** Tick steps on a chart's axis, in seconds. */
const CHART_STEPS = [1, 2, 5, 10, 15, 30, 60, 120];

/**
 * Ticks for a chart whose points are seconds `firstX … 0` before its last one: at round engine
 * seconds when the last point's second `endSec` is known (at most 5 ticks), else every 5–15 s
 * back from 0.
 */
export function chartTicks(firstX: number, endSec: number | null): number[] {
  const ticks: number[] = [];
  if (endSec === null) {
    const step = firstX <= -50 ? 15 : firstX <= -20 ? 10 : 5;
    for (let x = 0; x >= firstX; x -= step) ticks.unshift(x);
    return ticks;
  }
  const span = 1 - firstX;
  const step = CHART_STEPS.find((s) => span / s <= 5) ?? 120;
  // None before engine start: a chart opened early has empty seconds there, but no negative times.
  for (let x = Math.max(firstX, -endSec); x <= 0; x++) if ((endSec + x) % step === 0) ticks.push(x);
  return ticks;
}

/** A tick's label: the engine second (the panel names the base), or seconds before now. */
export function chartTickLabel(x: number, endSec: number | null): string {
  if (endSec === null) return x === 0 ? 'now' : `${x}s`;
  return String(endSec + x);
}

/** A point's label in the tooltip: the engine second it buckets, `t = 35–36 s`. */
export function chartPointLabel(x: number, endSec: number | null): string {
  if (endSec === null) return x === 0 ? 'this second' : `${x}s`;
  if (endSec + x < 0) return 'before engine start';
  return `t = ${endSec + x}–${endSec + x + 1} s`;
}
