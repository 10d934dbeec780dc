/**
 * Scroll anchoring for the timeline's lanes (newest instance first): a view scrolled down to some
 * lane stays on it while lanes come in above it (new instances) or its own and others change height
 * (overlapping requests), as the browser's `overflow-anchor` does for DOM content. At the top, the
 * view stays at the top, following the newest instances.
 */
import { lanesBetween, type TimelineLayout } from './layout.ts';

/**
 * Where to scroll in `after` to show what `scrollTop` showed in `before`: the first lane at or
 * below the view's top edge that is in both keeps its distance from that edge. Unchanged when
 * the view is at the top, or when none of those lanes is left.
 */
export function anchoredScrollTop(before: TimelineLayout, after: TimelineLayout, scrollTop: number): number {
  if (scrollTop <= 0 || before === after) return scrollTop;
  const tops = new Map<number, number>();
  for (const lane of after.lanes) tops.set(lane.instance.instanceId, lane.top);
  for (const lane of before.lanes.slice(lanesBetween(before, scrollTop, scrollTop).first)) {
    const top = tops.get(lane.instance.instanceId);
    if (top !== undefined) return Math.max(0, scrollTop + top - lane.top);
  }
  return scrollTop;
}
