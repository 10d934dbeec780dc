/**
 * The compare slice on a store fed a recorded engine stream: a side takes a recording file (the
 * replay's parser, its message on that side only) or the live run as recorded so far.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toJson } from '../recording/format.ts';
import { Recorder } from '../recording/recorder.ts';
import { Replayer } from '../recording/replay.ts';
import { liveSession, sessionMessages } from '../recording/test-streams.ts';
import { createPoolscopeStore } from './create-store.ts';
import { testBridge } from './test-bridge.ts';

function liveStore() {
  const bridge = testBridge();
  const store = createPoolscopeStore({
    bridge,
    recorder: new Recorder(),
    openReplayer: (recording) => new Replayer(recording),
  });
  return { bridge, store };
}

describe('compare slice', () => {
  const messages = sessionMessages('counter-reuse3.jsonl');
  const { recorder } = liveSession(messages);
  const file = toJson(recorder.toRecording({ component: null, knobs: null })!);

  it('a file for A, the live run for B; a bad file is refused on its side and leaves the other', () => {
    const { bridge, store } = liveStore();
    const s = () => store.getState();
    assert.equal(s().compare.open, false);
    s().openCompare();
    assert.equal(s().compare.open, true);

    assert.deepEqual(s().loadCompareFile('a', file, 'counter.poolscope.json'), { ok: true });
    assert.equal(s().compare.a?.label, 'counter.poolscope.json');
    assert.equal(s().compare.a?.summary.completed, 5);

    // Nothing live yet: B says so.
    assert.equal(s().compareLive('b').ok, false);
    assert.match(s().compare.errors.b ?? '', /nothing recorded yet/);
    for (const m of messages) bridge.push(m);
    assert.deepEqual(s().compareLive('b'), { ok: true });
    assert.equal(s().compare.errors.b, null);
    assert.equal(s().compare.b?.label, 'live run');
    assert.deepEqual(s().compare.b?.summary, s().compare.a?.summary, 'the same stream, live or from its file');

    const bad = s().loadCompareFile('a', file.replace('"eventCount":', '"eventCount":1'), 'cut.json');
    assert.equal(bad.ok, false);
    assert.match(s().compare.errors.a ?? '', /^Could not open cut\.json: invalid recording: eventCount is 1\d+ but/);
    assert.equal(s().compare.a?.label, 'counter.poolscope.json', 'the run picked before stays');
    assert.equal(s().ui.notice, null, 'the message is on its side, not a page notice');

    s().closeCompare();
    assert.equal(s().compare.open, false);
    assert.notEqual(s().compare.a, null, 'reopening shows the same runs');
  });
});
