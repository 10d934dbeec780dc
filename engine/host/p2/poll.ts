/**
 * wasi:io/poll. A pollable is either a deadline on the monotonic clock (from wasi:clocks
 * subscriptions; 0 means ready from the start) or a condition on shared memory (a response body's
 * window, see `WriteWindow`): ready when `condition()` holds, which can only change when the
 * `signal` cell changes.
 *
 * Waiting is asynchronous (see wait.ts): `block` and `poll` return Promises and suspend only the
 * calling instance. A pollable waits through the `Waiter` of the host that made it.
 */

import { monotonicNow, UNSCOPED, type Waiter } from './wait.ts';

export { monotonicNow } from './wait.ts';

/** A condition that only changes when `signal[0]` changes (the writer bumps and notifies it). */
export interface SignalCondition {
  signal: Int32Array;
  condition: () => boolean;
}

/** A deadline no clock reaches: a pollable that is never ready (its wait ends only by abort). */
export const NEVER = 0xffff_ffff_ffff_ffffn;

export class Pollable {
  /** Monotonic deadline in ns; 0n means ready from the start. Ignored when `wait` is set. */
  readonly deadline: bigint;
  readonly wait: SignalCondition | null;
  readonly waiter: Waiter;

  constructor(deadline: bigint, wait: SignalCondition | null = null, waiter: Waiter = UNSCOPED) {
    this.deadline = deadline;
    this.wait = wait;
    this.waiter = waiter;
  }

  ready(): boolean {
    if (this.wait !== null) return this.wait.condition();
    return this.deadline === 0n || monotonicNow() >= this.deadline;
  }

  block(): Promise<void> {
    return this.waiter.block(this);
  }
}

/** The shared always-ready pollable. Safe to hand out many times: it holds no state and has no
 * drop behaviour, so the glue can map any number of handles to it. */
export const READY = new Pollable(0n);

/** The host's `wasi:io/poll` (its `poll` waits through the host's waiter). */
export function createPollImports(waiter: Waiter): Record<string, unknown> {
  return { Pollable, poll: (pollables: Pollable[]): Promise<Uint32Array> => waiter.poll(pollables) };
}
