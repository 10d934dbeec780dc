/**
 * How a WASIp2 instance waits: one `Waiter` per host. Blocking calls return Promises, and jco's
 * JSPI glue suspends only the calling instance's wasm stack until they settle, so the thread
 * keeps running other instances. Deadlines wait on timers; conditions on a response window wait
 * on `Atomics.waitAsync` on its signal cell (the main thread bumps and notifies it).
 *
 * Aborting the host's `signal` (the instance is killed or disposed) rejects every pending wait
 * with `signal.reason`, so the suspended stack unwinds and can be freed, and makes every later
 * blocking call reject at once.
 */

import type { Pollable } from './poll.ts';
import { HostTrap } from './result.ts';

/** Monotonic nanoseconds; the same clock as wasi:clocks/monotonic-clock.now. */
export const monotonicNow: () => bigint = process.hrtime.bigint;

/** setTimeout's longest delay (a longer one fires at once); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WaiterOptions {
  /** Aborted when the instance goes away: pending waits reject with its reason. */
  signal?: AbortSignal | undefined;
  /** Called right before a wait that will really suspend the instance. */
  beforeBlock?: (() => void) | undefined;
}

export class Waiter {
  readonly #signal: AbortSignal | undefined;
  readonly #beforeBlock: (() => void) | undefined;
  /** The `fail` of every sleep in progress, so an abort ends them all. */
  readonly #sleeps = new Set<(reason: unknown) => void>();

  constructor(options: WaiterOptions = {}) {
    const signal = options.signal;
    this.#signal = signal;
    this.#beforeBlock = options.beforeBlock;
    signal?.addEventListener(
      'abort',
      () => {
        for (const fail of [...this.#sleeps]) fail(signal.reason);
      },
      { once: true },
    );
  }

  /** Throws the abort reason once the host's signal has aborted. */
  check(): void {
    this.#signal?.throwIfAborted();
  }

  /** `pollable.block`. */
  async block(pollable: Pollable): Promise<void> {
    await this.poll([pollable]);
  }

  /** `poll(list<borrow<pollable>>) -> list<u32>`: the indices of the ready pollables, waiting
   * until at least one is. */
  async poll(pollables: readonly Pollable[]): Promise<Uint32Array> {
    const count = pollables.length;
    if (count === 0) throw new HostTrap('wasi:io/poll.poll: empty list of pollables');
    let suspended = false;
    for (;;) {
      this.check();
      // Read each signal before checking conditions: a change after this read ends the wait.
      let cells: Map<Int32Array, number> | null = null;
      for (const { wait } of pollables) {
        if (wait !== null && !cells?.has(wait.signal))
          (cells ??= new Map()).set(wait.signal, Atomics.load(wait.signal, 0));
      }
      const now = monotonicNow();
      const ready: number[] = [];
      let earliest = -1n;
      for (let i = 0; i < count; i++) {
        // i < count, the list's length: the entry exists (noUncheckedIndexedAccess cannot see it).
        const pollable = pollables[i] as Pollable;
        if (pollable.wait !== null) {
          if (pollable.wait.condition()) ready.push(i);
        } else if (pollable.deadline <= now) ready.push(i);
        else if (earliest < 0n || pollable.deadline < earliest) earliest = pollable.deadline;
      }
      if (ready.length > 0) return Uint32Array.from(ready);
      if (!suspended) {
        suspended = true;
        this.#beforeBlock?.();
      }
      // Round up so we never wake early (and then spin on a sub-millisecond remainder).
      await this.#sleep(earliest < 0n ? -1 : Number((earliest - now + 999_999n) / 1_000_000n), cells);
    }
  }

  /** Resolves after `ms` (none if negative) or once a cell differs from the value it maps to;
   * rejects when the signal aborts. The caller rechecks what it waits for. */
  #sleep(ms: number, cells: Map<Int32Array, number> | null): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#signal?.aborted) {
        reject(this.#signal.reason);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const fail = (reason: unknown): void => {
        this.#sleeps.delete(fail);
        clearTimeout(timer);
        reject(reason);
      };
      const wake = (): void => {
        if (!this.#sleeps.delete(fail)) return;
        clearTimeout(timer);
        resolve();
      };
      this.#sleeps.add(fail);
      const delay = ms < 0 ? Infinity : Math.min(ms, MAX_TIMER_MS);
      if (ms >= 0) timer = setTimeout(wake, delay);
      if (cells === null) return;
      for (const [cell, seen] of cells) {
        // Bounded by the timer's delay, so a wait the timer ended leaves no registration behind.
        // (A pending waitAsync does not keep the process alive.)
        const result = Atomics.waitAsync(cell, 0, seen, delay);
        if (!result.async) {
          wake();
          return;
        }
        void result.value.then(wake);
      }
    });
  }
}

/** For objects built outside a host (tests, or a guest's own resources in a unit test): never aborts. */
export const UNSCOPED = new Waiter();
