import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerMessage } from '../../../protocol/index.ts';
import { applyServerMessage, applySnapshot, initialData } from '../model/apply.ts';
import { emptySnapshot, loadFixture } from '../model/test-support.ts';
import type { DataState } from '../model/types.ts';
import { Recorder } from './recorder.ts';
import { liveSession, sessionMessages } from './test-streams.ts';

const kinds = (r: Recorder): string[] =>
  r.toRecording({ component: null, knobs: null })!.messages.map((e) => ('message' in e ? e.message.kind : e.action));

describe('recorder', () => {
  it('starts with the first snapshot; what came before it is not recorded (the store resets on it)', () => {
    const recorder = new Recorder();
    const early: ServerMessage = {
      kind: 'events',
      events: loadFixture('trap.jsonl').slice(0, 3),
      gauges: emptySnapshot().gauges,
      dropped: 0,
    };
    recorder.record(early, initialData);
    assert.equal(recorder.toRecording({ component: null, knobs: null }), null, 'nothing to export before a snapshot');
    assert.deepEqual(recorder.status, { eventCount: 0, truncated: false, started: false });
    const { recorder: full } = liveSession([early, ...sessionMessages('trap.jsonl')], recorder);
    assert.equal(kinds(full)[0], 'snapshot');
    assert.equal(full.status.eventCount, loadFixture('trap.jsonl').length);
  });

  it('keeps snapshots that do not start a new run, and progress at the newest time seen; drops replies', () => {
    const messages = sessionMessages('counter-reuse3.jsonl');
    const { recorder, state } = liveSession(messages);
    const recording = recorder.toRecording({ component: null, knobs: null })!;
    assert.deepEqual(
      kinds(recorder),
      messages.filter((m) => m.kind !== 'reply').map((m) => m.kind),
    );
    const progress = recording.messages.find((e) => 'message' in e && e.message.kind === 'load-progress')!;
    const before = recording.messages[recording.messages.indexOf(progress) - 1]!;
    assert.equal(progress.t, before.t);
    assert.equal(recording.endT, state.clock.maxT);
  });

  it('restarts when the store resets: another component, serving again, an engine restarted, or a load', () => {
    const messages = sessionMessages('counter-reuse3.jsonl');
    const { recorder, state } = liveSession(messages);
    const t = state.clock.maxT + 10;
    const resets: Array<[string, ServerMessage]> = [
      [
        'another component',
        {
          kind: 'snapshot',
          snapshot: emptySnapshot({
            t,
            component: { ...emptySnapshot().component!, spec: 'demo:hello', name: 'hello' },
          }),
        },
      ],
      ['engine clock restarted', { kind: 'snapshot', snapshot: emptySnapshot({ t: 5 }) }],
    ];
    for (const [why, snapshot] of resets) {
      const r = liveSession(messages).recorder;
      r.record(snapshot, state);
      assert.deepEqual(kinds(r), ['snapshot'], why);
      assert.equal(r.status.eventCount, 0, why);
    }
    // Serving again after a stop: the stop snapshot is kept, the start one restarts.
    let live: DataState = state;
    const stop: ServerMessage = {
      kind: 'snapshot',
      snapshot: emptySnapshot({ t, serving: false, component: null, listenUrl: null }),
    };
    recorder.record(stop, live);
    live = applyServerMessage(live, stop, 0);
    assert.equal(kinds(recorder).at(-1), 'snapshot');
    assert.ok(recorder.status.eventCount > 0, 'stopping keeps the history');
    recorder.record({ kind: 'snapshot', snapshot: emptySnapshot({ t: t + 1 }) }, live);
    assert.deepEqual(kinds(recorder), ['snapshot']);
    // A `load` of the same component: the store is told to reset, and so is the recorder.
    const again = liveSession(messages).recorder;
    again.restart(emptySnapshot({ t }));
    assert.deepEqual(kinds(again), ['snapshot']);
    assert.equal(applySnapshot(state, emptySnapshot({ t }), 0, true).log.total, 0, '(the store forgets its log too)');
  });

  it('stops at its cap and says so; the next reset records again', () => {
    const recorder = new Recorder(30);
    const { state } = liveSession(sessionMessages('counter-reuse3.jsonl'), recorder);
    const status = recorder.status;
    assert.equal(status.truncated, true);
    assert.ok(status.eventCount <= 30 && status.eventCount > 0, `${status.eventCount} events kept`);
    const recording = recorder.toRecording({ component: null, knobs: null })!;
    assert.equal(recording.truncated, true);
    assert.equal(recording.eventCount, status.eventCount);
    recorder.record({ kind: 'snapshot', snapshot: emptySnapshot({ t: 1 }) }, state); // clock went back: a new engine
    assert.deepEqual(recorder.status, { eventCount: 0, truncated: false, started: true });
  });

  it('marks the Clear button, which changes the dashboard without a message', () => {
    const { recorder, state } = liveSession(sessionMessages('trap.jsonl'));
    recorder.clearHistory(state.clock.maxT);
    const last = recorder.toRecording({ component: null, knobs: null })!.messages.at(-1)!;
    assert.deepEqual(last, { t: state.clock.maxT, action: 'clearHistory' });
  });
});
