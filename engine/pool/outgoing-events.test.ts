/** The bound on outgoing-request events per instance, on a clock the test moves. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../events/event-bus.ts';
import { MAX_OUTGOING_EVENTS_PER_SECOND, type OutgoingCall, type PoolEvent } from '../../protocol/index.ts';
import { completedCall } from '../../protocol/test-support.ts';
import { OutgoingEvents } from './outgoing-events.ts';

const ok = completedCall({ durationMs: 1, responseBytes: 2 });
const refused: OutgoingCall = {
  ...ok,
  status: null,
  outcome: 'failed',
  error: { tag: 'connection-refused', detail: 'ECONNREFUSED 127.0.0.1:9' },
};

function setup(perSecond?: number) {
  const bus = new EventBus();
  const events: PoolEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const clock = { now: 0 };
  const outgoing = new OutgoingEvents(bus, 7, {
    ...(perSecond !== undefined ? { perSecond } : {}),
    now: () => clock.now,
  });
  const types = () => events.map((e) => e.type);
  return { events, clock, outgoing, types };
}

test('the bound is 100 events a second per instance by default', () => {
  assert.equal(MAX_OUTGOING_EVENTS_PER_SECOND, 100);
  const { events, outgoing } = setup();
  for (let i = 0; i < 250; i++) outgoing.report(i, ok);
  assert.equal(events.filter((e) => e.type === 'request.outgoing').length, 100);
  outgoing.flush();
  assert.deepEqual(events.at(-1), {
    ...events.at(-1),
    type: 'request.outgoing_dropped',
    instanceId: 7,
    count: 150,
    failed: 0,
  });
});

test('a guest calling out in a loop: the first N of a second are events, the rest one count (failures counted apart) when the second ends', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { events, clock, outgoing, types } = setup(3);
  for (let i = 0; i < 10; i++) outgoing.report(1, i % 2 === 0 ? refused : ok);
  assert.deepEqual(types(), ['request.outgoing', 'request.outgoing', 'request.outgoing']);
  assert.deepEqual(events[0], { ...events[0], type: 'request.outgoing', instanceId: 7, requestId: 1, ...refused });

  // The window's timer reports what was counted in it.
  clock.now = 1000;
  t.mock.timers.tick(1000);
  assert.equal(events.length, 4);
  assert.deepEqual(events[3], { ...events[3], type: 'request.outgoing_dropped', instanceId: 7, count: 7, failed: 3 });

  // A new second, a new allowance.
  clock.now = 1500;
  for (let i = 0; i < 4; i++) outgoing.report(null, ok);
  assert.deepEqual(types().slice(4), ['request.outgoing', 'request.outgoing', 'request.outgoing']);
  // The instance exits before the window ends: the count goes out then (before its worker.exit).
  outgoing.flush();
  assert.deepEqual(events.at(-1), {
    ...events.at(-1),
    type: 'request.outgoing_dropped',
    instanceId: 7,
    count: 1,
    failed: 0,
  });
  // Nothing counted, nothing said; the timer that was pending is gone.
  outgoing.flush();
  t.mock.timers.tick(5000);
  assert.equal(events.length, 8);
});

test('every outgoing request is accounted for: events plus counts', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { events, clock, outgoing } = setup(5);
  let sent = 0;
  for (let ms = 0; ms < 3000; ms += 10) {
    clock.now = ms;
    t.mock.timers.tick(10);
    for (let i = 0; i < ms % 7; i++, sent++) outgoing.report(0, ok);
  }
  outgoing.flush();
  const reported = events.filter((e) => e.type === 'request.outgoing').length;
  const counted = events.reduce((n, e) => n + (e.type === 'request.outgoing_dropped' ? e.count : 0), 0);
  assert.equal(reported + counted, sent);
  assert.ok(reported <= 5 * 3);
});
