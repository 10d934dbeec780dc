/**
 * The pacer on a clock the test moves (no real time): what it holds, when it hands it on, and how
 * the measured cost of a delivery sets the pace. Messages are a recorded engine stream's batches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOADED_EVENTS_PER_SECOND, type ServerMessage } from '../../../protocol/index.ts';
import { batchesOf } from '../model/event-batches.ts';
import { emptySnapshot, loadFixture } from '../model/test-support.ts';
import type { DataState } from '../model/types.ts';
import { FIXTURES, sessionMessages } from '../recording/test-streams.ts';
import { Recorder } from '../recording/recorder.ts';
import { Replayer } from '../recording/replay.ts';
import { createPoolscopeStore } from '../store/create-store.ts';
import { pickData } from '../store/replay-mode.ts';
import { testBridge } from '../store/test-bridge.ts';
import { paced } from './index.ts';
import {
  isLoaded,
  LOADED_MIN_PACE_MS,
  MAX_HELD_MESSAGES,
  MAX_PACE_MS,
  MessagePacer,
  MIN_PACE_MS,
  paceFor,
  QUIET_AFTER_MS,
  type PacerClock,
} from './message-pacer.ts';

/** A clock the test moves; `paint()` runs the pending after-paint callbacks (a frame was drawn). */
function testClock(withPaint = true) {
  let now = 1000;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let paints: Array<() => void> = [];
  let nextId = 1;
  const clock: PacerClock = {
    now: () => now,
    setTimer(callback, ms) {
      timers.set(nextId, { at: now + ms, callback });
      return nextId++;
    },
    clearTimer: (handle) => void timers.delete(handle as number),
    ...(withPaint ? { afterPaint: (callback: () => void) => void paints.push(callback) } : {}),
  };
  return {
    clock,
    /** Moves time on, firing due timers in order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = end;
    },
    paint() {
      const run = paints;
      paints = [];
      for (const callback of run) callback();
    },
    pendingTimers: () => timers.size,
  };
}

const batches = batchesOf(loadFixture('sleep-parallel.jsonl'), 1);
type EventsMessage = ServerMessage & { kind: 'events' };
const eventsWith = (events: EventsMessage['events']): EventsMessage => ({
  kind: 'events',
  events,
  gauges: emptySnapshot().gauges,
  dropped: 0,
});
const eventsMessage = (i: number): ServerMessage => eventsWith(batches[i % batches.length] ?? []);
/** An events message of `n` events (copies of one: the pacer only counts them). */
const eventsOf = (n: number): EventsMessage =>
  eventsWith(Array.from({ length: n }, () => batches[0]?.[0] ?? assert.fail('empty fixture')));
const seqs = (ms: readonly ServerMessage[]): number[] =>
  ms.flatMap((m) => (m.kind === 'events' ? m.events.map((e) => e.seq) : []));

describe('MessagePacer', () => {
  it('hands on the first batch at once, holds the next ones and delivers them joined when the pace allows', () => {
    const t = testClock(false);
    const delivered: ServerMessage[] = [];
    const pacer = new MessagePacer((m) => delivered.push(m), t.clock);
    pacer.push(eventsMessage(0));
    assert.equal(delivered.length, 1, 'after a quiet spell: at once');
    for (let i = 1; i <= 4; i++) {
      t.advance(50); // the engine's batch interval
      pacer.push(eventsMessage(i));
    }
    assert.equal(delivered.length, 1, 'held until 250 ms after the last delivery');
    t.advance(MIN_PACE_MS - 200);
    assert.equal(delivered.length, 2);
    assert.equal(delivered[1]?.kind, 'events');
    assert.deepEqual(seqs(delivered), seqs([0, 1, 2, 3, 4].map(eventsMessage)), 'every event, in order, joined');
    assert.equal(t.pendingTimers(), 1, 'nothing left to deliver: only the wait for a quiet stream');
  });

  it('lets snapshots, scenario progress and replies through at once, after what was held', () => {
    const t = testClock(false);
    const delivered: ServerMessage[] = [];
    const pacer = new MessagePacer((m) => delivered.push(m), t.clock);
    pacer.push(eventsMessage(0));
    t.advance(50);
    pacer.push(eventsMessage(1));
    const progress: ServerMessage = {
      kind: 'load-progress',
      progress: { runId: 0, done: 5, errors: 0, rate: 100, finished: false, statusCounts: {}, latencyMs: null },
    };
    pacer.push(progress);
    pacer.push(eventsMessage(2));
    assert.equal(delivered.length, 1, 'load progress waits too');
    const snapshot: ServerMessage = { kind: 'snapshot', snapshot: emptySnapshot({ t: 5 }) };
    pacer.push(snapshot);
    assert.deepEqual(
      delivered.map((m) => m.kind),
      ['events', 'events', 'load-progress', 'events', 'snapshot'],
    );
    assert.equal(t.pendingTimers(), 1, 'nothing left to deliver: only the wait for a quiet stream');
    pacer.push({ kind: 'reply', id: 3, ok: true, result: null });
    assert.equal(delivered.at(-1)?.kind, 'reply');
  });

  it('delivers at once when it holds MAX_HELD_MESSAGES', () => {
    const t = testClock(false);
    const delivered: ServerMessage[] = [];
    const pacer = new MessagePacer((m) => delivered.push(m), t.clock);
    pacer.push(eventsMessage(0));
    for (let i = 1; i < MAX_HELD_MESSAGES; i++) pacer.push(eventsMessage(i));
    assert.equal(delivered.length, 1);
    pacer.push(eventsMessage(MAX_HELD_MESSAGES));
    assert.equal(delivered.length, 2);
    assert.equal(delivered[1]?.kind === 'events' && delivered[1].events.length > 0, true);
  });

  it('waits ten times what a delivery took to paint, between 250 ms and 2 s', () => {
    assert.equal(paceFor(5), MIN_PACE_MS);
    assert.equal(paceFor(60), 600);
    assert.equal(paceFor(900), MAX_PACE_MS);

    const t = testClock();
    const delivered: ServerMessage[] = [];
    const pacer = new MessagePacer((m) => delivered.push(m), t.clock);
    pacer.push(eventsMessage(0));
    t.advance(80); // the page took 80 ms to render and paint it
    t.paint();
    assert.equal(pacer.intervalMs, 800);
    pacer.push(eventsMessage(1));
    t.advance(800 - 80 - 1);
    assert.equal(delivered.length, 1, 'not before 800 ms after the last delivery');
    t.advance(1);
    assert.equal(delivered.length, 2);
    t.advance(10); // a cheap one: back to the fastest pace
    t.paint();
    assert.equal(pacer.intervalMs, MIN_PACE_MS);
  });

  it("does not pace live updates by what a snapshot cost (the page's first full render)", () => {
    const t = testClock();
    const pacer = new MessagePacer(() => {}, t.clock);
    pacer.push({ kind: 'snapshot', snapshot: emptySnapshot({ t: 5 }) });
    t.advance(400); // the whole page drawn for the first time
    t.paint();
    assert.equal(pacer.intervalMs, MIN_PACE_MS);
    pacer.push(eventsMessage(0));
    t.advance(40);
    t.paint();
    assert.equal(pacer.intervalMs, paceFor(40), 'a live update is measured');
  });

  it('does not count a measurement whose frame also painted a snapshot', () => {
    const t = testClock();
    const pacer = new MessagePacer(() => {}, t.clock);
    pacer.push(eventsMessage(0)); // measured: painted with the snapshot below
    pacer.push({ kind: 'snapshot', snapshot: emptySnapshot({ t: 5 }) });
    t.advance(400);
    t.paint();
    assert.equal(pacer.intervalMs, MIN_PACE_MS);
  });

  it('goes back to the quiet pace, and says so, once no live data came for QUIET_AFTER_MS', () => {
    const t = testClock();
    const paces: number[] = [];
    const pacer = new MessagePacer(() => {}, t.clock, { pace: (ms) => paces.push(ms), delivered: () => {} });
    pacer.push(eventsMessage(0));
    t.advance(150); // a costly delivery: 1.5 s
    t.paint();
    assert.equal(pacer.intervalMs, 1500);
    t.advance(QUIET_AFTER_MS - 150 - 1);
    assert.equal(pacer.intervalMs, 1500, 'not before');
    t.advance(1);
    assert.equal(pacer.intervalMs, MIN_PACE_MS);
    assert.deepEqual(paces, [1500, MIN_PACE_MS]);
    // Data again: each delivery restarts the wait.
    pacer.push(eventsMessage(1));
    t.advance(QUIET_AFTER_MS - 1);
    pacer.push(eventsMessage(2));
    t.advance(QUIET_AFTER_MS - 1);
    assert.equal(t.pendingTimers(), 1, 'one wait at a time');
  });

  it('keeps its pace while a page that does not paint (hidden) never reports, and measures one delivery at a time', () => {
    const t = testClock();
    const delivered: ServerMessage[] = [];
    const pacer = new MessagePacer((m) => delivered.push(m), t.clock);
    pacer.push(eventsMessage(0));
    for (let i = 1; i <= 20; i++) {
      t.advance(50);
      pacer.push(eventsMessage(i));
    }
    assert.equal(pacer.intervalMs, MIN_PACE_MS);
    assert.ok(delivered.length >= 4, 'still delivered at the last pace');
    t.paint(); // the one measurement pending: from the first delivery, 1 s ago
    assert.equal(pacer.intervalMs, paceFor(1000));
  });

  it('tells its listener each new pace it settles on, and only a change', () => {
    const t = testClock();
    const paces: number[] = [];
    const pacer = new MessagePacer(() => {}, t.clock, { pace: (ms) => paces.push(ms), delivered: () => {} });
    const deliverTaking = (ms: number) => {
      t.advance(MAX_PACE_MS);
      pacer.push(eventsMessage(0));
      t.advance(ms);
      t.paint();
    };
    deliverTaking(10); // 100 ms: under the minimum, the pace it had
    deliverTaking(100);
    deliverTaking(100);
    deliverTaking(5);
    assert.deepEqual(paces, [paceFor(100), MIN_PACE_MS]);
  });

  it("delivers at most once a second while events come at the engine's loaded rate, and every 250 ms again below half of it", () => {
    assert.equal(isLoaded(LOADED_EVENTS_PER_SECOND, false), true);
    assert.equal(isLoaded(LOADED_EVENTS_PER_SECOND - 1, false), false);
    assert.equal(isLoaded(LOADED_EVENTS_PER_SECOND / 2, true), true, 'stays loaded down to half the rate');
    assert.equal(isLoaded(LOADED_EVENTS_PER_SECOND / 2 - 1, true), false);
    assert.equal(paceFor(5, true), LOADED_MIN_PACE_MS);
    assert.equal(
      paceFor(40, true),
      LOADED_MIN_PACE_MS,
      'a delivery that took 40 ms: twenty times that is under the floor',
    );
    assert.equal(paceFor(75, true), 1500, 'a costly delivery slows it further: twenty times its cost under load');
    assert.equal(paceFor(70), 700, 'ten times when quiet');
    assert.equal(paceFor(73.4, true), 1500, 'in tenths of a second: a few ms more or less change nothing');
    assert.equal(paceFor(150, true), MAX_PACE_MS);

    const t = testClock();
    const delivered: ServerMessage[] = [];
    const heard = { paces: [] as number[], deliveries: 0 };
    const pacer = new MessagePacer((m) => delivered.push(m), t.clock, {
      pace: (ms) => heard.paces.push(ms),
      delivered: () => heard.deliveries++,
    });
    /** `perSecond` events a second, in the engine's 250 ms batches (some dropped by it), for `ms`. */
    const stream = (perSecond: number, ms: number) => {
      for (let at = 0; at < ms; at += 250) {
        t.advance(250);
        const n = (perSecond * 250) / 1000;
        pacer.push({ ...eventsOf(n - 10), dropped: 10 });
        t.paint(); // each delivery painted at once: cost 0, the pace is the floor
      }
    };
    stream(LOADED_EVENTS_PER_SECOND / 4, 2000); // a trickle: every 250 ms
    assert.equal(pacer.intervalMs, MIN_PACE_MS);
    const trickle = delivered.length;
    assert.equal(trickle, 8);
    stream(LOADED_EVENTS_PER_SECOND * 5, 4000); // under load
    assert.equal(pacer.intervalMs, LOADED_MIN_PACE_MS);
    assert.ok(
      delivered.length - trickle <= 4 + 1,
      `at most one delivery a second (+ the one that saw the load), got ${delivered.length - trickle}`,
    );
    stream(LOADED_EVENTS_PER_SECOND * 0.75, 4000); // between the lines: still loaded
    assert.equal(pacer.intervalMs, LOADED_MIN_PACE_MS);
    stream(LOADED_EVENTS_PER_SECOND / 4, 3000); // quiet again
    assert.equal(pacer.intervalMs, MIN_PACE_MS);
    assert.deepEqual(heard.paces, [LOADED_MIN_PACE_MS, MIN_PACE_MS]);
    assert.equal(heard.deliveries, delivered.length, 'told of each delivery (one message per delivery here)');
  });

  it('stop drops what is held and its timer', () => {
    const t = testClock(false);
    const delivered: ServerMessage[] = [];
    const pacer = new MessagePacer((m) => delivered.push(m), t.clock);
    pacer.push(eventsMessage(0));
    pacer.push(eventsMessage(1));
    pacer.stop();
    t.advance(1000);
    assert.equal(delivered.length, 1);
    assert.equal(t.pendingTimers(), 0);
  });
});

describe('a store behind a paced bridge', () => {
  const storeOn = (bridge: Parameters<typeof createPoolscopeStore>[0]['bridge']) => {
    const recorder = new Recorder();
    return {
      store: createPoolscopeStore({ bridge, recorder, openReplayer: (recording) => new Replayer(recording) }),
      recorder,
    };
  };
  /** The data, but not the receive-clock estimate (each store read its own clock). */
  const shown = (data: DataState): Omit<DataState, 'clock'> => {
    const { clock: _, ...rest } = data;
    return rest;
  };

  for (const fixture of FIXTURES) {
    it(`${fixture}: ends showing and recording what a store fed every message does`, () => {
      const t = testClock();
      const direct = testBridge();
      const source = testBridge();
      const plain = storeOn(direct);
      const pacedStore = storeOn(paced(source, t.clock));
      for (const message of sessionMessages(fixture)) {
        direct.push(message);
        source.push(message);
        t.advance(50);
        t.paint();
      }
      t.advance(MAX_PACE_MS);
      assert.deepEqual(shown(pickData(pacedStore.store.getState())), shown(pickData(plain.store.getState())));
      assert.deepEqual(pacedStore.recorder.status, plain.recorder.status);
    });
  }
});
