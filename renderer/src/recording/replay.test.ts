import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolEvent, ServerMessage } from '../../../protocol/index.ts';
import { applyServerMessage, clearHistory, initialData } from '../model/apply.ts';
import { emptySnapshot, loadFixture } from '../model/test-support.ts';
import type { DataState } from '../model/types.ts';
import type { Recording } from './format.ts';
import { Recorder } from './recorder.ts';
import { CHECKPOINT_EVENTS, Replayer } from './replay.ts';
import { FIXTURES, liveSession, sessionMessages, withoutClock } from './test-streams.ts';

function recordingOf(
  messages: readonly ServerMessage[],
  recorder = new Recorder(),
): { recording: Recording; live: DataState } {
  const { state, recorder: r } = liveSession(messages, recorder);
  return { recording: r.toRecording({ component: null, knobs: null })!, live: state };
}

/** Every time at which something happens in the recording, and the midpoints between. */
function interestingTimes(recording: Recording): number[] {
  const times = new Set<number>([recording.startT - 1, recording.endT + 1]);
  for (const e of recording.messages) {
    times.add(e.t);
    if ('message' in e && e.message.kind === 'events') for (const ev of e.message.events) times.add(ev.t);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.flatMap((t, i) => (i ? [(sorted[i - 1]! + t) / 2, t] : [t]));
}

describe('replay', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture}: at the end, the same dashboard as the live one that received the messages`, () => {
      const { recording, live } = recordingOf(sessionMessages(fixture));
      const replayer = new Replayer(recording);
      const end = replayer.seek(recording.endT);
      assert.deepEqual(withoutClock(end), withoutClock(live));
      assert.deepEqual(end.clock, { offset: null, maxT: recording.endT }, "the views' engine clock is the position");
      assert.equal(replayer.eventsApplied, recording.eventCount);
    });
  }

  it('at a batch boundary, the same as the live dashboard that had received only those messages', () => {
    const messages = sessionMessages('sleep-parallel.jsonl');
    const { recording } = recordingOf(messages);
    const replayer = new Replayer(recording);
    let live = initialData;
    let count = 0;
    for (const [i, m] of messages.entries()) {
      live = applyServerMessage(live, m, 0);
      if (m.kind !== 'events') continue;
      count += m.events.length;
      const t = m.events.at(-1)!.t;
      // Where the next message is later, the prefix at t ends with this batch.
      const next = messages.slice(i + 1).find((n) => n.kind === 'events' || n.kind === 'snapshot');
      if (next && (next.kind === 'snapshot' ? next.snapshot.t : next.events[0]!.t) <= t) continue;
      const state = replayer.seek(t);
      assert.deepEqual(withoutClock(state), withoutClock(live), `at t=${t}`);
      assert.equal(replayer.eventsApplied, count);
    }
  });

  it('inside a batch: exactly the events up to T, in order', () => {
    const { recording } = recordingOf(sessionMessages('counter-reuse3.jsonl'));
    const events = loadFixture('counter-reuse3.jsonl');
    const replayer = new Replayer(recording);
    for (const t of interestingTimes(recording)) {
      const state = replayer.seek(t);
      const expected = events.filter((e) => e.t <= t);
      assert.equal(replayer.eventsApplied, expected.length, `at t=${t}`);
      assert.deepEqual(state.log.events, expected, `at t=${t}`);
      const accepted = expected.filter((e) => e.type === 'request.accepted' && e.instanceId === 0).length;
      const zero = state.instances.live.get(0) ?? state.instances.retired.find((r) => r.instanceId === 0);
      if (accepted > 0) assert.equal(zero?.reuseCount, accepted, `reuse count at t=${t}`);
    }
    assert.equal(replayer.seek(recording.startT).instances.live.size, 0, 'nothing has happened at the start');
  });

  it('seeking back (and forward past checkpoints) gives what a fresh replay computes', () => {
    for (const fixture of FIXTURES) {
      const { recording } = recordingOf(sessionMessages(fixture));
      const times = interestingTimes(recording);
      const wandering = new Replayer(recording, 5); // a checkpoint every 5 events: they are all used
      wandering.seek(recording.endT);
      const order = [...times].reverse().concat(
        times.filter((_, i) => i % 3 === 0),
        [...times].sort(() => 0.5 - Math.random()),
      );
      for (const t of order) {
        const fresh = new Replayer(recording).seek(t);
        assert.deepEqual(wandering.seek(t), fresh, `${fixture} at t=${t}`);
      }
    }
  });

  it("replays the user's Clear where it happened", () => {
    const messages = sessionMessages('trap.jsonl');
    const { state: live, recorder } = liveSession(messages);
    recorder.clearHistory(live.clock.maxT);
    const recording = recorder.toRecording({ component: null, knobs: null })!;
    const end = new Replayer(recording).seek(recording.endT);
    assert.deepEqual(withoutClock(end), withoutClock(clearHistory(live)));
    assert.equal(end.log.total, 0);
  });

  it(`a ${(200_000).toLocaleString('en')}-event recording: after the first pass a seek applies at most one checkpoint interval`, () => {
    const base = loadFixture('counter-reuse3.jsonl');
    const span = base.at(-1)!.t + 1;
    const messages: ServerMessage[] = [{ kind: 'snapshot', snapshot: emptySnapshot() }];
    const gauges = emptySnapshot().gauges;
    for (let round = 0, seq = 0; seq < 200_000; round++) {
      // Ids shifted so every round is its own instances and requests.
      const events = base.map(
        (e) =>
          ({
            ...e,
            t: e.t + round * span,
            seq: seq++,
            ...('instanceId' in e && e.instanceId !== null ? { instanceId: e.instanceId + round * 2 } : {}),
            ...('requestId' in e && e.requestId !== null ? { requestId: e.requestId + round * 5 } : {}),
          }) as PoolEvent,
      );
      messages.push({ kind: 'events', events, gauges, dropped: 0 });
    }
    const { recording } = recordingOf(messages);
    assert.ok(recording.eventCount >= 200_000);
    const replayer = new Replayer(recording);
    let started = performance.now();
    replayer.seek(recording.endT);
    const firstPass = performance.now() - started;
    assert.equal(replayer.lastSeekWork, recording.eventCount);
    const duration = recording.endT - recording.startT;
    let worst = 0;
    started = performance.now();
    for (let i = 0; i < 50; i++) {
      replayer.seek(recording.startT + (((i * 37) % 50) / 50) * duration);
      worst = Math.max(worst, replayer.lastSeekWork);
    }
    const perSeek = (performance.now() - started) / 50;
    assert.ok(worst <= CHECKPOINT_EVENTS + base.length, `a seek applied ${worst} events`);
    process.stdout.write(
      `# ${recording.eventCount} events: first pass ${firstPass.toFixed(0)} ms, then ${perSeek.toFixed(1)} ms per seek\n`,
    );
  });
});
