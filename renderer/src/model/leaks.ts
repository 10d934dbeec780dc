/**
 * Leaks slice: what the leak detector found (replays of reused instances' answers on fresh ones)
 * and how each instance's memory grew with the requests it served.
 */
import type {
  InstanceSnapshot,
  LeakDetectionMode,
  LeakSkipReason,
  PoolEvent,
  Snapshot,
} from '../../../protocol/index.ts';
import { entriesOf } from './entries.ts';
import { LIMITS, type LeakFinding, type LeaksState, type MemoryGrowthWarning, type MemoryPoint } from './types.ts';

export const initialLeaks: LeaksState = {
  settings: null,
  checked: 0,
  same: 0,
  leaks: 0,
  failedOnReuse: 0,
  errors: 0,
  skipped: {},
  skippedTotal: 0,
  pending: 0,
  findings: [],
  byInstance: new Map(),
  checkedByInstance: new Map(),
  byRequest: new Map(),
  lastError: null,
  memory: new Map(),
  growth: new Map(),
};

/** Applies one batch of events; returns the same object when none of them concerns this slice. */
export function applyLeakEvents(state: LeaksState, events: readonly PoolEvent[]): LeaksState {
  // Copy-on-write: each container is copied once per batch, on its first change.
  const d: { -readonly [K in keyof LeaksState]: LeaksState[K] } = { ...state };
  let changed = false;
  let findings: LeakFinding[] | null = null;
  let byInstance: Map<number, number> | null = null;
  let checkedByInstance: Map<number, number> | null = null;
  let byRequest: Map<number, LeakFinding> | null = null;
  let memory: Map<number, MemoryPoint[]> | null = null;
  let growth: Map<number, MemoryGrowthWarning> | null = null;

  for (const e of events) {
    switch (e.type) {
      case 'leak.checked': {
        changed = true;
        d.checked++;
        // Absent in recordings made before the replay queue: nothing was ever left waiting.
        d.pending = e.pending ?? 0;
        checkedByInstance ??= new Map(state.checkedByInstance);
        checkedByInstance.set(e.instanceId, (checkedByInstance.get(e.instanceId) ?? 0) + 1);
        trimMap(checkedByInstance);
        if (e.verdict === 'same') d.same++;
        else if (e.verdict === 'error') {
          d.errors++;
          d.lastError = {
            requestId: e.requestId,
            instanceId: e.instanceId,
            message: e.message ?? 'the replay failed',
            t: e.t,
          };
        } else {
          const failedOnReuse = e.verdict === 'failed-on-reuse';
          d.leaks++;
          if (failedOnReuse) d.failedOnReuse++;
          const finding: LeakFinding = {
            requestId: e.requestId,
            instanceId: e.instanceId,
            reuseIndex: e.reuseIndex,
            method: e.method,
            uri: e.uri,
            requestHeaders: e.requestHeaders ?? [],
            requestBodyBytes: e.requestBodyBytes ?? 0,
            differences: e.differences,
            replayMs: e.replayMs,
            t: e.t,
            kind: failedOnReuse ? 'failed-on-reuse' : 'leak',
            failure: failedOnReuse ? (e.message ?? 'the reused instance failed') : null,
            outgoing: e.outgoing ?? null,
          };
          (findings ??= state.findings.slice()).unshift(finding);
          (byRequest ??= new Map(state.byRequest)).set(e.requestId, finding);
          byInstance ??= new Map(state.byInstance);
          byInstance.set(e.instanceId, (byInstance.get(e.instanceId) ?? 0) + 1);
          trimMap(byInstance);
        }
        break;
      }
      case 'leak.skipped': {
        changed = true;
        const skipped = { ...d.skipped };
        // The protocol's schema keys `counts` by skip reason, and a reason present has a count.
        for (const [reason, n] of Object.entries(e.counts) as Array<[keyof typeof skipped, number]>) {
          skipped[reason] = (skipped[reason] ?? 0) + n;
          d.skippedTotal += n;
        }
        d.skipped = skipped;
        if (e.pending !== undefined) d.pending = e.pending;
        break;
      }
      case 'worker.memory': {
        // Events recorded before requestsDone existed carry no x for the curve.
        if (!Number.isFinite(e.requestsDone)) break;
        changed = true;
        memory ??= new Map(state.memory);
        memory.set(
          e.instanceId,
          withPoint(memory.get(e.instanceId) ?? [], { requestsDone: e.requestsDone, bytes: e.bytes }),
        );
        break;
      }
      case 'worker.memory_growth': {
        changed = true;
        growth ??= new Map(state.growth);
        const { instanceId, bytesPerRequest, fromBytes, toBytes, requests, t } = e;
        growth.delete(instanceId); // re-inserted as the newest
        growth.set(instanceId, { instanceId, bytesPerRequest, fromBytes, toBytes, requests, t });
        trimMap(growth);
        break;
      }
      case 'worker.exit':
        // Curves are drawn on live cards only; what a retired instance grew by stays in `growth`.
        if (!(memory ?? state.memory).has(e.instanceId)) break;
        changed = true;
        memory ??= new Map(state.memory);
        memory.delete(e.instanceId);
        break;
      default:
        break;
    }
  }
  if (!changed) return state;
  if (findings !== null && byRequest !== null) trimFindings(findings, byRequest);
  return {
    ...d,
    findings: findings ?? state.findings,
    byRequest: byRequest ?? state.byRequest,
    byInstance: byInstance ?? state.byInstance,
    checkedByInstance: checkedByInstance ?? state.checkedByInstance,
    memory: memory ?? state.memory,
    growth: growth ?? state.growth,
  };
}

