import { useLayoutEffect, useState } from 'react';
import { ALL_ROWS, nearRows, type RowRange, sameRange } from '../model/near-rows.ts';

/** Marks the element that scrolls a list (a panel's body): the visible band is its box. */
export const SCROLL_ROOT_ATTRIBUTE = 'data-scroll-root';

/** The CSS custom property, set on the list, that gives its shells their block size. */
export const SHELL_SIZE_PROPERTY = '--shell-block-size';

export interface NearRows {
  range: RowRange;
  /** Items per row: a grid's columns as laid out, 1 for a plain list. */
  perRow: number;
}

/**
 * Which rows of a list are in or near view (model/near-rows.ts); pass the returned ref to the
 * list. It measures once the list is mounted, when the user scrolls anything the list is in, and
 * when the list or its scroll container is resized; it re-renders only when the band of rows
 * moves. Scroll events and resize observations come after layout, once a frame, so measuring in
 * them forces no layout; nothing is read while rendering.
 */
export function useNearRows({
  estimate,
  grid = false,
}: {
  /** A row's height in CSS px before there are rows to measure. */
  estimate: number;
  /** The list is a CSS grid: its resolved columns are the items per row. */
  grid?: boolean;
}): [(list: HTMLElement | null) => void, NearRows] {
  const [list, setList] = useState<HTMLElement | null>(null);
  const [near, setNear] = useState<NearRows>({ range: ALL_ROWS, perRow: 1 });
  useLayoutEffect(() => {
    if (!list) return;
    const root = list.closest(`[${SCROLL_ROOT_ATTRIBUTE}]`);
    const measure = (): void => {
      const box = list.getBoundingClientRect();
      const rootBox = root?.getBoundingClientRect();
      // A grid's resolved columns ("240px 240px 240px"): auto-fill decides them, not this code.
      const perRow = grid ? Math.max(1, getComputedStyle(list).gridTemplateColumns.split(' ').length) : 1;
      const range = nearRows({
        listTop: box.top,
        listHeight: box.height,
        rows: Math.ceil(list.childElementCount / perRow),
        viewTop: Math.max(0, rootBox?.top ?? 0),
        viewBottom: Math.min(window.innerHeight, rootBox?.bottom ?? window.innerHeight),
        estimate,
      });
      // Shells (components/InstanceShells.tsx) take the size of an item drawn in full, so the
      // rows in view do not move when rows beside them are drawn or reduced.
      const drawn = list.querySelector<HTMLElement>(':scope > :not([data-shell])');
      const size = drawn ? `${drawn.offsetHeight}px` : '';
      if (drawn && list.style.getPropertyValue(SHELL_SIZE_PROPERTY) !== size) {
        list.style.setProperty(SHELL_SIZE_PROPERTY, size);
      }
      // The same band returns the same state: React then skips the render.
      setNear((old) => (old.perRow === perRow && sameRange(old.range, range) ? old : { range, perRow }));
    };
    // Only scrolls that move the list: the page's, or a container's the list is in.
    const scrolled = (event: Event): void => {
      const target = event.target;
      if (target === document || (target instanceof Node && target.contains(list))) measure();
    };
    measure();
    const resized = new ResizeObserver(measure);
    resized.observe(list);
    if (root) resized.observe(root);
    document.addEventListener('scroll', scrolled, { capture: true, passive: true });
    window.addEventListener('resize', measure);
    return () => {
      resized.disconnect();
      document.removeEventListener('scroll', scrolled, { capture: true });
      window.removeEventListener('resize', measure);
    };
  }, [list, estimate, grid]);
  return [setList, near];
}
