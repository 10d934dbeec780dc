import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEventBatch, applySnapshot, clearHistory, engineNow, initialData } from './apply.ts';
import { applyLogEvents, DEFAULT_LOG_FILTER, describeEvent, filterEvents, initialLog } from './log.ts';
import { emptySnapshot, loadFixture, replay } from './test-support.ts';
import { LIMITS } from './types.ts';

describe('log reducer and filter', () => {
  it('keeps every event in order, capped to the most recent', () => {
    const events = loadFixture('counter-reuse3.jsonl');
    const state = replay(events);
    assert.equal(state.log.total, events.length);
    assert.deepEqual(
      state.log.events.map((e) => e.seq),
      events.map((e) => e.seq),
    );
    let log = initialLog;
    for (let i = 0; i < Math.ceil((LIMITS.logEvents * 2) / events.length); i++) log = applyLogEvents(log, events, 1);
    assert.equal(log.events.length, LIMITS.logEvents);
    assert.equal(log.events.at(-1), events.at(-1));
    assert.ok(log.dropped > 0);
  });

  it('filters by kind, instance and request id', () => {
    const events = loadFixture('spin-timeout.jsonl');
    const byRequest = filterEvents(events, { ...DEFAULT_LOG_FILTER, requestId: 1 });
    assert.deepEqual(
      byRequest.map((e) => e.type),
      ['request.received', 'request.dispatched', 'request.accepted', 'request.failed'],
    );
    const byInstance = filterEvents(events, { hidden: [], instanceId: 1, requestId: null, requests: null });
    assert.ok(byInstance.every((e) => 'instanceId' in e && e.instanceId === 1));
    assert.ok(byInstance.some((e) => e.type === 'worker.exit'));
    const noGauges = filterEvents(events, DEFAULT_LOG_FILTER);
    assert.ok(noGauges.every((e) => e.type !== 'pool.gauges'));
    const failures = filterEvents(events, { hidden: [], instanceId: null, requestId: null, requests: null }).filter(
      (e) => e.type === 'request.failed',
    );
    assert.equal(describeEvent(failures[0]!), 'timeout: guest timed out');
  });

  it('describes every recorded event in one line', () => {
    for (const name of [
      'counter-reuse3.jsonl',
      'spin-timeout.jsonl',
      'trap.jsonl',
      'print-idle.jsonl',
      'sleep-parallel.jsonl',
    ]) {
      for (const e of loadFixture(name)) {
        const text = describeEvent(e);
        assert.equal(typeof text, 'string');
        assert.ok(!text.includes('\n'));
      }
    }
  });
});

describe('snapshots, clock and history', () => {
  it('a snapshot of another component starts a fresh history; a reconnect to the same keeps it', () => {
    const state = replay(loadFixture('counter-reuse3.jsonl'));
    const same = applySnapshot(state, emptySnapshot({ t: 5000 }), 10);
    assert.equal(same.log.events.length, state.log.events.length);
    assert.equal(same.instances.retired.length, 2);
    const other = applySnapshot(
      state,
      emptySnapshot({
        t: 6000,
        component: { ...emptySnapshot().component!, spec: 'demo:spin', sha256: 'cd'.repeat(32) },
      }),
      10,
    );
    assert.equal(other.log.events.length, 0);
    assert.equal(other.instances.retired.length, 0);
    assert.equal(other.requests.byId.size, 0);
  });

  it('estimates the engine clock from the snapshot and the events', () => {
    let state = applySnapshot(initialData, emptySnapshot({ t: 1000 }), 50);
    assert.equal(engineNow(state.clock, 150), 1100);
    state = applyEventBatch(
      state,
      loadFixture('counter-reuse3.jsonl')
        .filter((e) => e.seq === 0)
        .map((e) => ({ ...e, t: 1500 })),
      null,
      0,
      160,
    );
    assert.equal(engineNow(state.clock, 160), 1500, 'an event later than the estimate moves the clock forward');
  });

  it('clearHistory drops retired instances, finished requests, charts and the log', () => {
    const state = clearHistory(replay(loadFixture('spin-timeout.jsonl')));
    assert.equal(state.instances.retired.length, 0);
    assert.equal(state.requests.failed.length, 0);
    assert.equal(state.requests.byId.size, 0);
    assert.equal(state.log.events.length, 0);
    assert.equal(state.charts.buckets.length, 0);
  });
});

describe('runs', () => {
  it('serving again after a stop starts a new run (ids restart); stopping keeps history and the component', () => {
    const state = replay(loadFixture('counter-reuse3.jsonl'));
    const stopped = applySnapshot(
      state,
      emptySnapshot({ t: 2000, serving: false, component: null, listenUrl: null }),
      10,
    );
    assert.equal(stopped.instances.retired.length, 2, 'history stays visible after stop');
    assert.equal(stopped.pool.component?.name, 'counter', 'the stopped component is still named');
    assert.equal(stopped.pool.serving, false);
    const restarted = applySnapshot(stopped, emptySnapshot({ t: 3000 }), 20);
    assert.equal(restarted.instances.retired.length, 0);
    assert.equal(restarted.requests.byId.size, 0);
  });

  it('a forced reset (own load of the same component) drops the history', () => {
    const state = replay(loadFixture('counter-reuse3.jsonl'));
    assert.equal(applySnapshot(state, emptySnapshot({ t: 2000 }), 10).log.events.length, state.log.events.length);
    assert.equal(applySnapshot(state, emptySnapshot({ t: 2000 }), 10, true).log.events.length, 0);
  });

  it('another pool of the same component (loaded by a scenario or another dashboard) is a new run', () => {
    const state = replay(loadFixture('counter-reuse3.jsonl'));
    const samePool = applySnapshot(state, emptySnapshot({ t: 2000, poolId: 1 }), 10);
    assert.equal(samePool.instances.retired.length, state.instances.retired.length);
    const nextPool = applySnapshot(samePool, emptySnapshot({ t: 3000, poolId: 2 }), 20);
    assert.equal(nextPool.instances.retired.length, 0, 'instance ids restart with the pool: old cards must go');
    assert.equal(nextPool.pool.poolId, 2);
  });
});
