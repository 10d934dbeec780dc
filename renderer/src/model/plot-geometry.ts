/**
 * The geometry of a live chart (pure): scales, y ticks, and each series as one SVG path. The
 * live charts draw plain SVG from this instead of recharts: five recharts charts redrawn once a
 * second cost Chromium about 0.08 cores under load (issue 16 §7, docs/benchmarks.md), most of
 * what the pool's own work left to the observer.
 */
import { scaleLinear } from 'd3-scale';
import { windowMax } from './chart-format.ts';

export interface PlotBox {
  /** The whole SVG, in CSS px. */
  width: number;
  height: number;
  /** Room for the axes and the lines' ends, in CSS px. */
  margin: { top: number; right: number; bottom: number; left: number };
}

export interface PlotScales {
  /** CSS px of a data x (seconds) and y, and the data x at a CSS px. */
  x(value: number): number;
  y(value: number): number;
  invertX(px: number): number;
  /** Y ticks: whole numbers from 0, about 4 to 6 of them (a chart of counts never shows `0.5`). */
  yTicks: number[];
  /** The plot area, in CSS px. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * Scales for x in `[xMin, xMax]` and y from 0 to `yMax` (rounded up to a nice whole number, at
 * least 1) inside `box`.
 */
export function plotScales(box: PlotBox, xMin: number, xMax: number, yMax: number): PlotScales {
  const left = box.margin.left;
  const right = Math.max(left + 1, box.width - box.margin.right);
  const top = box.margin.top;
  const bottom = Math.max(top + 1, box.height - box.margin.bottom);
  const y = scaleLinear()
    .domain([0, Math.max(1, Number.isFinite(yMax) ? yMax : 0)])
    .range([bottom, top])
    .nice(4);
  const yTicks = y.ticks(4).filter(Number.isInteger);
  const x = scaleLinear()
    .domain([xMin, xMax === xMin ? xMin + 1 : xMax])
    .range([left, right]);
  return { x: (v) => x(v), y: (v) => y(v), invertX: (px) => x.invert(px), yTicks, left, right, top, bottom };
}

/** The largest value of `keys` over `points` (0 with none): the charts' `windowMax`, over several series. */
export function seriesMax<P>(points: readonly P[], keys: ReadonlyArray<keyof P>): number {
  const numberAt = (p: P, k: keyof P): number | null => {
    const v = p[k];
    return typeof v === 'number' ? v : null;
  };
  return Math.max(0, ...keys.map((k) => windowMax(points, (p) => numberAt(p, k)) ?? 0));
}

const px = (n: number): string => String(Math.round(n * 10) / 10);

/** A value a chart can draw: a finite number (null, NaN and infinities are gaps). */
const drawable = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * One series as an SVG path `d`: straight segments, or steps (the value holds until the next
 * point) for gauges. A missing value breaks the line (no line through a second with no data), as
 * recharts' `connectNulls={false}` did. Empty when no value is drawn.
 */
export function linePath(
  xs: readonly number[],
  values: ReadonlyArray<number | null>,
  scales: Pick<PlotScales, 'x' | 'y'>,
  step: boolean,
): string {
  let d = '';
  let open = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const x = xs[i];
    if (!drawable(v) || x === undefined) {
      open = false;
      continue;
    }
    const sx = px(scales.x(x));
    const sy = px(scales.y(v));
    if (!open) d += `M${sx},${sy}`;
    else if (step) d += `H${sx}V${sy}`;
    else d += `L${sx},${sy}`;
    open = true;
  }
  return d;
}

/**
 * The points of a series as one path of zero-length segments: drawn with a round line cap, each
 * is a dot as wide as the stroke (one element for the series, not one per point).
 */
export function dotsPath(
  xs: readonly number[],
  values: ReadonlyArray<number | null>,
  scales: Pick<PlotScales, 'x' | 'y'>,
): string {
  let d = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const x = xs[i];
    if (!drawable(v) || x === undefined) continue;
    d += `M${px(scales.x(x))},${px(scales.y(v))}h0`;
  }
  return d;
}

/** The index of the point whose x is nearest `x` (xs ascending); null without points. */
export function nearestIndex(xs: readonly number[], x: number): number | null {
  if (xs.length === 0) return null;
  let best = 0;
  for (let i = 1; i < xs.length; i++) {
    if (Math.abs((xs[i] ?? 0) - x) < Math.abs((xs[best] ?? 0) - x)) best = i;
  }
  return best;
}
