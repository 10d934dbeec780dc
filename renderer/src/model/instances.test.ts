import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEventBatch, applySnapshot, engineNow, initialData } from './apply.ts';
import { liveInstances } from './instances.ts';
import type { PoolEvent } from '../../../protocol/index.ts';
import { emptySnapshot, loadFixture, replay } from './test-support.ts';

describe('instances reducer, on recorded engine streams', () => {
  it('counter with reuse 3: one instance serves 3 and drains, the next serves 2 and drains at shutdown', () => {
    const events = loadFixture('counter-reuse3.jsonl');
    const state = replay(events);
    assert.equal(state.instances.live.size, 0);
    assert.equal(state.instances.retiredTotal, 2);
    const [second, first] = state.instances.retired;
    assert.equal(first!.instanceId, 0);
    assert.equal(first!.exit!.cause, 'drained');
    assert.equal(first!.exit!.served, 3);
    assert.equal(first!.reuseCount, 3);
    assert.equal(first!.ok, 3);
    assert.equal(first!.drainCause, 'reuse-exhausted');
    assert.equal(first!.memoryBytes, 65536);
    assert.equal(second!.instanceId, 1);
    assert.equal(second!.exit!.served, 2);
  });

  it('mid-stream, the live card shows the reuse count, status and availability', () => {
    const events = loadFixture('counter-reuse3.jsonl');
    const upTo = events.findIndex((e) => e.seq === 25); // after the second request, Idle again
    const state = replay(events.slice(0, upTo + 1));
    const [card] = liveInstances(state.instances);
    assert.equal(card!.instanceId, 0);
    assert.equal(card!.reuseCount, 2);
    assert.equal(card!.status, 'Idle');
    assert.equal(card!.available, true);
    assert.equal(card!.inFlight, 0);
    assert.equal(card!.instantiationMs !== null && card!.instantiationMs > 0, true);
  });

  it('spin with a 200ms request timeout: the watchdog retires the instance, the next request gets a new one', () => {
    const state = replay(loadFixture('spin-timeout.jsonl'));
    const byId = new Map(state.instances.retired.map((r) => [r.instanceId, r]));
    const killed = byId.get(0)!;
    assert.equal(killed.exit!.cause, 'watchdog');
    assert.equal(killed.exit!.message, 'guest timed out');
    assert.equal(killed.exit!.served, 2);
    assert.equal(killed.ok, 1);
    assert.equal(killed.failed, 1);
    assert.equal(byId.get(1)!.exit!.cause, 'drained');
  });

  it('trap: every instance that trapped is retired with cause trap', () => {
    const state = replay(loadFixture('trap.jsonl'));
    assert.deepEqual(
      state.instances.retired.map((r) => [r.instanceId, r.exit!.cause, r.failed]),
      [
        [1, 'trap', 1],
        [0, 'trap', 1],
      ],
    );
  });

  it('guest output lands on its instance, in order', () => {
    const state = replay(loadFixture('print-idle.jsonl'));
    const [instance] = state.instances.retired;
    assert.equal(instance!.exit!.cause, 'idle-timeout');
    assert.deepEqual(
      instance!.output.map((o) => `${o.stream}:${o.line}`),
      [
        'stdout:this is half a print to stdout',
        'stdout:',
        'stdout:after empty',
        'stderr:this is half a print to stderr',
        'stderr:',
        'stderr:after empty',
        'stderr:start a print 1234',
      ],
    );
  });

  it('parallel requests spawn one instance each; the batch size does not change the result', () => {
    const events = loadFixture('sleep-parallel.jsonl');
    const mid = replay(events.filter((e) => e.t < 340));
    assert.deepEqual(
      liveInstances(mid.instances).map((r) => r.instanceId),
      [0, 1, 2, 3],
    );
    const strip = (s: ReturnType<typeof replay>) => JSON.stringify(s.instances.retired);
    assert.equal(strip(replay(events, 1)), strip(replay(events, 50)));
    assert.equal(strip(replay(events, 1)), strip(replay(events, 10_000)));
  });

  it('a snapshot taken mid-run seeds the cards; events already in it are not applied twice', () => {
    const events = loadFixture('counter-reuse3.jsonl');
    const idleAgain = events.find((e) => e.seq === 14)!; // first request done, instance 0 Idle
    const snapshot = emptySnapshot({
      t: idleAgain.t,
      instances: [
        {
          instanceId: 0,
          status: 'Idle',
          available: true,
          unavailableWhy: null,
          draining: false,
          reuseCount: 1,
          inFlight: 0,
          createdAt: 38,
          memoryBytes: 65536,
        },
      ],
    });
    let state = applySnapshot(initialData, snapshot, 0);
    // The first batch still carries events from before the snapshot, then the second request's.
    state = applyEventBatch(
      state,
      events.filter((e) => e.seq >= 8 && e.seq <= 25),
      null,
      0,
      150,
    );
    const card = state.instances.live.get(0)!;
    assert.equal(card.reuseCount, 2);
    assert.equal(card.createdAt, 38);
    assert.equal(state.instances.snapshotT, null);
  });

  it('an unchanged batch keeps the same state objects (no re-render)', () => {
    const state = replay(loadFixture('counter-reuse3.jsonl'));
    const next = applyEventBatch(state, [], null, 0, 1000);
    assert.equal(next.instances, state.instances);
    assert.equal(next.requests, state.requests);
    assert.equal(next.log, state.log);
  });
});

describe('instance age', () => {
  it('an instance that served 114 requests since the last clock reading is as old as its events say, never 0ms', () => {
    // Snapshot at engine t=1000, received at local 100: offset 900.
    let state = applySnapshot(initialData, emptySnapshot({ t: 1000 }), 100);
    const events: PoolEvent[] = [
      { type: 'worker.spawned', instanceId: 0, reason: 'no-available-worker', t: 1200, seq: 0 },
    ];
    for (let i = 1; i <= 114; i++) {
      events.push({
        type: 'request.accepted',
        requestId: i - 1,
        instanceId: 0,
        inFlight: 1,
        reuseCount: i,
        t: 1200 + i * 6,
        seq: i,
      });
    }
    state = applyEventBatch(state, events, null, 0, 1000);
    const [card] = liveInstances(state.instances);
    assert.equal(card!.reuseCount, 114);
    // A reading of the local clock taken before the batch arrived (the last timer tick, at local 150).
    const age = engineNow(state.clock, 150) - card!.createdAt;
    assert.ok(age >= 114 * 6, `age ${age} ms covers the 114 requests the card shows`);
  });
});
