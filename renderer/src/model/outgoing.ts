/**
 * Outgoing slice: each instance's outgoing HTTP requests (`request.outgoing`), for the timeline
 * and the cards. Bounded twice: the engine reports at most 100 a second per instance (counting
 * the rest in `request.outgoing_dropped`), and this keeps the newest `LIMITS.outgoingPerInstance`
 * per instance, counting what it let go, so drawing a lane costs the same however chatty its guest.
 */
import { callOf, type PoolEvent } from '../../../protocol/index.ts';
import { LIMITS, type OutgoingRecord, type OutgoingState } from './types.ts';

export const initialOutgoing: OutgoingState = { byInstance: new Map(), notKept: new Map(), total: 0, failed: 0 };

/** Applies one batch of events; returns the same object when none of them is an outgoing request. */
export function applyOutgoingEvents(state: OutgoingState, events: readonly PoolEvent[]): OutgoingState {
  let byInstance: Map<number, readonly OutgoingRecord[]> | null = null;
  let notKept: Map<number, number> | null = null;
  /** Lists copied in this batch (each once, on its first change), by instance: the ones this batch may change. */
  const copied = new Map<number, OutgoingRecord[]>();
  let { total, failed } = state;
  const uncount = (instanceId: number, n: number): void => {
    notKept ??= new Map(state.notKept);
    notKept.set(instanceId, (notKept.get(instanceId) ?? 0) + n);
  };

  for (const e of events) {
    if (e.type === 'request.outgoing') {
      total++;
      if (e.outcome === 'failed') failed++;
      byInstance ??= new Map(state.byInstance);
      let list = copied.get(e.instanceId);
      if (!list) {
        list = (byInstance.get(e.instanceId) ?? []).slice();
        copied.set(e.instanceId, list);
        // Re-inserted, so the map's order is the order instances were last heard of.
        byInstance.delete(e.instanceId);
        byInstance.set(e.instanceId, list);
      }
      list.push({ ...callOf(e), seq: e.seq, t: e.t, instanceId: e.instanceId, requestId: e.requestId });
      if (list.length > LIMITS.outgoingPerInstance) {
        const excess = list.length - LIMITS.outgoingPerInstance;
        list.splice(0, excess);
        uncount(e.instanceId, excess);
      }
    } else if (e.type === 'request.outgoing_dropped') {
      total += e.count;
      failed += e.failed;
      uncount(e.instanceId, e.count);
    }
  }
  if (byInstance === null && notKept === null) return state;
  if (byInstance !== null) trimInstances(byInstance, (notKept ??= new Map(state.notKept)));
  if (notKept !== null) trimCounts(notKept);
  return { byInstance: byInstance ?? state.byInstance, notKept: notKept ?? state.notKept, total, failed };
}

/** Forgets the instances heard of longest ago beyond the cap. */
function trimInstances(byInstance: Map<number, readonly OutgoingRecord[]>, notKept: Map<number, number>): void {
  for (const id of byInstance.keys()) {
    if (byInstance.size <= LIMITS.outgoingInstances) break;
    byInstance.delete(id);
    notKept.delete(id);
  }
}

function trimCounts(notKept: Map<number, number>): void {
  for (const id of notKept.keys()) {
    if (notKept.size <= LIMITS.outgoingInstances) break;
    notKept.delete(id);
  }
}

/** Forget history (the `clearHistory` command): only live instances keep what they did. */
export function clearOutgoingHistory(state: OutgoingState, liveIds: ReadonlySet<number>): OutgoingState {
  return {
    byInstance: new Map([...state.byInstance].filter(([id]) => liveIds.has(id))),
    notKept: new Map([...state.notKept].filter(([id]) => liveIds.has(id))),
    total: 0,
    failed: 0,
  };
}

/** The outgoing requests a guest request made (those the engine named it for), in order. */
export function outgoingOfRequest(state: OutgoingState, instanceId: number, requestId: number): OutgoingRecord[] {
  return (state.byInstance.get(instanceId) ?? []).filter((o) => o.requestId === requestId);
}
