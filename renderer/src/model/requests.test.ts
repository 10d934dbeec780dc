import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFixture, replay } from './test-support.ts';

describe('requests reducer, on recorded engine streams', () => {
  it('counter: every request ends ok, on its instance, with its reuse index', () => {
    const state = replay(loadFixture('counter-reuse3.jsonl'));
    const records = [...state.requests.byId.values()];
    assert.deepEqual(
      records.map((r) => [r.requestId, r.instanceId, r.reuseIndex, r.outcome, r.status]),
      [
        [0, 0, 1, 'ok', 200],
        [1, 0, 2, 'ok', 200],
        [2, 0, 3, 'ok', 200],
        [3, 1, 1, 'ok', 200],
        [4, 1, 2, 'ok', 200],
      ],
    );
    assert.equal(state.requests.received, 5);
    assert.equal(state.requests.ok, 5);
    assert.equal(state.requests.failedTotal, 0);
    assert.equal(state.requests.lanes.size, 0, 'no lane rows held once everything finished');
    for (const r of records) assert.ok(r.acceptedAt! <= r.endedAt!);
  });

  it('spin: the spinning request is listed as failed with kind timeout, on instance 0', () => {
    const state = replay(loadFixture('spin-timeout.jsonl'));
    assert.equal(state.requests.failedTotal, 1);
    assert.deepEqual(state.requests.failedByKind, { timeout: 1 });
    const [failed] = state.requests.failed;
    assert.equal(failed!.requestId, 1);
    assert.equal(failed!.uri, '/');
    assert.equal(failed!.instanceId, 0);
    assert.equal(failed!.failure!.kind, 'timeout');
    assert.equal(failed!.failure!.message, 'guest timed out');
    assert.ok(failed!.latencyMs! >= 200);
    assert.equal(state.requests.byId.get(2)!.outcome, 'ok');
  });

  it('trap: both requests fail with kind trap, newest first', () => {
    const state = replay(loadFixture('trap.jsonl'));
    assert.deepEqual(
      state.requests.failed.map((r) => [r.requestId, r.failure!.kind]),
      [
        [1, 'trap'],
        [0, 'trap'],
      ],
    );
  });

  it('parallel: running requests hold a lane row on their instance until they finish', () => {
    const events = loadFixture('sleep-parallel.jsonl');
    let peak = 0;
    for (const cut of events) {
      const mid = replay(
        events.filter((e) => e.seq <= cut.seq),
        1,
      );
      const running = [...mid.requests.byId.values()].filter((r) => r.outcome === 'running');
      assert.equal(mid.requests.lanes.size, running.length, `after seq ${cut.seq}`);
      for (const r of running) assert.deepEqual(mid.requests.lanes.get(r.instanceId!), [r.requestId]);
      peak = Math.max(peak, running.length);
    }
    assert.ok(peak >= 2, 'requests overlapped');
    const done = replay(events);
    assert.equal(done.requests.lanes.size, 0);
    assert.deepEqual(
      [...done.requests.byId.values()].map((r) => r.dispatchMode),
      ['spawn-direct', 'spawn-direct', 'spawn-direct', 'spawn-direct'],
    );
  });

  it('concurrent requests on one instance stack in separate rows, and rows are reused', async () => {
    const { applyRequestEvents, initialRequests } = await import('./requests.ts');
    const ev = (type: string, fields: object, t: number) => ({ type, t, seq: t, ...fields }) as never;
    let s = applyRequestEvents(initialRequests, [
      ev('request.received', { requestId: 1, method: 'GET', uri: '/' }, 1),
      ev('request.received', { requestId: 2, method: 'GET', uri: '/' }, 2),
      ev('request.accepted', { requestId: 1, instanceId: 7, inFlight: 1, reuseCount: 1 }, 3),
      ev('request.accepted', { requestId: 2, instanceId: 7, inFlight: 2, reuseCount: 2 }, 4),
    ]);
    assert.deepEqual([s.byId.get(1)!.slot, s.byId.get(2)!.slot], [0, 1]);
    s = applyRequestEvents(s, [
      ev('request.completed', { requestId: 1, instanceId: 7, durationMs: 3, bodyBytes: 1 }, 5),
      ev('request.received', { requestId: 3, method: 'GET', uri: '/' }, 6),
      ev('request.accepted', { requestId: 3, instanceId: 7, inFlight: 2, reuseCount: 3 }, 7),
    ]);
    assert.equal(s.byId.get(3)!.slot, 0);
    assert.deepEqual(s.lanes.get(7), [3, 2]);
  });
});
