/**
 * Commands while the link to the engine is down fail at once with a message (a knob edit is not
 * left on `…` until a reconnect), and go through again once it is back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultKnobs } from '../../../protocol/index.ts';
import { Recorder } from '../recording/recorder.ts';
import { Replayer } from '../recording/replay.ts';
import { CLOSED_REFUSAL, DISCONNECTED_REFUSAL } from './connection-slice.ts';
import { createPoolscopeStore } from './create-store.ts';
import { testBridge } from './test-bridge.ts';

describe('connection slice', () => {
  it('refuses commands while reconnecting, without sending them; sends them again once open', async () => {
    const bridge = testBridge();
    bridge.reply = ((command) => {
      if (command.type !== 'setKnobs') throw new Error(`unexpected ${command.type}`);
      return { requestedKnobs: defaultKnobs('wasip2'), knobs: defaultKnobs('wasip2') };
    }) as typeof bridge.reply;
    const store = createPoolscopeStore({
      bridge,
      recorder: new Recorder(),
      openReplayer: (recording) => new Replayer(recording),
    });
    // What websocket-client.ts reports when the engine's socket closes.
    bridge.setConnection({ status: 'connecting', attempts: 1, error: 'connection lost' });
    const refused = await store.getState().setKnobs({ maxInstanceReuseCount: 4 });
    assert.deepEqual(refused, { ok: false, error: DISCONNECTED_REFUSAL });
    assert.equal(store.getState().ui.notice, null, 'a knob edit shows its error by the field, not as a notice');
    assert.deepEqual(await store.getState().command({ type: 'start' }), { ok: false, error: DISCONNECTED_REFUSAL });
    assert.equal(store.getState().ui.notice, DISCONNECTED_REFUSAL);
    assert.deepEqual(bridge.sent, [], 'nothing reaches the bridge while it is down');

    bridge.setConnection({ status: 'closed', attempts: 1, error: null });
    assert.deepEqual(await store.getState().command({ type: 'stop' }, false), { ok: false, error: CLOSED_REFUSAL });

    bridge.setConnection({ status: 'open', attempts: 0, error: null });
    const applied = await store.getState().setKnobs({ maxInstanceReuseCount: 4 });
    assert.equal(applied.ok, true);
    assert.deepEqual(bridge.sent, [{ type: 'setKnobs', patch: { maxInstanceReuseCount: 4 } }]);
  });

  it('retry asks the bridge to reconnect now', () => {
    const bridge = testBridge();
    let retries = 0;
    bridge.retryNow = () => void retries++;
    const store = createPoolscopeStore({
      bridge,
      recorder: new Recorder(),
      openReplayer: (recording) => new Replayer(recording),
    });
    store.getState().retryConnection();
    assert.equal(retries, 1);
  });
});
