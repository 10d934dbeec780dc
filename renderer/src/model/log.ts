/** Log slice: the most recent events, and a filter over them. */
import {
  describeCallTarget,
  MAX_OUTGOING_EVENTS_PER_SECOND,
  type LeakChecked,
  type OutgoingCall,
  type PoolEvent,
  type PoolEventType,
} from '../../../protocol/index.ts';
import { memoryGrowthRate, memoryGrowthSpan } from '../../../base/memory-growth.ts';
import { fmtBytes, fmtMs } from './format.ts';
import { matchingRequestIds, type RequestMatch } from './request-match.ts';
import { LIMITS, type LogState } from './types.ts';

export const initialLog: LogState = { events: [], total: 0, dropped: 0 };

/** Appends a batch; the oldest events beyond the cap go. */
export function applyLogEvents(state: LogState, events: readonly PoolEvent[], dropped: number): LogState {
  if (events.length === 0 && dropped === 0) return state;
  const joined = state.events.concat(events);
  return {
    events: joined.length > LIMITS.logEvents ? joined.slice(joined.length - LIMITS.logEvents) : joined,
    total: state.total + events.length,
    dropped: state.dropped + dropped,
  };
}

export const EVENT_TYPES: readonly PoolEventType[] = [
  'request.received',
  'request.dispatched',
  'request.accepted',
  'request.responded',
  'request.completed',
  'request.expired',
  'request.failed',
  'request.outgoing',
  'request.outgoing_dropped',
  'worker.spawned',
  'worker.instantiated',
  'worker.instantiation_failed',
  'worker.available',
  'worker.unavailable',
  'worker.status',
  'worker.draining',
  'worker.exit',
  'worker.memory',
  'worker.memory_growth',
  'guest.output',
  'leak.checked',
  'leak.skipped',
  'pool.gauges',
];

export interface LogFilter {
  /** Types hidden from the log. */
  hidden: readonly PoolEventType[];
  /** Instance id to show only, or null. */
  instanceId: number | null;
  /** Request id to show only, or null. */
  requestId: number | null;
  /** Only the events of requests with this outcome (a status, a failure kind), or null. */
  requests: RequestMatch | null;
}

export const DEFAULT_LOG_FILTER: LogFilter = {
  hidden: ['pool.gauges'],
  instanceId: null,
  requestId: null,
  requests: null,
};

/** Events the filter lets through, in order. */
export function filterEvents(events: readonly PoolEvent[], filter: LogFilter): PoolEvent[] {
  const hidden = new Set(filter.hidden);
  const matching = filter.requests ? matchingRequestIds(events, filter.requests) : null;
  return events.filter((e) => {
    if (hidden.has(e.type)) return false;
    if (matching && (!('requestId' in e) || e.requestId === null || !matching.has(e.requestId))) return false;
    if (filter.instanceId !== null && (!('instanceId' in e) || e.instanceId !== filter.instanceId)) return false;
    if (filter.requestId !== null && (!('requestId' in e) || e.requestId !== filter.requestId)) return false;
    return true;
  });
}

/** One line of text describing an event (its type and ids are shown in their own columns). */
export function describeEvent(e: PoolEvent): string {
  switch (e.type) {
    case 'request.received':
      return `${e.method} ${e.uri}`;
    case 'request.dispatched':
      return e.mode;
    case 'request.accepted':
      return `reuse #${e.reuseCount}, ${e.inFlight} in flight`;
    case 'request.responded':
      return `${e.status} after ${fmtMs(e.latencyMs)}`;
    case 'request.completed':
      return `${e.bodyBytes} B in ${fmtMs(e.durationMs)}`;
    case 'request.expired':
      return `expired after ${fmtMs(e.latencyMs)}`;
    case 'request.failed':
      return `${e.kind}: ${e.message}`;
    case 'request.outgoing':
      return describeCall(e);
    case 'request.outgoing_dropped':
      return `${e.count} more outgoing requests${e.failed ? ` (${e.failed} failed)` : ''}, past ${MAX_OUTGOING_EVENTS_PER_SECOND}/s, counted only`;
    case 'worker.spawned':
      return e.executor === undefined ? e.reason : `${e.reason}, on executor ${e.executor}`;
    case 'worker.instantiated':
      return `in ${fmtMs(e.durationMs)}`;
    case 'worker.instantiation_failed':
      return `${e.message} (${e.failedRequests} failed)`;
    case 'worker.available':
      return 'available';
    case 'worker.unavailable':
      return e.why;
    case 'worker.status':
      return e.status;
    case 'worker.draining':
      return e.cause;
    case 'worker.exit':
      return `${e.cause}, served ${e.served}, lived ${fmtMs(e.lifetimeMs)}${e.message ? ` — ${e.message}` : ''}`;
    case 'worker.memory':
      if (e.requestsDone === 0) return `${fmtBytes(e.bytes)} at start`;
      return Number.isFinite(e.requestsDone)
        ? `${fmtBytes(e.bytes)} after request ${e.requestsDone}`
        : fmtBytes(e.bytes);
    case 'worker.memory_growth':
      return `grows ${memoryGrowthRate(e)} (${memoryGrowthSpan(e)})`;
    case 'leak.checked':
      return describeLeakCheck(e);
    case 'leak.skipped':
      return `not replayed: ${Object.entries(e.counts)
        .map(([reason, n]) => `${n} ${reason}`)
        .join(', ')}`;
    case 'guest.output':
      return `${e.stream}: ${e.line}`;
    case 'pool.gauges':
      return `live ${e.liveInstances}, available ${e.availableWorkers}, queue ${e.queueDepth}, in flight ${e.inFlight}`;
  }
}

/** `GET http://host/path → 200 in 3.1ms (12 B ↑ 2.0 KiB ↓)`, or how it failed or was let go. */
export function describeCall(c: OutgoingCall): string {
  const target = describeCallTarget(c);
  const took = fmtMs(c.durationMs);
  if (c.outcome === 'failed') {
    const at = c.status === null ? '' : ` after ${c.status}`;
    return `${target} failed${at}: ${c.error?.tag ?? 'error'}${c.error?.detail ? ` (${c.error.detail})` : ''} in ${took}`;
  }
  const bytes = ` (${fmtBytes(c.requestBytes)} ↑ ${fmtBytes(c.responseBytes)} ↓)`;
  if (c.outcome === 'dropped')
    return `${target} let go by the guest${c.status === null ? '' : ` after ${c.status}`} in ${took}${bytes}`;
  return `${target} → ${c.status ?? '?'} in ${took}${bytes}`;
}

function describeLeakCheck(e: LeakChecked): string {
  const what = `reuse #${e.reuseIndex}, ${e.method} ${e.uri}`;
  if (e.verdict === 'same') return `same as a fresh instance (${what})`;
  if (e.verdict === 'error') return `replay failed (${what}): ${e.message ?? ''}`;
  if (e.verdict === 'failed-on-reuse')
    return `FAILED ON REUSE (${what}): ${e.message ?? ''}; a fresh instance answered`;
  return `LEAK (${what}): ${e.differences.join('; ')}`;
}
