/**
 * The timeline's height: as tall as its lanes need, at least `MIN_PLOT_HEIGHT` and at most the
 * user's bound (the drag handle), which stays within `MIN/MAX_TIMELINE_HEIGHT`. Pure.
 */
import { AXIS } from './scale.ts';

/** Room for the axis and a few lanes, however small the pool. */
export const MIN_PLOT_HEIGHT = 140;
/** The handle's range: 140 px (a few lanes) to 1,200 px (past any screen, the page scrolls). */
export const MIN_TIMELINE_HEIGHT = MIN_PLOT_HEIGHT;
export const MAX_TIMELINE_HEIGHT = 1200;
/** The default bound: about a dozen single-row lanes before they scroll. */
export const DEFAULT_TIMELINE_MAX_HEIGHT = 320;
/** One press of an arrow key on the handle. */
export const HEIGHT_STEP = 20;

export const clampTimelineHeight = (px: number): number =>
  Math.round(Math.min(MAX_TIMELINE_HEIGHT, Math.max(MIN_TIMELINE_HEIGHT, Number.isFinite(px) ? px : 0)));

/** The canvas height for lanes totalling `lanesHeight` px under the bound `maxHeight`. */
export function plotHeight(lanesHeight: number, maxHeight: number): number {
  return Math.max(MIN_PLOT_HEIGHT, Math.min(clampTimelineHeight(maxHeight), Math.ceil(lanesHeight) + AXIS));
}
