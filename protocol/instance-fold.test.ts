import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceSnapshot } from './snapshot.ts';
import type { PoolEvent } from './events.ts';
import { foldInstanceEvent, isInstanceEvent, startingInstance } from './instance-fold.ts';

/** Folds the events about instance 0 after its spawn at t=0, the way both sides do. */
function fold(events: readonly PoolEvent[]): InstanceSnapshot {
  let s = startingInstance(0, 0);
  for (const e of events) if (isInstanceEvent(e) && e.instanceId === 0) s = foldInstanceEvent(s, e);
  return s;
}

let seq = 0;
const at = (t: number): { t: number; seq: number } => ({ t, seq: seq++ });

describe('the instance fold (engine snapshots and dashboard cards alike)', () => {
  it('a spawned instance starts instantiating, unavailable and unused', () => {
    assert.deepEqual(startingInstance(7, 12.5), {
      instanceId: 7,
      status: 'Starting',
      available: false,
      unavailableWhy: null,
      draining: false,
      reuseCount: 0,
      inFlight: 0,
      createdAt: 12.5,
      memoryBytes: null,
      ok: 0,
      failed: 0,
    });
  });

  it('WASIp3: a response still streaming after its handler returned stays in flight beside the next request', () => {
    // The pool's accept count (handlers not returned) says 1 at B's accept though A's body is
    // still streaming; the fold counts requests until they end.
    const s = fold([
      { type: 'request.accepted', requestId: 0, instanceId: 0, inFlight: 1, reuseCount: 1, ...at(1) },
      { type: 'worker.status', instanceId: 0, status: 'Requests', ...at(2) },
      { type: 'request.responded', requestId: 0, instanceId: 0, status: 200, latencyMs: 4, ...at(3) },
      { type: 'request.accepted', requestId: 1, instanceId: 0, inFlight: 1, reuseCount: 2, ...at(4) },
      { type: 'request.completed', requestId: 0, instanceId: 0, durationMs: 5, bodyBytes: 7, ...at(5) },
    ]);
    assert.equal(s.inFlight, 1);
    assert.equal(
      fold([{ type: 'request.accepted', requestId: 9, instanceId: 0, inFlight: 5, reuseCount: 1, ...at(6) }]).inFlight,
      1,
      'an accept adds one request, whatever the handler count',
    );
  });

  it('one request served: accepted, completed, idle again with its memory measured', () => {
    const s = fold([
      { type: 'request.accepted', requestId: 0, instanceId: 0, inFlight: 1, reuseCount: 1, ...at(1) },
      { type: 'worker.status', instanceId: 0, status: 'Requests', ...at(2) },
      { type: 'worker.unavailable', instanceId: 0, why: 'concurrency-limit', ...at(3) },
      { type: 'request.responded', requestId: 0, instanceId: 0, status: 200, latencyMs: 4, ...at(4) },
      { type: 'request.completed', requestId: 0, instanceId: 0, durationMs: 5, bodyBytes: 7, ...at(5) },
      { type: 'worker.memory', instanceId: 0, bytes: 65536, requestsDone: 1, ...at(6) },
      { type: 'worker.available', instanceId: 0, ...at(7) },
      { type: 'worker.status', instanceId: 0, status: 'Idle', ...at(8) },
    ]);
    assert.deepEqual(s, {
      ...startingInstance(0, 0),
      status: 'Idle',
      available: true,
      reuseCount: 1,
      memoryBytes: 65536,
      ok: 1,
    });
  });

  it('a request leaves the in-flight count once, whether it responded, expired or failed first', () => {
    const s = fold([
      { type: 'request.accepted', requestId: 0, instanceId: 0, inFlight: 1, reuseCount: 1, ...at(1) },
      { type: 'request.accepted', requestId: 1, instanceId: 0, inFlight: 2, reuseCount: 2, ...at(2) },
      { type: 'request.accepted', requestId: 2, instanceId: 0, inFlight: 3, reuseCount: 3, ...at(3) },
      // 0 expires (layer A), then fails as timed out: one request, one decrement.
      { type: 'request.expired', requestId: 0, instanceId: 0, latencyMs: 10, ...at(4) },
      {
        type: 'request.failed',
        requestId: 0,
        instanceId: 0,
        kind: 'timeout',
        message: 'guest timed out',
        latencyMs: 10,
        ...at(5),
      },
      // 1 responds, then its body is cut short.
      { type: 'request.responded', requestId: 1, instanceId: 0, status: 200, latencyMs: 11, ...at(6) },
      {
        type: 'request.failed',
        requestId: 1,
        instanceId: 0,
        kind: 'guest-error',
        message: 'response body cut short',
        latencyMs: 12,
        ...at(7),
      },
    ]);
    assert.equal(s.inFlight, 1, 'request 2 is still in flight');
    assert.equal(s.reuseCount, 3);
    assert.deepEqual(
      [s.ok, s.failed],
      [0, 2],
      'each failure counted once, on the instance (the snapshot carries them)',
    );
  });

  it('an idle instance has nothing in flight, and the count never goes below zero', () => {
    const idle = fold([
      { type: 'request.accepted', requestId: 0, instanceId: 0, inFlight: 1, reuseCount: 1, ...at(1) },
      { type: 'worker.status', instanceId: 0, status: 'Idle', ...at(2) },
      { type: 'request.completed', requestId: 0, instanceId: 0, durationMs: 5, bodyBytes: 7, ...at(3) },
    ]);
    assert.equal(idle.inFlight, 0);
  });

  it('draining: announced, or implied by the reason it is unavailable', () => {
    assert.equal(fold([{ type: 'worker.draining', instanceId: 0, cause: 'reuse-exhausted', ...at(1) }]).draining, true);
    const unavailable = fold([{ type: 'worker.unavailable', instanceId: 0, why: 'draining', ...at(1) }]);
    assert.deepEqual(
      [unavailable.draining, unavailable.available, unavailable.unavailableWhy],
      [true, false, 'draining'],
    );
    const availableAgain = fold([
      { type: 'worker.unavailable', instanceId: 0, why: 'draining', ...at(1) },
      { type: 'worker.available', instanceId: 0, ...at(2) },
    ]);
    assert.equal(availableAgain.draining, true, 'an instance never stops draining');
  });

  it('spawn and exit are not changes to an instance, nor are events about no instance', () => {
    const events: PoolEvent[] = [
      { type: 'worker.spawned', instanceId: 0, reason: 'no-available-worker', ...at(1) },
      { type: 'worker.exit', instanceId: 0, cause: 'drained', served: 1, lifetimeMs: 5, message: null, ...at(2) },
      { type: 'request.received', requestId: 0, method: 'GET', uri: '/', ...at(3) },
      { type: 'pool.gauges', liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0, ...at(4) },
    ];
    assert.deepEqual(events.filter(isInstanceEvent), []);
  });

  it('keeps the fields of a richer record', () => {
    const card = { ...startingInstance(0, 0), ok: 4 };
    const next = foldInstanceEvent(card, {
      type: 'worker.memory',
      instanceId: 0,
      bytes: 131072,
      requestsDone: 4,
      ...at(1),
    });
    assert.deepEqual(next, { ...card, memoryBytes: 131072 });
  });
});
