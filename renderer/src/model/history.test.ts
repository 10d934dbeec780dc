/**
 * A page that attaches late rebuilds its state from the engine's history: the engine's own ring
 * and instance tracker (the real ones) fed a recorded engine stream, then the snapshot it would
 * send, against a page that received the same stream live in 50 ms batches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventHistory, type HistoryBounds } from '../../../engine/bridge/history.ts';
import { InstanceTracker } from '../../../engine/bridge/instance-tracker.ts';
import type { PoolEvent, Snapshot } from '../../../protocol/index.ts';
import { validateRecording } from '../recording/format.ts';
import { Replayer } from '../recording/replay.ts';
import { liveSession, withoutClock } from '../recording/test-streams.ts';
import { applySnapshot, initialData } from './apply.ts';
import { gaugesAfter } from './event-batches.ts';
import { emptySnapshot, loadFixture, replay } from './test-support.ts';
import { type ChartsState, type DataState, type InstanceRecord, ZERO_GAUGES } from './types.ts';

const FIXTURES = [
  'counter-reuse3.jsonl',
  'counter-leaks-reuse3.jsonl',
  'spin-timeout.jsonl',
  'trap.jsonl',
  'print-idle.jsonl',
  'sleep-parallel.jsonl',
  'fetch-outgoing.jsonl',
  'grow-reuse50.jsonl',
  'hello-leak-check.jsonl',
];

/** What the session sends a dashboard attaching after `events`, and the same snapshot without history. */
function attachSnapshot(events: readonly PoolEvent[], bounds: Partial<HistoryBounds> = {}): Snapshot {
  const history = new EventHistory(bounds);
  const tracker = new InstanceTracker();
  for (const e of events) {
    tracker.apply(e);
    history.push(e);
  }
  const t = events[events.length - 1]!.t + 0.5;
  return emptySnapshot({
    t,
    instances: tracker.snapshot(),
    gauges: gaugesAfter(events, ZERO_GAUGES),
    history: history.history(),
  });
}

/** The page open from the start: the stream live, then the same (history-less) snapshot. */
function livePage(events: readonly PoolEvent[], snapshot: Snapshot): DataState {
  const { history: _history, ...plain } = snapshot;
  return applySnapshot(replay(events), plain, 0);
}

/**
 * The live page's charts without the gauge sample its own first snapshot (at t=0, before any
 * event, all zero) put in second 0: a page opened later never saw that moment. Only when second 0
 * holds nothing else (else the sample changes nothing, as the max of zeros and more).
 */
function withoutOwnStartSample(charts: ChartsState): ChartsState {
  const [first, ...rest] = charts.buckets;
  const onlyTheSample =
    first?.sec === 0 &&
    first.completed === 0 &&
    first.failed === 0 &&
    JSON.stringify(first.gaugesMax) === JSON.stringify(ZERO_GAUGES);
  return onlyTheSample ? { ...charts, buckets: rest } : charts;
}

/** What a card shows, dashboard-only details aside (the engine keeps no output or spawn reason). */
function card(r: InstanceRecord) {
  return {
    instanceId: r.instanceId,
    status: r.status,
    reuseCount: r.reuseCount,
    ok: r.ok,
    failed: r.failed,
    draining: r.draining,
    memoryBytes: r.memoryBytes,
    exit: r.exit,
  };
}

