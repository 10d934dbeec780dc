/**
 * wasi:io/poll. A pollable is either always ready (our streams and futures never wait: request
 * bodies are fully buffered and output is accepted immediately) or a deadline on the monotonic
 * clock (from wasi:clocks subscriptions).
 *
 * Blocking is real and synchronous: `Atomics.wait` parks the worker thread, as a blocking WASI
 * call parks a wasmtime instance. A guest that blocks forever is stopped by the pool's watchdog
 * terminating the thread, so we sleep in bounded slices and never need to be woken.
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

export class Pollable {
  /** Monotonic deadline in ns; 0n means ready from the start. */
  readonly deadline: bigint;

  constructor(deadline: bigint) {
    this.deadline = deadline;
  }

  ready(): boolean {
    return this.deadline === 0n || monotonicNow() >= this.deadline;
  }

  block(): void {
    if (this.deadline !== 0n) sleepUntil(this.deadline);
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
  for (;;) {
    const now = monotonicNow();
    let readyCount = 0;
    let earliest = -1n;
    for (let i = 0; i < count; i++) {
      const d = (pollables[i] as Pollable).deadline;
      if (d <= now) readyCount++;
      else if (earliest < 0n || d < earliest) earliest = d;
    }
    if (readyCount > 0) {
      const ready = new Uint32Array(readyCount);
      let j = 0;
      for (let i = 0; i < count; i++) {
        if ((pollables[i] as Pollable).deadline <= now) ready[j++] = i;
      }
      return ready;
    }
    sleepUntil(earliest);
  }
}

export const pollImports = { Pollable, poll };
