/**
 * Where each lane and bar of the timeline goes, before anything is drawn: one lane per instance
 * alive in the window (newest first), each as tall as its overlapping requests need, and every
 * lane's place in the scrolled list. Pure: the frame loop, hit testing, keyboard navigation and
 * the tests all read the same layout.
 */
import type { InstanceRecord, RequestRecord } from '../model/types.ts';
import type { TimeWindow } from '../time/time-view.ts';

/** A lane with one request at a time. */
export const LANE_MIN = 22;
/** Space above and below the bars of a lane. */
export const LANE_PAD = 2;
/**
 * The least height of one sub-row (a request overlapping others on the same instance): a 7 px bar
 * and a 1 px gap, still readable and clickable. A lane grows by this per concurrent request.
 */
export const SUBROW_MIN = 8;
/**
 * At most this many sub-rows per lane (a 516 px lane): requests beyond the 64th at once on one
 * instance share the last row. WASIp3 guests rarely run that many at once; the bound keeps one
 * lane from pushing all others out of reach.
 */
export const MAX_SUBROWS = 64;

/** A request an instance took: only those have a bar. */
export type PlacedRequest = RequestRecord & { instanceId: number; acceptedAt: number };

export function isPlaced(r: RequestRecord): r is PlacedRequest {
  return r.instanceId !== null && r.acceptedAt !== null;
}

export interface LaneBar {
  request: PlacedRequest;
  /** Sub-row, 0 at the top of the lane. */
  row: number;
}

export interface Lane {
  instance: InstanceRecord;
  /** From the top of the first lane, in CSS px. */
  top: number;
  height: number;
  rows: number;
  /** The requests in the window, by the time they were accepted (then id). */
  bars: LaneBar[];
}

export interface TimelineLayout {
  lanes: Lane[];
  /** All lanes together. */
  height: number;
  /** Where each request in the window is: its lane's index and its bar. */
  byRequest: ReadonlyMap<number, { lane: number; bar: LaneBar }>;
}

/** The height a lane with `rows` sub-rows takes. */
export const laneHeight = (rows: number): number => Math.max(LANE_MIN, 2 * LANE_PAD + rows * SUBROW_MIN);

/** One sub-row's height in a lane: its rows share what the padding leaves. */
export const rowHeight = (lane: Pick<Lane, 'height' | 'rows'>): number => (lane.height - 2 * LANE_PAD) / lane.rows;

/**
 * The lanes for the instances alive at some point in `window`, newest instance first, with the
 * requests each ran in it. A request's sub-row is the row the reducer gave it when it was accepted
 * (the lowest free one then, `RequestRecord.slot`), so bars never jump as the window moves; a
 * lane has as many rows as its highest row in view.
 */
export function layoutLanes(
  instances: Iterable<InstanceRecord>,
  requests: Iterable<RequestRecord>,
  window: TimeWindow,
  now: number,
): TimelineLayout {
  const alive = [...instances]
    .filter((r) => r.createdAt <= window.end && (r.exit ? r.exit.t >= window.start : true))
    .sort((a, b) => b.instanceId - a.instanceId);
  const ids = new Set(alive.map((r) => r.instanceId));

  const barsOf = new Map<number, LaneBar[]>();
  for (const r of requests) {
    if (!isPlaced(r) || !ids.has(r.instanceId)) continue;
    if ((r.endedAt ?? now) < window.start || r.acceptedAt > window.end) continue;
    let bars = barsOf.get(r.instanceId);
    if (!bars) barsOf.set(r.instanceId, (bars = []));
    bars.push({ request: r, row: Math.min(Math.max(0, r.slot), MAX_SUBROWS - 1) });
  }

  const lanes: Lane[] = [];
  const byRequest = new Map<number, { lane: number; bar: LaneBar }>();
  let top = 0;
  for (const instance of alive) {
    const bars = (barsOf.get(instance.instanceId) ?? []).sort(
      (a, b) => a.request.acceptedAt - b.request.acceptedAt || a.request.requestId - b.request.requestId,
    );
    const rows = bars.reduce((m, b) => Math.max(m, b.row + 1), 1);
    const height = laneHeight(rows);
    for (const bar of bars) byRequest.set(bar.request.requestId, { lane: lanes.length, bar });
    lanes.push({ instance, top, height, rows, bars });
    top += height;
  }
  return { lanes, height: top, byRequest };
}

/** The lanes that show, wholly or in part, between `top` and `bottom` (a scrolled view), as an index range. */
export function lanesBetween(layout: TimelineLayout, top: number, bottom: number): { first: number; end: number } {
  const { lanes } = layout;
  // Binary search for the first lane ending below `top`: hundreds of lanes, 30 frames a second.
  let lo = 0;
  let hi = lanes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const lane = lanes[mid];
    if (lane && lane.top + lane.height <= top) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < lanes.length && (lanes[end]?.top ?? bottom) < bottom) end++;
  return { first: lo, end };
}

/** The lane label's state: what the instance is doing, or why it ended. */
export function laneState(r: InstanceRecord): string {
  if (r.exit) return r.exit.cause; // drained, idle-timeout, trap…: why its lane ends
  if (r.draining) return 'draining';
  switch (r.status) {
    case 'Starting':
      return 'starting';
    case 'Idle':
      return 'idle';
    case 'Requests':
      return r.inFlight > 1 ? `busy ×${r.inFlight}` : 'busy';
    case 'PostReturn':
      return 'post-return';
  }
}
