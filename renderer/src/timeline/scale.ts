/** The timeline's horizontal scale: the label gutter, the plot, and time ↔ x. Pure. */
import type { TimeWindow } from '../time/time-view.ts';

/** Left of the plot: each lane's label (`#12 busy ×3`). */
export const GUTTER = 100;
/** Right of the plot, so the last tick label fits. */
export const RIGHT_PAD = 12;
/** Below the lanes: the time axis. */
export const AXIS = 20;

export interface Scale {
  window: TimeWindow;
  /** Plot width in CSS px. */
  plotW: number;
  xOf(t: number): number;
  tOf(x: number): number;
  /** Where x is across the plot, 0 (left edge) … 1 (right edge), clamped. */
  fractionOf(x: number): number;
}

export function scaleFor(window: TimeWindow, width: number): Scale {
  const plotW = Math.max(1, width - GUTTER - RIGHT_PAD);
  const span = Math.max(1e-9, window.end - window.start);
  return {
    window,
    plotW,
    xOf: (t) => GUTTER + ((t - window.start) / span) * plotW,
    tOf: (x) => window.start + ((x - GUTTER) / plotW) * span,
    fractionOf: (x) => Math.min(1, Math.max(0, (x - GUTTER) / plotW)),
  };
}
