/** The live stream's batching: when batches go out, and what a batch keeps at most. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EVENT_BATCH_INTERVAL_MS,
  LOADED_EVENT_BATCH_INTERVAL_MS,
  LOADED_EVENTS_PER_SECOND,
  MAX_EVENTS_PER_BATCH,
  type PoolEvent,
} from '../../protocol/index.ts';
import { type BatcherClock, EventBatcher, MAX_BATCH_OUTPUT_CHARS } from './event-batcher.ts';

/** A clock the test runs by hand: what the batcher asked for, and a way to let the time pass. */
function manualSchedule(): { clock: BatcherClock; asked: number[]; elapse(lateByMs?: number): void } {
  let due: (() => void) | null = null;
  let dueInMs = 0;
  let now = 0;
  const asked: number[] = [];
  return {
    asked,
    clock: {
      schedule: (flush, ms) => {
        asked.push(ms);
        due = flush;
        dueInMs = ms;
        return () => {
          due = null;
        };
      },
      now: () => now,
    },
    /** The scheduled flush runs, `lateByMs` after it was due (a busy event loop). */
    elapse: (lateByMs = 0) => {
      const flush = due;
      due = null;
      assert.ok(flush, 'a flush is scheduled');
      now += dueInMs + lateByMs;
      flush();
    },
  };
}

let seq = 0;
const received = (): PoolEvent => ({
  type: 'request.received',
  requestId: seq,
  method: 'GET',
  uri: '/',
  t: seq,
  seq: seq++,
});
const exit = (): PoolEvent => ({
  type: 'worker.exit',
  instanceId: seq,
  cause: 'drained',
  served: 1,
  lifetimeMs: 1,
  message: null,
  t: seq,
  seq: seq++,
});

/** Pushes `count` events and lets the batch's window pass. */
function batchOf(
  batcher: EventBatcher,
  clock: ReturnType<typeof manualSchedule>,
  count: number,
  make: () => PoolEvent = received,
): void {
  for (let i = 0; i < count; i++) batcher.push(make());
  clock.elapse();
}

test('the rate is measured over the time a batch took: a late timer does not make a stream loaded', () => {
  const clock = manualSchedule();
  const batcher = new EventBatcher(() => {}, clock.clock);
  const atLoadedRate = (LOADED_EVENTS_PER_SECOND * EVENT_BATCH_INTERVAL_MS) / 1000;
  // The loaded rate's worth of events in a window, but the timer fired a whole window late: half the rate.
  for (let i = 0; i < atLoadedRate; i++) batcher.push(received());
  clock.elapse(EVENT_BATCH_INTERVAL_MS);
  batcher.push(received());
  assert.equal(clock.asked.at(-1), EVENT_BATCH_INTERVAL_MS);
  clock.elapse();
  // On time, the same count makes it loaded.
  for (let i = 0; i < atLoadedRate; i++) batcher.push(received());
  clock.elapse();
  batcher.push(received());
  assert.equal(clock.asked.at(-1), LOADED_EVENT_BATCH_INTERVAL_MS);
});

test('a batch goes out at once when its guest output reaches 1 MiB, whatever its window', () => {
  const clock = manualSchedule();
  const sent: number[] = [];
  const batcher = new EventBatcher((events) => sent.push(events.length), clock.clock);
  const line = 'x'.repeat(64 * 1024);
  const output = (): PoolEvent => ({ type: 'guest.output', instanceId: 0, stream: 'stdout', line, t: seq, seq: seq++ });
  const perBatch = MAX_BATCH_OUTPUT_CHARS / line.length;
  for (let i = 0; i < perBatch * 2 + 1; i++) batcher.push(output());
  assert.deepEqual(sent, [perBatch, perBatch], 'two full batches went out without their timer');
  clock.elapse();
  assert.deepEqual(sent, [perBatch, perBatch, 1]);
});

