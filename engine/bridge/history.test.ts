/** The engine's history ring: its two bounds, what it drops and what the dropped events leave behind. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolEvent } from '../../protocol/index.ts';
import { loadFixture } from '../../renderer/src/model/test-support.ts';
import { EventHistory, estimateBytes } from './history.ts';
import { InstanceTracker } from './instance-tracker.ts';

/** `n` guest output lines of `chars` characters each, one every 10 ms. */
function outputLines(n: number, chars = 10, from = 0): PoolEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'guest.output',
    instanceId: 0,
    stream: 'stdout',
    line: 'x'.repeat(chars),
    t: (from + i) * 10,
    seq: from + i,
  }));
}

describe('EventHistory', () => {
  it('keeps everything, in order and as emitted, within its bounds', () => {
    const events = loadFixture('counter-leaks-reuse3.jsonl');
    const history = new EventHistory();
    for (const e of events) history.push(e);
    const h = history.history();
    assert.deepEqual(h.events, events);
    assert.equal(h.events[0], events[0], 'the very objects the bus emitted');
    assert.deepEqual([h.dropped, h.before, h.maxEvents, h.maxBytes], [0, null, 50_000, 8 * 1024 * 1024]);
  });

  it('bounded by count: the newest are kept, each dropped one counted, across compactions', () => {
    const history = new EventHistory({ maxEvents: 100 });
    const events = outputLines(5000);
    for (const e of events) history.push(e);
    const h = history.history();
    assert.equal(history.length, 100);
    assert.deepEqual(h.events, events.slice(-100));
    assert.equal(h.dropped, 4900);
  });

  it('bounded by estimated bytes: big events push out as many old ones as they need', () => {
    const small = outputLines(50, 10);
    const size = estimateBytes(small[0]);
    const history = new EventHistory({ maxBytes: size * 20 });
    for (const e of small) history.push(e);
    assert.equal(history.length, 20);
    assert.ok(history.bytes <= size * 20);
    // One event the size of ten small ones: ten small ones go, ten stay beside it.
    const [big] = outputLines(1, 10 + (size * 10 - size), 50);
    history.push(big!);
    const h = history.history();
    assert.equal(h.events[h.events.length - 1], big);
    assert.ok(history.bytes <= size * 20, `${history.bytes} bytes kept, bound ${size * 20}`);
    assert.equal(estimateBytes(big), size * 10);
    assert.equal(history.bytes, size * 20);
    assert.equal(h.events.length, 11);
    assert.equal(h.dropped, 30 + 10);
    assert.deepEqual(h.events.slice(0, -1), small.slice(-10));
  });

  it('an event larger than the whole bound is not kept (it is counted as dropped)', () => {
    const history = new EventHistory({ maxBytes: 100 });
    for (const e of outputLines(1, 1000)) history.push(e);
    assert.deepEqual([history.length, history.bytes, history.history().dropped], [0, 0, 1]);
  });

  it('the estimate follows the JSON text', () => {
    for (const e of loadFixture('fetch-outgoing.jsonl')) {
      const json = JSON.stringify(e).length;
      const estimate = estimateBytes(e);
      assert.ok(estimate >= json * 0.8 && estimate <= json * 2, `${e.type}: ${estimate} vs ${json}`);
    }
  });

  it("what was dropped is summed up as the engine's tracker saw it at the first kept event", () => {
    const events = loadFixture('grow-reuse50.jsonl');
    const history = new EventHistory({ maxEvents: 40 });
    for (const e of events) history.push(e);
    const dropped = events.slice(0, events.length - 40);
    const tracker = new InstanceTracker(200);
    for (const e of dropped) tracker.apply(e);
    const before = history.history().before;
    assert.ok(before);
    assert.deepEqual(before.live, tracker.snapshot());
    assert.deepEqual(before.retired, tracker.retired().retired);
    assert.equal(before.requests.received, dropped.filter((e) => e.type === 'request.received').length);
    assert.equal(before.requests.ok, dropped.filter((e) => e.type === 'request.completed').length);
    const completedBySecond = new Map<number, number>();
    for (const e of dropped) {
      if (e.type !== 'request.completed') continue;
      const sec = Math.floor(e.t / 1000);
      completedBySecond.set(sec, (completedBySecond.get(sec) ?? 0) + 1);
    }
    assert.deepEqual(
      before.buckets.filter((b) => b.completed > 0).map((b) => [b.sec, b.completed]),
      [...completedBySecond],
    );
  });

  it('clear forgets events, drops and the summary (a new pool, or the user cleared)', () => {
    const history = new EventHistory({ maxEvents: 10 });
    for (const e of outputLines(30)) history.push(e);
    history.clear();
    assert.deepEqual(history.history(), {
      events: [],
      dropped: 0,
      maxEvents: 10,
      maxBytes: 8 * 1024 * 1024,
      before: null,
    });
    assert.equal(history.bytes, 0);
  });
});
