/**
 * `atDeadline` on a clock whose timers fire early, as Node's may by a fraction of a millisecond:
 * the pool's deadlines (the watchdog, request expiry, a drain's end) never act before time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atDeadline, type PoolClock, type PoolTimer } from './clock.ts';

/**
 * A clock whose timers of a millisecond or more fire `earlyBy` ms before they were asked to, and
 * shorter ones after a millisecond, as Node clamps them (the test moves time by firing).
 */
function earlyClock(earlyBy: number): PoolClock & { fireNext(): void; armed: number } {
  let now = 0;
  const timers: Array<{ at: number; fire: () => void; cancelled: boolean }> = [];
  return {
    armed: 0,
    now: () => now,
    after(delayMs, fire): PoolTimer {
      this.armed++;
      const timer = { at: now + (delayMs >= 1 ? delayMs - earlyBy : 1), fire, cancelled: false };
      timers.push(timer);
      return { cancel: () => void (timer.cancelled = true) };
    },
    fireNext() {
      const timer = timers.shift();
      assert.ok(timer, 'a timer is armed');
      now = timer.at;
      if (!timer.cancelled) timer.fire();
    },
  };
}

test('fires at the deadline, not before, when the timer wakes early', () => {
  const clock = earlyClock(0.5);
  const fired: number[] = [];
  atDeadline(clock, 10, () => fired.push(clock.now()));
  clock.fireNext(); // 9.5: early, so it waits again
  assert.deepEqual(fired, []);
  assert.equal(clock.armed, 2);
  clock.fireNext(); // 10.5: due
  assert.equal(fired.length, 1);
  assert.ok(fired[0]! >= 10, `fired at ${fired[0]}`);
});

test('a cancelled deadline never fires, also after an early wake re-armed it', () => {
  const clock = earlyClock(0.5);
  let fired = false;
  const timer = atDeadline(clock, 10, () => {
    fired = true;
  });
  clock.fireNext();
  timer.cancel();
  clock.fireNext();
  assert.equal(fired, false);
});