describe('a page rebuilt from the engine history equals one open from the start', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture}: every slice the same, with the whole stream kept`, () => {
      const events = loadFixture(fixture);
      const snapshot = attachSnapshot(events);
      const live = livePage(events, snapshot);
      const rebuilt = applySnapshot(initialData, snapshot, 0);
      assert.deepEqual(rebuilt.instances, live.instances);
      assert.deepEqual(rebuilt.requests, live.requests);
      assert.deepEqual(rebuilt.outgoing, live.outgoing);
      assert.deepEqual(rebuilt.leaks, live.leaks);
      assert.deepEqual(rebuilt.pool, live.pool);
      assert.deepEqual(rebuilt.log.events, live.log.events);
      assert.equal(rebuilt.log.total, live.log.total);
      assert.deepEqual(rebuilt.charts, withoutOwnStartSample(live.charts));
      assert.deepEqual(rebuilt.engineHistory, {
        kept: events.length,
        dropped: 0,
        maxEvents: 50_000,
        maxBytes: 8 * 1024 * 1024,
      });
    });
  }

  for (const fixture of ['counter-leaks-reuse3.jsonl', 'grow-reuse50.jsonl', 'spin-timeout.jsonl', 'trap.jsonl']) {
    it(`${fixture}: cards, retired instances, counters and chart buckets survive a ring that dropped most events`, () => {
      const events = loadFixture(fixture);
      const kept = Math.floor(events.length / 4);
      const snapshot = attachSnapshot(events, { maxEvents: kept });
      assert.equal(snapshot.history?.dropped, events.length - kept);
      const live = livePage(events, snapshot);
      const rebuilt = applySnapshot(initialData, snapshot, 0);
      assert.deepEqual([...rebuilt.instances.live.values()].map(card), [...live.instances.live.values()].map(card));
      assert.deepEqual(rebuilt.instances.retired.map(card), live.instances.retired.map(card));
      assert.equal(rebuilt.instances.retiredTotal, live.instances.retiredTotal);
      const counters = (s: DataState) => [
        s.requests.received,
        s.requests.ok,
        s.requests.failedTotal,
        s.requests.failedByKind,
      ];
      assert.deepEqual(counters(rebuilt), counters(live));
      assert.deepEqual(rebuilt.charts, withoutOwnStartSample(live.charts));
      assert.equal(rebuilt.log.total, live.log.total);
      assert.deepEqual(rebuilt.log.events, live.log.events.slice(-kept), 'the log holds the kept events');
    });
  }

  it('a snapshot with history replaces what the page had (a reconnect): nothing counted twice', () => {
    const events = loadFixture('counter-reuse3.jsonl');
    const snapshot = attachSnapshot(events);
    const live = livePage(events, snapshot);
    const again = applySnapshot(live, snapshot, 0);
    assert.deepEqual(again.instances, live.instances);
    assert.deepEqual(again.requests, live.requests);
    assert.equal(again.log.total, live.log.total);
    assert.deepEqual(again.charts, live.charts);
  });

  it("a page opened without history says nothing of the engine's (a page open from the start)", () => {
    const state = applySnapshot(initialData, emptySnapshot({ history: new EventHistory().history() }), 0);
    assert.equal(state.engineHistory, null);
    assert.equal(state.pool.ready, true);
  });

  it("a late page's recording starts with the engine's history: counted, valid, and replayed to the same page", () => {
    const events = loadFixture('counter-leaks-reuse3.jsonl');
    const snapshot = attachSnapshot(events, { maxEvents: 30 });
    const { state, recorder } = liveSession([{ kind: 'snapshot', snapshot }]);
    const recording = recorder.toRecording({ component: null, knobs: null });
    assert.ok(recording);
    assert.equal(recording.eventCount, 30);
    const parsed = validateRecording(JSON.parse(JSON.stringify(recording)));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const replayer = new Replayer(parsed.recording);
    const end = replayer.seek(recording.endT);
    assert.equal(replayer.eventsApplied, 30);
    assert.deepEqual(withoutClock(end), withoutClock(state));
    const retired = replay(events).instances.retiredTotal;
    assert.ok(retired > 0);
    assert.equal(state.instances.retiredTotal, retired, 'with what the dropped events left behind');
  });

  it('a reconnect (a history snapshot to a page that has one) records a valid recording that replays to the same page', () => {
    const events = loadFixture('counter-reuse3.jsonl');
    const half = events.slice(0, Math.floor(events.length / 2));
    const { history: _history, ...first } = attachSnapshot(half);
    const reconnect = attachSnapshot(events);
    const { state, recorder } = liveSession([
      { kind: 'snapshot', snapshot: { ...first, t: 0 } },
      { kind: 'events', events: half, gauges: ZERO_GAUGES, dropped: 0 },
      { kind: 'snapshot', snapshot: reconnect },
    ]);
    const recording = recorder.toRecording({ component: null, knobs: null });
    assert.ok(recording);
    assert.equal(recording.eventCount, half.length + events.length);
    const parsed = validateRecording(JSON.parse(JSON.stringify(recording)));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const end = new Replayer(parsed.recording).seek(recording.endT);
    assert.deepEqual(withoutClock(end), withoutClock(state));
    assert.equal(state.log.total, events.length, 'the history replaced what the page had: nothing twice');
  });
});
