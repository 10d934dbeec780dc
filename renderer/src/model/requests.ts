/** Requests slice: one record per request (for the timeline), failed requests, lane rows. */
import type { PoolEvent } from '../../../protocol/index.ts';
import { LIMITS, type RequestRecord, type RequestsState } from './types.ts';

export const initialRequests: RequestsState = {
  byId: new Map(),
  failed: [],
  failedTotal: 0,
  failedByKind: {},
  received: 0,
  ok: 0,
  lanes: new Map(),
};

function newRequest(requestId: number, t: number): RequestRecord {
  return {
    requestId,
    method: '?',
    uri: '?',
    receivedAt: t,
    dispatchMode: null,
    acceptedAt: null,
    instanceId: null,
    reuseIndex: null,
    slot: 0,
    status: null,
    respondedAt: null,
    endedAt: null,
    latencyMs: null,
    durationMs: null,
    outcome: 'waiting',
    failure: null,
    expired: false,
  };
}

/** Applies one batch of events; returns the same object when no request event is in it. */
export function applyRequestEvents(state: RequestsState, events: readonly PoolEvent[]): RequestsState {
  // Copy-on-write: containers are copied once per batch, on the first change.
  const draft: {
    byId: Map<number, RequestRecord> | null;
    lanes: Map<number, ReadonlyArray<number | null>> | null;
    failed: RequestRecord[] | null;
  } = { byId: null, lanes: null, failed: null };
  let { failedTotal, failedByKind, received, ok } = state;
  /** Lane rows copied in this batch (each once, before its first change), by instance. */
  const copiedLanes = new Map<number, Array<number | null>>();

  const records = (): Map<number, RequestRecord> => (draft.byId ??= new Map(state.byId));
  const get = (id: number, t: number): RequestRecord => records().get(id) ?? newRequest(id, t);
  const put = (r: RequestRecord): void => void records().set(r.requestId, r);
  const lanes = (): Map<number, ReadonlyArray<number | null>> => (draft.lanes ??= new Map(state.lanes));
  const lane = (instanceId: number): Array<number | null> => {
    let rows = copiedLanes.get(instanceId);
    if (!rows) {
      rows = (lanes().get(instanceId) ?? []).slice();
      copiedLanes.set(instanceId, rows);
      lanes().set(instanceId, rows);
    }
    return rows;
  };
  const release = (r: RequestRecord): void => {
    if (r.instanceId === null || r.acceptedAt === null) return;
    const rows = lane(r.instanceId);
    if (rows[r.slot] === r.requestId) rows[r.slot] = null;
    while (rows.length > 0 && rows[rows.length - 1] === null) rows.pop();
    if (rows.length === 0) {
      lanes().delete(r.instanceId);
      copiedLanes.delete(r.instanceId);
    }
  };

  for (const e of events) {
    switch (e.type) {
      case 'request.received':
        received++;
        put({ ...newRequest(e.requestId, e.t), method: e.method, uri: e.uri });
        break;
      case 'request.dispatched':
        put({ ...get(e.requestId, e.t), dispatchMode: e.mode });
        break;
      case 'request.accepted': {
        const rows = lane(e.instanceId);
        let slot = rows.indexOf(null);
        if (slot < 0) slot = rows.length;
        rows[slot] = e.requestId;
        put({
          ...get(e.requestId, e.t),
          acceptedAt: e.t,
          instanceId: e.instanceId,
          reuseIndex: e.reuseCount,
          slot,
          outcome: 'running',
        });
        break;
      }
      case 'request.responded':
        put({ ...get(e.requestId, e.t), status: e.status, respondedAt: e.t, latencyMs: e.latencyMs });
        break;
      case 'request.completed': {
        const r = get(e.requestId, e.t);
        release(r);
        ok++;
        put({ ...r, endedAt: e.t, durationMs: e.durationMs, outcome: 'ok' });
        break;
      }
      case 'request.expired':
        put({ ...get(e.requestId, e.t), expired: true });
        break;
      case 'request.failed': {
        const r = get(e.requestId, e.t);
        release(r);
        const done: RequestRecord = {
          ...r,
          instanceId: r.instanceId ?? e.instanceId,
          endedAt: e.t,
          latencyMs: r.latencyMs ?? e.latencyMs,
          outcome: 'failed',
          failure: { kind: e.kind, message: e.message },
        };
        put(done);
        const failed = (draft.failed ??= state.failed.slice());
        failed.unshift(done);
        if (failed.length > LIMITS.failed) failed.length = LIMITS.failed;
        failedTotal++;
        failedByKind = { ...failedByKind, [e.kind]: (failedByKind[e.kind] ?? 0) + 1 };
        break;
      }
      default:
        break;
    }
  }
  if (draft.byId === null) return state;
  trimOldest(draft.byId);
  return {
    byId: draft.byId,
    failed: draft.failed ?? state.failed,
    failedTotal,
    failedByKind,
    received,
    ok,
    lanes: draft.lanes ?? state.lanes,
  };
}

/** Drops the oldest records beyond the cap (Map order is receipt order). */
function trimOldest(byId: Map<number, RequestRecord>): void {
  let excess = byId.size - LIMITS.requests;
  if (excess <= 0) return;
  for (const id of byId.keys()) {
    if (excess-- <= 0) break;
    byId.delete(id);
  }
}