/** Drops the oldest findings beyond the cap, and their request lookups (so both stay capped). */
function trimFindings(findings: LeakFinding[], byRequest: Map<number, LeakFinding>): void {
  for (const dropped of findings.splice(LIMITS.leakFindings)) {
    if (byRequest.get(dropped.requestId) === dropped) byRequest.delete(dropped.requestId);
  }
}

/** Adds a measurement in `requestsDone` order (replacing one at the same x), thinning the curve beyond the cap. */
function withPoint(points: readonly MemoryPoint[], point: MemoryPoint): MemoryPoint[] {
  const next = points.filter((p) => p.requestsDone !== point.requestsDone);
  let at = next.length;
  // biome-ignore lint/style/noNonNullAssertion: 0 < at ≤ next.length
  while (at > 0 && next[at - 1]!.requestsDone > point.requestsDone) at--;
  next.splice(at, 0, point);
  if (next.length <= LIMITS.memoryPointsPerInstance) return next;
  // Halve the resolution but keep the whole span (first and last point), so the shape survives.
  return next.filter((_, i) => i % 2 === 0 || i === next.length - 1);
}

/** Maps keyed by instance id keep the most recently inserted entries. */
function trimMap(map: Map<number, unknown>): void {
  for (const key of map.keys()) {
    if (map.size <= LIMITS.leakInstances) break;
    map.delete(key);
  }
}

/**
 * A snapshot: the detector's settings, and a starting point for the memory curves of instances
 * this dashboard has not seen a measurement of (it connected mid-run). A new run starts afresh.
 */
export function leaksFromSnapshot(state: LeaksState, s: Snapshot, reset: boolean): LeaksState {
  const base = reset ? initialLeaks : state;
  let memory: Map<number, MemoryPoint[]> | null = null;
  for (const instance of s.instances) {
    const seed = seedPoint(instance);
    if (!seed || base.memory.has(instance.instanceId)) continue;
    (memory ??= new Map(base.memory)).set(instance.instanceId, [seed]);
  }
  return { ...base, settings: s.leakDetection ?? base.settings, memory: memory ?? base.memory };
}

function seedPoint(instance: InstanceSnapshot): MemoryPoint | null {
  if (instance.memoryBytes === null) return null;
  return { requestsDone: Math.max(0, instance.reuseCount - instance.inFlight), bytes: instance.memoryBytes };
}

/** Forget history (the `clearHistory` command): counts and findings go; settings and what live instances show stay. */
export function clearLeakHistory(state: LeaksState, liveIds: ReadonlySet<number>): LeaksState {
  return {
    ...initialLeaks,
    settings: state.settings,
    // Replays already queued still report; the count of what is left stays true.
    pending: state.pending,
    memory: state.memory,
    growth: new Map([...state.growth].filter(([id]) => liveIds.has(id))),
  };
}

/** The findings to list: all of them, or one instance's. */
export function findingsFor(state: LeaksState, instanceId: number | null): LeakFinding[] {
  return instanceId === null ? state.findings : state.findings.filter((f) => f.instanceId === instanceId);
}

/**
 * The curve to draw: sizes are reported only when they change, so the last size holds until the
 * requests the instance has finished by now (`doneNow`).
 */
export function memoryCurve(points: readonly MemoryPoint[], doneNow: number): MemoryPoint[] {
  const last = points[points.length - 1];
  if (!last || doneNow <= last.requestsDone) return points.slice();
  return [...points, { requestsDone: doneNow, bytes: last.bytes }];
}

/** How each skip reason reads in "K skipped: …". */
export const SKIP_LABELS: Record<LeakSkipReason, string> = {
  'replays-busy': 'replays busy',
  'queue-full': 'queue full',
  'rate-limited': 'over the replay rate',
  'unsafe-method': 'unsafe method',
  'body-too-large': 'body too large',
  'not-answered': 'not answered',
  stopped: 'stopped before replay',
};

/** What the detector did with the reused answers it was given: checked + skipped + pending = of. */
export interface LeakCoverage {
  checked: number;
  /** Reused answers the detector took (every one in mode `all`, the sampled ones in `sample`). */
  of: number;
  skipped: number;
  /** Skip reasons, largest count first. */
  reasons: Array<[LeakSkipReason, number]>;
  pending: number;
}

export function leakCoverage(state: LeaksState): LeakCoverage {
  const reasons = entriesOf(state.skipped)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return {
    checked: state.checked,
    of: state.checked + state.skippedTotal + state.pending,
    skipped: state.skippedTotal,
    reasons,
    pending: state.pending,
  };
}

/**
 * "checked 5 of 9 reused answers (3 skipped: 2 queue full, 1 unsafe method; 1 pending)": what was
 * checked, said where the findings are. In mode `sample` the answers are the sampled ones.
 */
export function coverageText(c: LeakCoverage, mode: LeakDetectionMode | null): string {
  const what = mode === 'sample' ? 'sampled reused answers' : 'reused answers';
  const notes: string[] = [];
  if (c.skipped > 0)
    notes.push(`${c.skipped} skipped: ${c.reasons.map(([r, n]) => `${n} ${SKIP_LABELS[r]}`).join(', ')}`);
  if (c.pending > 0) notes.push(`${c.pending} pending`);
  return `checked ${c.checked} of ${c.of} ${what}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

/** An instance's leak badge: "1 leak in 7 checked" (older recordings may lack the checked count). */
export function badgeText(leaks: number, checked: number): string {
  const found = `${leaks} leak${leaks === 1 ? '' : 's'}`;
  return checked >= leaks && checked > 0 ? `${found} in ${checked} checked` : found;
}
