import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultKnobs, type PoolEvent } from '../../../protocol/index.ts';
import { fmtMs } from './format.ts';
import { describeStateAge, STARTING_LONG_MS, stateAge } from './instance-state.ts';
import { applyInstanceEvents, initialInstances, instancesFromSnapshot } from './instances.ts';
import { loadFixture } from './test-support.ts';

const until = (events: readonly PoolEvent[], seq: number): PoolEvent[] => events.filter((e) => e.seq <= seq);
const knobs = { ...defaultKnobs('wasip2'), maxInstanceReuseCount: 3, requestTimeoutMs: null };

describe('time in state on instance cards', () => {
  // demo:counter, max reuse 3: instance 0 serves three requests and drains (reuse-exhausted); instance 1
  // serves two and drains at shutdown.
  const events = loadFixture('counter-reuse3.jsonl');

  it('starts at the spawn, moves with each state change, and says why an instance drains', () => {
    const starting = applyInstanceEvents(initialInstances, until(events, 2)).live.get(0)!;
    assert.equal(starting.stateSince, 104.92390499999999, 'starting since worker.spawned');
    const idle = applyInstanceEvents(initialInstances, until(events, 13)).live.get(0)!;
    assert.equal(idle.status, 'Idle');
    assert.equal(idle.stateSince, 219.72265099999998, 'idle since worker.status Idle');
    const memoryOnly = applyInstanceEvents(initialInstances, until(events, 12)).live.get(0)!;
    assert.equal(memoryOnly.stateSince, 210.74617099999995, 'events that change no state keep the clock');

    const draining = applyInstanceEvents(initialInstances, until(events, 31)).live.get(0)!;
    assert.equal(draining.stateSince, 239.73923199999996, 'draining since worker.draining');
    assert.equal(draining.drainQuietSince, null, 'its last request is still in flight');
    const age = stateAge(draining, 239.73923199999996 + 3200, knobs);
    assert.equal(describeStateAge(age, fmtMs), 'draining 3.20s — cause: max reuse reached');
    assert.equal(age.overdue, null);

    const quiet = applyInstanceEvents(initialInstances, until(events, 35)).live.get(0)!;
    assert.equal(quiet.inFlight, 0);
    assert.equal(quiet.stateSince, 239.73923199999996, 'still the same state');
    assert.notEqual(quiet.drainQuietSince, null, 'nothing in flight: the drain deadline runs');
  });

  it('flags a drain held past the request timeout plus the engine’s grace, once no client waits', () => {
    const quiet = applyInstanceEvents(initialInstances, until(events, 35)).live.get(0)!;
    const from = quiet.drainQuietSince!;
    assert.equal(stateAge(quiet, from + 11_000, knobs).overdue, null, 'within 10 s grace + 2 s slack');
    assert.match(stateAge(quiet, from + 12_500, knobs).overdue ?? '', /nothing in flight for over 12 s/);
    const withTimeout = { ...knobs, requestTimeoutMs: 5000 };
    assert.equal(stateAge(quiet, from + 12_500, withTimeout).overdue, null, 'the request timeout extends it');
    const busy = applyInstanceEvents(initialInstances, until(events, 31)).live.get(0)!;
    assert.equal(stateAge(busy, busy.stateSince! + 600_000, knobs).overdue, null, 'a client still waits: no bound');
  });

  it('flags a start that takes too long and an idle instance its idle timeout missed', () => {
    const starting = applyInstanceEvents(initialInstances, until(events, 2)).live.get(0)!;
    assert.equal(stateAge(starting, starting.stateSince! + STARTING_LONG_MS - 1, knobs).overdue, null);
    assert.match(stateAge(starting, starting.stateSince! + STARTING_LONG_MS + 1, knobs).overdue ?? '', /starting/);
    const idle = applyInstanceEvents(initialInstances, until(events, 13)).live.get(0)!;
    assert.equal(stateAge(idle, idle.stateSince! + 2500, knobs).overdue, null, '1 s idle timeout + 2 s slack');
    assert.match(stateAge(idle, idle.stateSince! + 3500, knobs).overdue ?? '', /idle timeout/);
  });

  it('an instance first seen in a snapshot has no known time in state, unless it is starting', () => {
    const s = instancesFromSnapshot(
      initialInstances,
      [
        {
          instanceId: 4,
          status: 'Idle',
          available: true,
          unavailableWhy: null,
          draining: false,
          reuseCount: 2,
          inFlight: 0,
          createdAt: 10,
          memoryBytes: null,
        },
        {
          instanceId: 5,
          status: 'Starting',
          available: false,
          unavailableWhy: null,
          draining: false,
          reuseCount: 0,
          inFlight: 0,
          createdAt: 90,
          memoryBytes: null,
        },
      ],
      100,
      true,
    );
    assert.equal(s.live.get(4)!.stateSince, null);
    assert.equal(stateAge(s.live.get(4)!, 200, knobs).ms, null);
    assert.equal(describeStateAge(stateAge(s.live.get(4)!, 200, knobs), fmtMs), 'Idle');
    assert.equal(s.live.get(5)!.stateSince, 90);
    // Then events move it on as usual.
    const next = applyInstanceEvents(s, [{ type: 'worker.status', instanceId: 4, status: 'Requests', t: 150, seq: 1 }]);
    assert.equal(next.live.get(4)!.stateSince, 150);
  });
});
