/**
 * The time window the timeline shows and the charts follow: live (its right edge is now) or
 * fixed (the user zoomed, panned or brushed). Pure: the ui slice keeps a `TimeView`, the
 * views turn it into a window with `windowOf` at each frame. Times are engine ms (time-base.ts).
 */

export type TimeView = { live: true; spanMs: number } | { live: false; spanMs: number; endT: number };

export interface TimeWindow {
  start: number;
  end: number;
}

/**
 * Bounds of a window's length: 50 ms is a few pixels per millisecond on a laptop (finer than the
 * events' resolution is not useful); 10 minutes is past what the dashboard keeps (4,000 requests,
 * 300 s of chart buckets), so a wider window would only show emptiness.
 */
export const MIN_SPAN_MS = 50;
export const MAX_SPAN_MS = 600_000;

export const DEFAULT_TIME_VIEW: TimeView = { live: true, spanMs: 10_000 };

export const clampSpan = (spanMs: number): number =>
  Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, Number.isFinite(spanMs) ? spanMs : DEFAULT_TIME_VIEW.spanMs));

/** The window at engine time `now`. */
export function windowOf(view: TimeView, now: number): TimeWindow {
  const end = view.live ? now : view.endT;
  return { start: end - view.spanMs, end };
}

/**
 * A fixed view showing `start…end`, kept within what exists: never past `now` (the future is
 * empty) and never before engine start, the length kept when it is moved back in.
 */
export function fixedView(start: number, end: number, now: number): TimeView {
  const spanMs = clampSpan(end - start);
  // A clamped length stays centred on what was asked for.
  const asked = (start + end) / 2 + spanMs / 2;
  const endT = Math.max(spanMs, Math.min(asked, Math.max(now, spanMs)));
  return { live: false, spanMs, endT };
}

/**
 * Zoom by `factor` (< 1 in, > 1 out) keeping the time under the pointer where it is: `at` is the
 * pointer's place across the window, 0 (left edge) … 1 (right edge).
 */
export function zoomAt(view: TimeView, now: number, factor: number, at: number): TimeView {
  const w = windowOf(view, now);
  const f = Math.min(1, Math.max(0, at));
  const anchor = w.start + f * view.spanMs;
  const spanMs = clampSpan(view.spanMs * factor);
  // Zooming around the right edge of a live view keeps it live: now stays at the edge.
  if (view.live && f >= 0.98) return { live: true, spanMs };
  return fixedView(anchor - f * spanMs, anchor - f * spanMs + spanMs, now);
}

/** Move the window by `deltaMs` (negative: back in time). Reaching now is still a fixed window; `goLive` follows. */
export function panBy(view: TimeView, now: number, deltaMs: number): TimeView {
  const w = windowOf(view, now);
  return fixedView(w.start + deltaMs, w.end + deltaMs, now);
}

/** A brushed range `a…b` (either order) becomes the window. */
export function brushTo(a: number, b: number, now: number): TimeView {
  return fixedView(Math.min(a, b), Math.max(a, b), now);
}

/** Back to following now, keeping the length. */
export function goLive(view: TimeView): TimeView {
  return { live: true, spanMs: view.spanMs };
}

/** A new length: a live view stays live; a fixed one keeps its right edge (as pausing did before). */
export function withSpan(view: TimeView, spanMs: number): TimeView {
  const span = clampSpan(spanMs);
  return view.live ? { live: true, spanMs: span } : { live: false, spanMs: span, endT: Math.max(span, view.endT) };
}

/** Freeze a live view where it is now (the Live button, pressed while live). */
export function freezeAt(view: TimeView, now: number): TimeView {
  return { live: false, spanMs: view.spanMs, endT: Math.max(view.spanMs, now) };
}
