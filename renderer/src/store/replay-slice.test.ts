/**
 * The replay slice in a real store: messages received, a recording exported and opened again, the
 * live data kept aside, commands refused. The engine is a test bridge that keeps what it is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerMessage } from '../../../protocol/index.ts';
import { emptySnapshot, loadFixture } from '../model/test-support.ts';
import type { DataState } from '../model/types.ts';
import { Recorder } from '../recording/recorder.ts';
import { Replayer } from '../recording/replay.ts';
import { sessionMessages, withoutClock } from '../recording/test-streams.ts';
import { createPoolscopeStore } from './create-store.ts';
import { pickData, REPLAY_REFUSAL } from './replay-mode.ts';
import { testBridge } from './test-bridge.ts';

const bridge = testBridge();
const useStore = createPoolscopeStore({
  bridge,
  recorder: new Recorder(),
  openReplayer: (recording) => new Replayer(recording),
});
const sent = bridge.sent;

/** The data keys of the store (every slice built from server messages). */
const data = (): DataState => pickData(useStore.getState());

describe('replay slice (the store)', () => {
  const messages = sessionMessages('counter-reuse3.jsonl');
  const half = Math.floor(messages.length / 2);

  it('exports what it received, opens it again and shows its end: the same as live', () => {
    const { receive } = useStore.getState();
    for (const m of messages.slice(0, half)) receive(m);
    const live = data();
    assert.equal(useStore.getState().recorder.eventCount, live.log.total);
    const exported = useStore.getState().exportRecording();
    assert.ok(exported.ok);
    assert.match(exported.fileName, /^poolscope-counter-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.poolscope\.json$/);
    assert.equal(exported.eventCount, live.log.total);

    assert.deepEqual(useStore.getState().importRecording(exported.text, exported.fileName), { ok: true });
    const { replay } = useStore.getState();
    assert.ok(replay);
    assert.equal(replay.positionT, replay.recording.endT);
    assert.equal(replay.eventsApplied, exported.eventCount);
    assert.equal(replay.playing, false);
    assert.deepEqual(withoutClock(data()), withoutClock(live));
    assert.equal(useStore.getState().clock.maxT, replay.positionT, 'views read the position as engine time');
  });

  it('while replaying, live messages update the live data aside, not what is shown', () => {
    const shown = data();
    const { receive } = useStore.getState();
    for (const m of messages.slice(half)) receive(m);
    assert.deepEqual(data(), shown);
    const aside = useStore.getState().replay!.live;
    assert.equal(aside.log.total, loadFixture('counter-reuse3.jsonl').length);
    assert.equal(useStore.getState().recorder.eventCount, aside.log.total, 'and they are still recorded');
  });

  it('refuses commands that would change the engine, with a notice; nothing is sent', async () => {
    sent.length = 0;
    const store = useStore.getState();
    const results = await Promise.all([
      store.setKnobs({ maxInstanceReuseCount: 1 }),
      store.loadComponent('demo:hello'),
      store.setServing(false),
      store.sendRequests({ count: 1, concurrency: 1, path: '/', method: 'GET' }),
      store.clearHistory(),
    ]);
    for (const r of results) assert.deepEqual(r, { ok: false, error: REPLAY_REFUSAL });
    assert.deepEqual(sent, []);
    assert.equal(useStore.getState().ui.notice, REPLAY_REFUSAL);
    assert.equal(
      useStore.getState().replay!.live.load.requested,
      null,
      'the refused run did not touch the live load either',
    );
  });

  it('seeks, plays at a speed and stops at the end', () => {
    const store = useStore.getState();
    const { startT, endT } = store.replay!.recording;
    store.seek(startT - 100);
    assert.equal(useStore.getState().replay!.positionT, startT, 'clamped to the start');
    assert.equal(useStore.getState().log.total, 0);
    assert.equal(useStore.getState().replay!.eventsApplied, 0);
    store.setSpeed(16);
    store.play();
    store.advance(1);
    assert.equal(useStore.getState().replay!.positionT, startT + 16);
    store.pause();
    store.advance(1000);
    assert.equal(useStore.getState().replay!.positionT, startT + 16, 'paused: time stands still');
    store.play();
    store.advance(1e9);
    assert.equal(useStore.getState().replay!.positionT, endT);
    assert.equal(useStore.getState().replay!.playing, false, 'stops at the end');
    store.play();
    assert.equal(useStore.getState().replay!.positionT, startT, 'play at the end starts over');
    store.pause();
  });

  it('back to live: the live data as it is by now', () => {
    const aside = useStore.getState().replay!.live;
    useStore.getState().exitReplay();
    assert.equal(useStore.getState().replay, null);
    assert.deepEqual(data(), aside);
    const more: ServerMessage = { kind: 'snapshot', snapshot: emptySnapshot({ t: aside.clock.maxT + 1 }) };
    useStore.getState().receive(more);
    assert.equal(useStore.getState().pool.ready, true);
  });

  it('a file that is not a recording leaves the dashboard live, with the reason as a notice', () => {
    const before = data();
    const result = useStore
      .getState()
      .importRecording('{"format":"poolscope-recording","version":9}', 'future.poolscope.json');
    assert.deepEqual(result, {
      ok: false,
      error:
        'Could not open future.poolscope.json: recording version 9 is newer than this dashboard understands (it reads version 1)',
    });
    assert.equal(useStore.getState().ui.notice, result.ok ? null : result.error);
    assert.equal(useStore.getState().replay, null);
    assert.deepEqual(data(), before);
  });
});
