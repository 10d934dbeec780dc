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
