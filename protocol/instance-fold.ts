/**
 * How pool events change an instance as a snapshot shows it. One fold for both sides: the engine's
 * session follows the stream with it (so a dashboard connecting mid-run gets a snapshot), and the
 * dashboard folds the same events into its instance cards, which carry more fields on top.
 */
import type { InstanceSnapshot } from './snapshot.ts';
import type { PoolEvent } from './events.ts';

/** The events `foldInstanceEvent` reads: each is about one instance, named by `instanceId`. */
export type InstanceEvent = Extract<
  PoolEvent,
  {
    type:
      | 'worker.status'
      | 'worker.available'
      | 'worker.unavailable'
      | 'worker.draining'
      | 'worker.memory'
      | 'request.accepted'
      | 'request.completed'
      | 'request.failed';
  }
>;

const INSTANCE_EVENT_TYPES: ReadonlySet<PoolEvent['type']> = new Set<InstanceEvent['type']>([
  'worker.status',
  'worker.available',
  'worker.unavailable',
  'worker.draining',
  'worker.memory',
  'request.accepted',
  'request.completed',
  'request.failed',
]);

/** An event that changes a live instance (not its spawn or exit, which add and remove one). */
export function isInstanceEvent(event: PoolEvent): event is InstanceEvent {
  return INSTANCE_EVENT_TYPES.has(event.type);
}

/** An instance as `worker.spawned` at `createdAt` starts it: instantiating, unavailable, unused. */
export function startingInstance(instanceId: number, createdAt: number): InstanceSnapshot {
  return {
    instanceId,
    status: 'Starting',
    available: false,
    unavailableWhy: null,
    draining: false,
    reuseCount: 0,
    inFlight: 0,
    createdAt,
    memoryBytes: null,
    ok: 0,
    failed: 0,
  };
}

/**
 * The instance after one event about it (the caller matched `event.instanceId`). Generic so a
 * record with more fields keeps them. A request is in flight from its accept until it completes
 * or fails (a request that responded, or expired, still ends with one of those two), and an idle
 * instance has none. Counted here rather than taken from `request.accepted.inFlight`, which
 * counts handlers not yet returned: a WASIp3 response body outlives its handler, so that count
 * would drop a request still streaming.
 */
export function foldInstanceEvent<S extends InstanceSnapshot>(s: S, event: InstanceEvent): S {
  switch (event.type) {
    case 'worker.status':
      return { ...s, status: event.status, inFlight: event.status === 'Idle' ? 0 : s.inFlight };
    case 'worker.available':
      return { ...s, available: true, unavailableWhy: null };
    case 'worker.unavailable':
      return { ...s, available: false, unavailableWhy: event.why, draining: s.draining || event.why === 'draining' };
    case 'worker.draining':
      return { ...s, draining: true };
    case 'worker.memory':
      return { ...s, memoryBytes: event.bytes };
    case 'request.accepted':
      return { ...s, reuseCount: event.reuseCount, inFlight: s.inFlight + 1 };
    // Counted here so the engine's snapshot carries them: a page opened late shows the same counts.
    case 'request.completed':
      return { ...s, inFlight: Math.max(0, s.inFlight - 1), ok: (s.ok ?? 0) + 1 };
    case 'request.failed':
      return { ...s, inFlight: Math.max(0, s.inFlight - 1), failed: (s.failed ?? 0) + 1 };
  }
}
