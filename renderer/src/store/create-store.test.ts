/**
 * A store is made from what it talks to, so each test has its own: messages and connection
 * changes from its bridge, commands to it, and nothing shared with another store. The engine is a
 * test bridge (see `test-bridge.ts`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptySnapshot } from '../model/test-support.ts';
import { Recorder } from '../recording/recorder.ts';
import { Replayer } from '../recording/replay.ts';
import { createPoolscopeStore, type PoolscopeStore } from './create-store.ts';
import type { StoreDeps } from './shape.ts';
import { testBridge } from './test-bridge.ts';

function makeStore(bridge: StoreDeps['bridge']): { store: PoolscopeStore; recorder: Recorder } {
  const recorder = new Recorder();
  return {
    store: createPoolscopeStore({ bridge, recorder, openReplayer: (recording) => new Replayer(recording) }),
    recorder,
  };
}

describe('createPoolscopeStore', () => {
  it('shows what its bridge pushes, and records it', () => {
    const bridge = testBridge();
    const { store, recorder } = makeStore(bridge);
    assert.equal(store.getState().pool.ready, false);
    bridge.push({ kind: 'snapshot', snapshot: emptySnapshot({ t: 5 }) });
    assert.equal(store.getState().pool.ready, true);
    assert.equal(store.getState().pool.component?.spec, 'demo:counter');
    assert.equal(recorder.status.started, true);
    assert.deepEqual(store.getState().recorder, recorder.status, 'the store shows the recorder status');
  });

  it('follows its bridge’s connection, from the state the bridge reports when the store is made', () => {
    const bridge = testBridge();
    const { store } = makeStore(bridge);
    assert.equal(store.getState().connection.status, 'open');
    bridge.setConnection({ status: 'connecting', attempts: 2, error: 'engine went away' });
    assert.deepEqual(store.getState().connection, { status: 'connecting', attempts: 2, error: 'engine went away' });
  });

  it('sends commands to its own bridge; an engine error comes back, as a notice only when asked', async () => {
    const bridge = testBridge();
    bridge.reply = (command) => {
      throw new Error(`no ${command.type} today`);
    };
    const { store } = makeStore(bridge);
    assert.deepEqual(await store.getState().command({ type: 'stop' }, false), { ok: false, error: 'no stop today' });
    assert.equal(store.getState().ui.notice, null);
    assert.deepEqual(await store.getState().command({ type: 'start' }), { ok: false, error: 'no start today' });
    assert.equal(store.getState().ui.notice, 'no start today');
    assert.deepEqual(bridge.sent, [{ type: 'stop' }, { type: 'start' }]);
  });

  it('without a bridge, commands fail and nothing else breaks', async () => {
    const { store } = makeStore(null);
    assert.deepEqual(await store.getState().command({ type: 'snapshot' }), {
      ok: false,
      error: 'not connected to an engine',
    });
    assert.equal(store.getState().connection.status, 'connecting');
  });

  it('two stores share nothing: not messages, recordings, nor replays', () => {
    const first = makeStore(testBridge());
    const secondBridge = testBridge();
    const second = makeStore(secondBridge);
    secondBridge.push({ kind: 'snapshot', snapshot: emptySnapshot({ t: 5 }) });
    assert.equal(first.store.getState().pool.ready, false);
    assert.equal(first.recorder.status.started, false);
    const exported = second.store.getState().exportRecording();
    assert.ok(exported.ok);
    assert.deepEqual(first.store.getState().importRecording(exported.text, exported.fileName), { ok: true });
    assert.notEqual(first.store.getState().replay, null);
    assert.equal(second.store.getState().replay, null);
  });
});
