/**
 * Instances: live instances (one card each) and retired ones, from lifecycle events. What a
 * snapshot shows of an instance follows the fold the engine uses too (`protocol/instance-fold.ts`);
 * this adds what only the dashboard keeps (output, counts, the exit, retired instances).
 */
import { foldInstanceEvent, isInstanceEvent, startingInstance } from '../../../protocol/instance-fold.ts';
import type { InstanceSnapshot, PoolEvent } from '../../../protocol/index.ts';
import { displayState } from './instance-state.ts';
import { LIMITS, type InstanceRecord, type InstancesState } from './types.ts';

export const initialInstances: InstancesState = { live: new Map(), retired: [], retiredTotal: 0, snapshotT: null };

export function newInstance(instanceId: number, t: number): InstanceRecord {
  return {
    ...startingInstance(instanceId, t),
    drainCause: null,
    stateSince: t,
    drainQuietSince: null,
    instantiatedAt: null,
    instantiationMs: null,
    executor: null,
    spawnReason: null,
    ok: 0,
    failed: 0,
    output: [],
    instantiationError: null,
    exit: null,
  };
}

/** Replaces the live instances with a snapshot's, keeping what only the dashboard knew (output, counts). */
export function instancesFromSnapshot(
  state: InstancesState,
  snapshot: InstanceSnapshot[],
  t: number,
  reset: boolean,
): InstancesState {
  const live = new Map<number, InstanceRecord>();
  for (const s of snapshot) {
    const previous = reset ? undefined : state.live.get(s.instanceId);
    // Time in state: kept when the state is the one this page saw begin; a starting instance's began at its spawn.
    const sameState = previous !== undefined && displayState(previous) === displayState(s);
    const stateSince = sameState ? previous.stateSince : displayState(s) === 'Starting' ? s.createdAt : null;
    const drainQuietSince = sameState && s.inFlight === 0 ? previous.drainQuietSince : null;
    live.set(s.instanceId, {
      ...(previous ?? newInstance(s.instanceId, s.createdAt)),
      status: s.status,
      available: s.available,
      unavailableWhy: s.unavailableWhy,
      draining: s.draining,
      reuseCount: s.reuseCount,
      inFlight: s.inFlight,
      createdAt: s.createdAt,
      memoryBytes: s.memoryBytes,
      stateSince,
      drainQuietSince,
      // The engine's counts (it saw every request); a recording made before it sent them keeps ours.
      ok: s.ok ?? previous?.ok ?? 0,
      failed: s.failed ?? previous?.failed ?? 0,
    });
  }
  return {
    live,
    retired: reset ? [] : state.retired,
    retiredTotal: reset ? 0 : state.retiredTotal,
    snapshotT: t,
  };
}

/** Applies one batch of events; returns the same object when nothing changed. */
export function applyInstanceEvents(state: InstancesState, events: readonly PoolEvent[]): InstancesState {
  const since = state.snapshotT;
  // Copy-on-write: the containers are copied once per batch, on the first change.
  const draft: { live: Map<number, InstanceRecord> | null; retired: InstanceRecord[] | null } = {
    live: null,
    retired: null,
  };
  let retiredTotal = state.retiredTotal;
  const liveDraft = (): Map<number, InstanceRecord> => (draft.live ??= new Map(state.live));
  const retiredDraft = (): InstanceRecord[] => (draft.retired ??= state.retired.slice());
  const put = (record: InstanceRecord): void => void liveDraft().set(record.instanceId, record);
  /** The live record; an unknown id becomes a new record (connected mid-run), a retired one stays retired. */
  const get = (id: number, t: number): InstanceRecord | null => {
    const known = (draft.live ?? state.live).get(id);
    if (known) return known;
    if ((draft.retired ?? state.retired).some((r) => r.instanceId === id)) return null;
    return newInstance(id, t);
  };
  const update = (id: number, t: number, change: (r: InstanceRecord) => Partial<InstanceRecord>): void => {
    const r = get(id, t);
    if (r) put({ ...r, ...change(r) });
  };

  for (const e of events) {
    if (since !== null && e.t <= since) continue; // already in the snapshot
    switch (e.type) {
      case 'worker.spawned':
        put({ ...newInstance(e.instanceId, e.t), spawnReason: e.reason, executor: e.executor ?? null });
        continue;
      case 'worker.instantiated':
        update(e.instanceId, e.t, () => ({ instantiatedAt: e.t, instantiationMs: e.durationMs }));
        continue;
      case 'worker.instantiation_failed':
        update(e.instanceId, e.t, () => ({ instantiationError: e.message }));
        continue;
      case 'guest.output':
        update(e.instanceId, e.t, (r) => {
          const output = r.output.length >= LIMITS.outputLinesPerInstance ? r.output.slice(1) : r.output.slice();
          output.push({ t: e.t, stream: e.stream, line: e.line });
          return { output };
        });
        continue;
      case 'worker.exit': {
        const r = (draft.live ?? state.live).get(e.instanceId) ?? newInstance(e.instanceId, e.t - e.lifetimeMs);
        liveDraft().delete(e.instanceId);
        const retired = retiredDraft();
        retired.unshift({
          ...r,
          available: false,
          inFlight: 0,
          reuseCount: Math.max(r.reuseCount, e.served),
          exit: { cause: e.cause, message: e.message, t: e.t, served: e.served, lifetimeMs: e.lifetimeMs },
        });
        if (retired.length > LIMITS.retired) retired.length = LIMITS.retired;
        retiredTotal++;
        continue;
      }
      default:
        break;
    }
    // What a snapshot shows: the shared fold (counts included), plus the drain cause only cards keep.
    if (!isInstanceEvent(e) || e.instanceId === null) continue;
    const id = e.instanceId;
    // A request can settle after its instance left (the exit event came first): count it there.
    if ((e.type === 'request.completed' || e.type === 'request.failed') && !(draft.live ?? state.live).has(id)) {
      bumpRetired(retiredDraft(), id, e.type === 'request.completed' ? 'ok' : 'failed');
      continue;
    }
    const r = get(id, e.t);
    if (!r) continue;
    const next = withStateTime(r, foldInstanceEvent(r, e), e.t);
    if (e.type === 'worker.draining') put({ ...next, drainCause: e.cause });
    else put(next);
  }
  if (draft.live === null && draft.retired === null && since === null) return state;
  return { live: draft.live ?? state.live, retired: draft.retired ?? state.retired, retiredTotal, snapshotT: null };
}

/** Starts the state clocks the fold does not keep: time in the shown state, and in a quiet drain. */
function withStateTime(before: InstanceRecord, after: InstanceRecord, t: number): InstanceRecord {
  const changed = displayState(after) !== displayState(before);
  const quiet = after.draining && after.inFlight === 0;
  const wasQuiet = before.draining && before.inFlight === 0;
  const drainQuietSince = quiet ? (wasQuiet ? before.drainQuietSince : t) : null;
  if (!changed && drainQuietSince === before.drainQuietSince) return after;
  return { ...after, stateSince: changed ? t : before.stateSince, drainQuietSince };
}

function bumpRetired(retired: InstanceRecord[], instanceId: number, field: 'ok' | 'failed'): void {
  const index = retired.findIndex((r) => r.instanceId === instanceId);
  const r = retired[index];
  if (r) retired[index] = { ...r, [field]: r[field] + 1 };
}

/** Live instances in id order (ids grow with spawn order). */
export function liveInstances(state: InstancesState): InstanceRecord[] {
  return [...state.live.values()].sort((a, b) => a.instanceId - b.instanceId);
}
