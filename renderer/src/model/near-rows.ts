/**
 * Which rows of a long list are in or near the part of it the user can see, so only those are
 * drawn in full (issue 16 §7: under churn the instances panel rebuilt ~3,000 elements a second,
 * almost all of them scrolled out of view). Pure geometry, in CSS px on one axis; the hook that
 * measures it is hooks/useNearRows.ts.
 */

/** Rows [first, end): drawn in full. Every other row is drawn as a light shell of the same size. */
export interface RowRange {
  first: number;
  end: number;
}

/** Everything drawn in full: before the list has been measured, the page draws what it would unwindowed. */
export const ALL_ROWS: RowRange = { first: 0, end: Number.POSITIVE_INFINITY };

export interface ListGeometry {
  /** The list's top and height, in the same coordinates as the view (viewport px). */
  listTop: number;
  listHeight: number;
  /** Its rows as laid out (items / items per row, rounded up). */
  rows: number;
  /** The visible band: its scroll container's box clipped to the window. */
  viewTop: number;
  viewBottom: number;
  /** A row's height when the list has none yet to measure. */
  estimate: number;
}

/**
 * The rows within one view's height of the visible band, on either side: scrolling by up to a
 * screen shows rows already drawn, and the next measurement moves the band before the user sees
 * a shell. Rows are taken as equally tall (the list's height over its rows), which holds for the
 * retired list and, near enough for a band this wide, for the card grid.
 */
export function nearRows(g: ListGeometry): RowRange {
  const rowHeight = g.rows > 0 && g.listHeight > 0 ? g.listHeight / g.rows : g.estimate;
  const view = Math.max(0, g.viewBottom - g.viewTop);
  const margin = Math.max(view, 4 * g.estimate);
  const first = Math.max(0, Math.floor((g.viewTop - margin - g.listTop) / rowHeight));
  const end = Math.max(first, Math.ceil((g.viewBottom + margin - g.listTop) / rowHeight));
  return { first, end };
}

/** Whether item `index` (of `perRow` a row) is in `range`. */
export function inRange(range: RowRange, index: number, perRow: number): boolean {
  const row = Math.floor(index / Math.max(1, perRow));
  return row >= range.first && row < range.end;
}

export function sameRange(a: RowRange, b: RowRange): boolean {
  return a.first === b.first && a.end === b.end;
}
