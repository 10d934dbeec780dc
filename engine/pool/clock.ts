/** A timer the pool armed. `cancel` may be called more than once, and after it fired. */
export interface PoolTimer {
  cancel(): void;
}

/**
 * The pool's time: `now` on the events' clock (the one a request's `receivedAt` was read from), and
 * timers on it (idle expiry, request timeouts, the watchdog). Injected so that a unit test can
 * drive the state machine with a clock it moves itself.
 */
export interface PoolClock {
  now(): number;
  /** Calls `fire` once, `delayMs` from now, unless cancelled first. */
  after(delayMs: number, fire: () => void): PoolTimer;
}

/** The production clock: `now` as given (the event bus's), timers from Node's `setTimeout`. */
export function systemClock(now: () => number): PoolClock {
  return {
    now,
    after(delayMs, fire) {
      const timer = setTimeout(fire, delayMs);
      return { cancel: () => clearTimeout(timer) };
    },
  };
}

/**
 * Calls `fire` once the clock reads `deadline` or later, unless cancelled first. Timers work in
 * whole milliseconds and may fire a fraction early: an early wake waits again, so nothing the pool
 * does on a deadline (the watchdog, a request's expiry, a drain's end) ever happens before it.
 */
export function atDeadline(clock: PoolClock, deadline: number, fire: () => void): PoolTimer {
  let timer: PoolTimer;
  const wait = (): void => {
    timer = clock.after(Math.max(0, deadline - clock.now()), () => (clock.now() < deadline ? wait() : fire()));
  };
  wait();
  return { cancel: () => timer.cancel() };
}
