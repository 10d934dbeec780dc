/**
 * Keyboard navigation between the timeline's requests: left and right step through one lane's
 * requests in time order, up and down go to the request of the next lane with any that is nearest
 * in time. Pure over a layout.
 */
import type { Lane, TimelineLayout } from './layout.ts';

export type NavKey = 'left' | 'right' | 'up' | 'down' | 'first' | 'last';

/**
 * The request focused after `key`, from `focused` (null, or a request no longer in the window:
 * start at the newest request of the topmost lane that has any). Null when the window has none.
 * At an edge the focus stays where it is.
 */
export function moveFocus(layout: TimelineLayout, focused: number | null, key: NavKey): number | null {
  const at = focused === null ? undefined : layout.byRequest.get(focused);
  if (!at) return entry(layout);
  const lane = layout.lanes[at.lane];
  if (!lane) return entry(layout);
  const index = lane.bars.indexOf(at.bar);
  switch (key) {
    case 'left':
      return lane.bars[Math.max(0, index - 1)]?.request.requestId ?? focused;
    case 'right':
      return lane.bars[Math.min(lane.bars.length - 1, index + 1)]?.request.requestId ?? focused;
    case 'first':
      return lane.bars[0]?.request.requestId ?? focused;
    case 'last':
      return lane.bars.at(-1)?.request.requestId ?? focused;
    case 'up':
    case 'down': {
      const step = key === 'up' ? -1 : 1;
      for (let i = at.lane + step; i >= 0 && i < layout.lanes.length; i += step) {
        const next = layout.lanes[i];
        if (next && next.bars.length > 0) return nearestInTime(next, at.bar.request.acceptedAt);
      }
      return focused;
    }
  }
}

function entry(layout: TimelineLayout): number | null {
  const lane = layout.lanes.find((l) => l.bars.length > 0);
  return lane?.bars.at(-1)?.request.requestId ?? null;
}

/** The lane's request accepted nearest to `t` (the earlier one on a tie). */
function nearestInTime(lane: Lane, t: number): number | null {
  let best: number | null = null;
  let distance = Number.POSITIVE_INFINITY;
  for (const bar of lane.bars) {
    const d = Math.abs(bar.request.acceptedAt - t);
    if (d < distance) {
      best = bar.request.requestId;
      distance = d;
    }
  }
  return best;
}

/** The key a keyboard event means for navigation, or null. */
export function navKeyOf(key: string): NavKey | null {
  switch (key) {
    case 'ArrowLeft':
      return 'left';
    case 'ArrowRight':
      return 'right';
    case 'ArrowUp':
      return 'up';
    case 'ArrowDown':
      return 'down';
    default:
      return null;
  }
}
