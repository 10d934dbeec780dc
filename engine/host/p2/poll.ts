/**
 * wasi:io/poll. A pollable is either a deadline on the monotonic clock (from wasi:clocks
 * subscriptions; 0 means ready from the start) or a condition on shared memory (a response body's
 * window, see `WriteWindow`): ready when `condition()` holds, which can only change when the
 * `signal` cell changes.
 *
 * Blocking is real and synchronous: `Atomics.wait` parks the worker thread, as a blocking WASI
 * call parks a wasmtime instance. A guest that blocks forever is stopped by the pool's watchdog
 * terminating the thread, so we sleep in bounded slices and never need to be woken by a deadline.
 */

import { HostTrap } from './result.ts';

/** Monotonic nanoseconds; the same clock as wasi:clocks/monotonic-clock.now. */
export const monotonicNow: () => bigint = process.hrtime.bigint;

/** Never signalled: `Atomics.wait` on it only ever times out. Private to this module. */
const parking = new Int32Array(new SharedArrayBuffer(4));

/** Longest single sleep; keeps each wait bounded even for "forever" deadlines. */
const SLICE_MS = 1000;

/** Called before the thread parks: the instance thread flushes its held messages there, so a
 * response streamed by a guest that then sleeps reaches the client before the sleep. */
let beforeSleep: () => void = () => {};

export function onBeforeSleep(hook: () => void): void {
  beforeSleep = hook;
}

/** Sleeps the thread until the monotonic clock reaches `deadline` (ns). */
export function sleepUntil(deadline: bigint): void {
  if (deadline > monotonicNow()) beforeSleep();
  for (;;) {
    const remaining = deadline - monotonicNow();
    if (remaining <= 0n) return;
    // Round up so we do not spin on sub-millisecond remainders.
    const ms = remaining >= 1_000_000_000n ? SLICE_MS : Math.ceil(Number(remaining) / 1e6);
    Atomics.wait(parking, 0, 0, ms);
  }
}

/** A condition that only changes when `signal[0]` changes (the writer bumps and notifies it). */
export interface SignalCondition {
  signal: Int32Array;
  condition: () => boolean;
}

/** When a poll waits on conditions with different signals it can only park on one of them: it
 * then rechecks the others this often. (Never happens with our host: one response per thread.) */
const MIXED_SIGNALS_SLICE_MS = 10;

export class Pollable {
  /** Monotonic deadline in ns; 0n means ready from the start. Ignored when `wait` is set. */
  readonly deadline: bigint;
  readonly wait: SignalCondition | null;

  constructor(deadline: bigint, wait: SignalCondition | null = null) {
    this.deadline = deadline;
    this.wait = wait;
  }

  ready(): boolean {
    if (this.wait !== null) return this.wait.condition();
    return this.deadline === 0n || monotonicNow() >= this.deadline;
  }

  block(): void {
    if (this.wait === null && this.deadline === 0n) return;
    poll([this]);
  }
}

/** The shared always-ready pollable. Safe to hand out many times: it holds no state and has no
 * drop behaviour, so the glue can map any number of handles to it. */
export const READY = new Pollable(0n);

/** `poll(list<borrow<pollable>>) -> list<u32>`: indices of the ready pollables, blocking until at
 * least one is. */
export function poll(pollables: Pollable[]): Uint32Array {
  const count = pollables.length;
  if (count === 0) throw new HostTrap('wasi:io/poll.poll: empty list of pollables');
  let signal: Int32Array | null = null;
  let mixedSignals = false;
  for (const pollable of pollables) {
    const wait = pollable.wait;
    if (wait === null) continue;
    if (signal === null) signal = wait.signal;
    else if (signal !== wait.signal) mixedSignals = true;
  }
  for (;;) {
    // Read the signal before checking conditions: a change after this read ends the wait below.
    const seen = signal === null ? 0 : Atomics.load(signal, 0);
    const now = monotonicNow();
    const ready: number[] = [];
    let earliest = -1n;
    for (let i = 0; i < count; i++) {
      const pollable = pollables[i] as Pollable;
      if (pollable.wait !== null) {
        if (pollable.wait.condition()) ready.push(i);
      } else if (pollable.deadline <= now) ready.push(i);
      else if (earliest < 0n || pollable.deadline < earliest) earliest = pollable.deadline;
    }
    if (ready.length > 0) return Uint32Array.from(ready);
    if (signal === null) {
      sleepUntil(earliest);
      continue;
    }
    beforeSleep();
    let ms = mixedSignals ? MIXED_SIGNALS_SLICE_MS : SLICE_MS;
    if (earliest >= 0n) ms = Math.min(ms, Math.max(1, Math.ceil(Number(earliest - now) / 1e6)));
    Atomics.wait(signal, 0, seen, ms);
  }
}

export const pollImports = { Pollable, poll };
