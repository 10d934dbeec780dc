/**
 * wasi:clocks/{monotonic-clock,wall-clock}. Subscriptions are deadline pollables (see poll.ts):
 * `pollable.block()` suspends the instance until the deadline.
 */

import { monotonicNow, Pollable } from './poll.ts';
import type { Waiter } from './wait.ts';

/** `process.hrtime.bigint()` counts nanoseconds. */
const MONOTONIC_RESOLUTION = 1n;

/** Per host: its pollables wait through the host's waiter. */
export function createMonotonicClockImports(waiter: Waiter): Record<string, unknown> {
  return {
    now: monotonicNow,

    resolution(): bigint {
      return MONOTONIC_RESOLUTION;
    },

    subscribeInstant(when: bigint): Pollable {
      // An instant in the past is simply ready at once.
      return new Pollable(when, null, waiter);
    },

    subscribeDuration(duration: bigint): Pollable {
      // BigInt does not overflow: u64::MAX simply lies centuries ahead, i.e. "forever".
      return new Pollable(duration === 0n ? 0n : monotonicNow() + duration, null, waiter);
    },
  };
}

export interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}

/** `Date.now()` follows the system clock, which is what a wall clock should do; it has
 * millisecond resolution. */
const WALL_RESOLUTION: Datetime = Object.freeze({ seconds: 0n, nanoseconds: 1_000_000 });

export const wallClockImports = {
  now(): Datetime {
    const ms = Date.now();
    const seconds = Math.floor(ms / 1000);
    return { seconds: BigInt(seconds), nanoseconds: (ms - seconds * 1000) * 1_000_000 };
  },

  resolution(): Datetime {
    return WALL_RESOLUTION;
  },
};
