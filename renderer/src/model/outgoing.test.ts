import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolEvent, RequestOutgoing } from '../../../protocol/index.ts';
import { completedCall } from '../../../protocol/test-support.ts';
import { applyEventBatch, applySnapshot, clearHistory } from './apply.ts';
import { describeEvent } from './log.ts';
import { applyOutgoingEvents, initialOutgoing, outgoingOfRequest } from './outgoing.ts';
import { emptySnapshot, loadFixture, replay } from './test-support.ts';
import { LIMITS } from './types.ts';

const FIXTURE = 'fetch-outgoing.jsonl';

describe('outgoing reducer, on a recorded engine stream (zoo-js-fetch proxying to an upstream)', () => {
  it("each outgoing request is kept under the instance and request that made it, within that request's time", () => {
    const state = replay(loadFixture(FIXTURE));
    const calls = state.outgoing.byInstance.get(0)!;
    assert.deepEqual(
      calls.map((c) => [c.requestId, c.method, c.authority, c.path, c.status, c.outcome, c.error?.tag ?? null]),
      [
        [0, 'GET', '127.0.0.1:47123', '/count', 200, 'complete', null],
        [1, 'GET', '127.0.0.1:47123', '/count', 200, 'complete', null],
        [2, 'GET', '127.0.0.1:47123', '/count', 200, 'complete', null],
        [3, 'GET', '127.0.0.1:9', '/nobody', null, 'failed', 'connection-refused'],
      ],
    );
    assert.deepEqual([state.outgoing.total, state.outgoing.failed, state.outgoing.notKept.size], [4, 1, 0]);
    for (const c of calls) {
      const r = state.requests.byId.get(c.requestId!)!;
      assert.equal(r.instanceId, c.instanceId);
      // It began after the instance accepted the request and ended before the guest answered.
      assert.ok(r.acceptedAt! <= c.t - c.durationMs, `request ${r.requestId}`);
      assert.ok(c.t <= r.respondedAt!, `request ${r.requestId}`);
    }
    assert.deepEqual(outgoingOfRequest(state.outgoing, 0, 3), [calls[3]]);
    assert.deepEqual(outgoingOfRequest(state.outgoing, 0, 99), []);
  });

  it('the event log says what was asked and how it ended', () => {
    const events = loadFixture(FIXTURE).filter((e): e is RequestOutgoing => e.type === 'request.outgoing');
    assert.match(
      describeEvent(events[0]!),
      /^GET http:\/\/127\.0\.0\.1:47123\/count → 200 in [\d.]+m?s \(0 B ↑ 3 B ↓\)$/,
    );
    assert.match(
      describeEvent(events[3]!),
      /^GET http:\/\/127\.0\.0\.1:9\/nobody failed: connection-refused \(connect ECONNREFUSED 127\.0\.0\.1:9\) in [\d.]+m?s$/,
    );
  });

  it('a leak finding carries the outgoing requests of both sides', () => {
    const { leaks } = replay(loadFixture(FIXTURE));
    const finding = leaks.byRequest.get(1)!;
    assert.equal(finding.kind, 'leak');
    assert.deepEqual(finding.differences, ['body: "n=2" on the reused instance, "n=4" on a fresh one']);
    assert.ok(finding.outgoing);
    assert.deepEqual([finding.outgoing.reusedTotal, finding.outgoing.freshTotal], [1, 1]);
    assert.deepEqual(
      [...finding.outgoing.reused, ...finding.outgoing.fresh].map((c) => [c.path, c.status, c.outcome]),
      [
        ['/count', 200, 'complete'],
        ['/count', 200, 'complete'],
      ],
    );
    // Findings from before outgoing requests were events have none.
    const { leaks: old } = replay(loadFixture('counter-leaks-reuse3.jsonl'));
    assert.ok(old.findings.every((f) => f.outgoing === null));
  });

  it('keeps the newest per instance and counts the rest, those the engine only counted included', () => {
    const call = completedCall({ authority: 'a', durationMs: 1 });
    const flood: PoolEvent[] = Array.from({ length: 250 }, (_, i) => ({
      type: 'request.outgoing',
      t: i,
      seq: i,
      instanceId: 5,
      requestId: 1,
      ...call,
    }));
    const first = applyOutgoingEvents(initialOutgoing, flood.slice(0, 120));
    const state = applyOutgoingEvents(first, [
      ...flood.slice(120),
      { type: 'request.outgoing_dropped', t: 300, seq: 300, instanceId: 5, count: 40, failed: 2 },
    ]);
    const kept = state.byInstance.get(5)!;
    assert.equal(kept.length, LIMITS.outgoingPerInstance);
    assert.deepEqual([kept[0]!.seq, kept.at(-1)!.seq], [250 - LIMITS.outgoingPerInstance, 249]);
    assert.equal(state.notKept.get(5), 250 - LIMITS.outgoingPerInstance + 40);
    assert.deepEqual([state.total, state.failed], [290, 2]);
    // Nothing outgoing in a batch: the same object (no render).
    assert.equal(applyOutgoingEvents(state, [{ type: 'worker.available', t: 400, seq: 400, instanceId: 5 }]), state);
    assert.equal(first.byInstance.get(5)!.length, 100, 'the previous state is untouched');
    assert.equal(first.byInstance.get(5)![0]!.seq, 20);
  });

  it("a new run starts empty; clearing history keeps only live instances' requests", () => {
    const events = loadFixture(FIXTURE);
    const state = replay(events);
    // The fixture ends with instance 0 retired: clearing forgets it.
    assert.ok(state.instances.retired.some((r) => r.instanceId === 0));
    assert.equal(clearHistory(state).outgoing.byInstance.size, 0);
    const live = replay(events.filter((e) => !(e.type === 'worker.exit')));
    assert.deepEqual([...clearHistory(live).outgoing.byInstance.keys()], [0]);
    const other = applySnapshot(
      state,
      emptySnapshot({ component: { ...emptySnapshot().component!, spec: 'demo:hello', name: 'hello' }, t: 1 }),
      0,
    );
    assert.equal(other.outgoing.byInstance.size, 0);
    assert.equal(applyEventBatch(other, [], null, 0, 0).outgoing, other.outgoing);
  });
});