test('events by hand go out every 50 ms; a loaded stream every 250 ms, until it falls under half the loaded rate', () => {
  const clock = manualSchedule();
  const sent: number[] = [];
  const batcher = new EventBatcher((events) => sent.push(events.length), clock.clock);
  const perBatch = (perSecond: number, ms: number) => Math.ceil((perSecond * ms) / 1000);

  batchOf(batcher, clock, 3);
  assert.deepEqual(clock.asked, [EVENT_BATCH_INTERVAL_MS]);
  // Just under the loaded rate: still quiet.
  batchOf(batcher, clock, perBatch(LOADED_EVENTS_PER_SECOND, EVENT_BATCH_INTERVAL_MS) - 1);
  assert.equal(clock.asked.at(-1), EVENT_BATCH_INTERVAL_MS);
  // At the loaded rate: the next batch is collected for 250 ms.
  batchOf(batcher, clock, perBatch(LOADED_EVENTS_PER_SECOND, EVENT_BATCH_INTERVAL_MS));
  batchOf(batcher, clock, perBatch(LOADED_EVENTS_PER_SECOND * 0.6, LOADED_EVENT_BATCH_INTERVAL_MS));
  assert.equal(clock.asked.at(-1), LOADED_EVENT_BATCH_INTERVAL_MS);
  // 60% of the loaded rate keeps it loaded (no flapping at the line); under half ends it.
  batchOf(batcher, clock, perBatch(LOADED_EVENTS_PER_SECOND * 0.4, LOADED_EVENT_BATCH_INTERVAL_MS));
  assert.equal(clock.asked.at(-1), LOADED_EVENT_BATCH_INTERVAL_MS);
  batchOf(batcher, clock, 1);
  assert.equal(clock.asked.at(-1), EVENT_BATCH_INTERVAL_MS);
  assert.deepEqual(clock.asked, [50, 50, 50, 250, 250, 50]);
  // Every event pushed went out (none of these batches is large enough to compact: request.received only).
  assert.equal(
    sent.reduce((a, b) => a + b, 0),
    3 + 99 + 100 + 300 + 200 + 1,
  );
});

test('a loaded batch keeps five times as many events as a quiet one before it sheds: the same bound per second', () => {
  const clock = manualSchedule();
  const batches: Array<{ events: number; dropped: number }> = [];
  const batcher = new EventBatcher((events, dropped) => batches.push({ events: events.length, dropped }), clock.clock);
  const quietCap = MAX_EVENTS_PER_BATCH;
  const loadedCap = (MAX_EVENTS_PER_BATCH * LOADED_EVENT_BATCH_INTERVAL_MS) / EVENT_BATCH_INTERVAL_MS;

  // A quiet window flooded: it sheds to within its cap, and the flood makes the next window loaded.
  batchOf(batcher, clock, quietCap * 2);
  assert.equal(clock.asked.at(-1), EVENT_BATCH_INTERVAL_MS);
  const quiet = batches.at(-1);
  assert.ok(quiet && quiet.events <= quietCap * 1.1 && quiet.events >= quietCap * 0.9, `quiet batch: ${quiet?.events}`);
  assert.equal(quiet.events + quiet.dropped, quietCap * 2);
  // The loaded window holds the same flood whole.
  batchOf(batcher, clock, quietCap * 2);
  assert.equal(clock.asked.at(-1), LOADED_EVENT_BATCH_INTERVAL_MS);
  assert.deepEqual(batches.at(-1), { events: quietCap * 2, dropped: 0 });
  // And sheds past its own cap; lifecycle events are never shed.
  batchOf(batcher, clock, loadedCap * 2, exit);
  assert.deepEqual(batches.at(-1), { events: loadedCap * 2, dropped: 0 });
  batchOf(batcher, clock, loadedCap * 2);
  const loaded = batches.at(-1);
  assert.ok(
    loaded && loaded.events <= loadedCap * 1.1 && loaded.events >= loadedCap * 0.9,
    `loaded batch: ${loaded?.events}`,
  );
  assert.equal(loaded.events + loaded.dropped, loadedCap * 2);
});

test('flushNow hands the batch over at once and cancels its timer; stop cancels it too', () => {
  const clock = manualSchedule();
  const sent: number[] = [];
  const batcher = new EventBatcher((events) => sent.push(events.length), clock.clock);
  batcher.push(received());
  batcher.flushNow();
  assert.deepEqual(sent, [1]);
  assert.throws(() => clock.elapse(), /a flush is scheduled/);
  batcher.flushNow();
  assert.deepEqual(sent, [1], 'nothing pending, nothing sent');
  batcher.push(received());
  batcher.stop();
  assert.throws(() => clock.elapse(), /a flush is scheduled/);
});
