/**
 * wasi:io/streams.
 * - input streams read from a fully buffered Uint8Array (request bodies, stdin): never wait;
 * - output streams hand every write straight to a `WriteTarget`. The stdout/stderr sinks take
 *   anything at once. A response body has a window (backpressure from the client's socket):
 *   `check-write` reports what fits, `subscribe` is ready when more fits (or the client left),
 *   and blocking writes wait for room. `flush` has nothing to wait for: writes are handed on at once.
 *
 * Blocking calls that may wait return a Promise (the instance suspends, see wait.ts); the others
 * stay synchronous. Every blocking call fails at once with the abort reason once the stream's
 * host is aborted.
 */

import type { IoError } from './io-error.ts';
import { READY, type Pollable } from './poll.ts';
import { clampLength, fail, HostTrap, type ResultErr } from './result.ts';
import { UNSCOPED, type Waiter } from './wait.ts';

/** `stream-error.closed`, thrown as a result error. Shared and frozen: the glue only reads it. */
export const STREAM_CLOSED: ResultErr<{ tag: 'closed' }> = Object.freeze({
  payload: Object.freeze({ tag: 'closed' as const }),
});

/** Throws `stream-error.last-operation-failed(error)`. */
export function failStream(error: IoError): never {
  fail({ tag: 'last-operation-failed', val: error });
}

/** The most `check-write` allows per write (wasmtime's bodies allow far less; any amount is valid). */
const WRITE_BUDGET = 1n << 20n;

const EMPTY = new Uint8Array(0);

export class InputStream {
  private readonly data: Uint8Array;
  private readonly waiter: Waiter;
  private offset = 0;

  constructor(data: Uint8Array, waiter: Waiter = UNSCOPED) {
    this.data = data;
    this.waiter = waiter;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.data.length - this.offset;
  }

  read(len: bigint): Uint8Array {
    const available = this.data.length - this.offset;
    if (available === 0) throw STREAM_CLOSED;
    const n = clampLength(len, available);
    if (n === 0) return EMPTY;
    const start = this.offset;
    this.offset = start + n;
    // A view, not a copy: the glue copies it into guest memory right away, and the buffered
    // body is never mutated.
    return this.data.subarray(start, start + n);
  }

  /** Never waits: the data is all here. */
  blockingRead(len: bigint): Uint8Array {
    this.waiter.check();
    return this.read(len);
  }

  skip(len: bigint): bigint {
    const available = this.data.length - this.offset;
    if (available === 0) throw STREAM_CLOSED;
    const n = clampLength(len, available);
    this.offset += n;
    return BigInt(n);
  }

  blockingSkip(len: bigint): bigint {
    this.waiter.check();
    return this.skip(len);
  }

  subscribe(): Pollable {
    return READY;
  }
}

/** Where an output stream's bytes go. */
export interface WriteTarget {
  /** Takes bytes the guest wrote (the glue already copied them out of guest memory, so they may
   * be kept). Never called with an empty array. Throws a stream-error result when it cannot. */
  write(bytes: Uint8Array): void;
  /** Throws the stream-error a write would get now, if any (for check-write and flush). */
  check(): void;
  /** Bytes a write may carry now without waiting, after `check` passed. Absent: any amount. */
  capacity?(): number;
  /** Ready once `capacity` is above 0 or a write would fail. Absent: always ready. */
  subscribe?(): Pollable;
  /** What a blocking write must wait for before it writes, or null when it may go ahead now
   * (possibly to fail). Absent: never waits. */
  whenWritable?(): Pollable | null;
}

export class OutputStream {
  readonly target: WriteTarget;
  private readonly waiter: Waiter;

  constructor(target: WriteTarget, waiter: Waiter = UNSCOPED) {
    this.target = target;
    this.waiter = waiter;
  }

  checkWrite(): bigint {
    this.target.check();
    const capacity = this.target.capacity?.();
    return capacity === undefined || capacity >= Number(WRITE_BUDGET) ? WRITE_BUDGET : BigInt(capacity);
  }

  write(contents: Uint8Array): void {
    if (contents.length === 0) this.target.check();
    else this.target.write(contents);
  }

  async blockingWriteAndFlush(contents: Uint8Array): Promise<void> {
    const room = this.room(this.target.whenWritable?.() ?? null);
    if (room !== null) await room;
    this.write(contents);
  }

  flush(): void {
    this.target.check();
  }

  blockingFlush(): void {
    this.waiter.check();
    this.target.check();
  }

  subscribe(): Pollable {
    return this.target.subscribe?.() ?? READY;
  }

  /** As wasmtime: more zeroes than `check-write` allows is a trap, found before any is made. */
  writeZeroes(len: bigint): void {
    const budget = this.checkWrite();
    if (len > budget)
      throw new HostTrap(`output-stream.write-zeroes: ${len} bytes is more than check-write allows (${budget})`);
    this.write(len === 0n ? EMPTY : new Uint8Array(Number(len)));
  }

  /** Waits for room like `blocking-write-and-flush`; at most `WRITE_BUDGET` zeroes (a trap past
   * it, before waiting or allocating). */
  async blockingWriteZeroesAndFlush(len: bigint): Promise<void> {
    if (len > WRITE_BUDGET)
      throw new HostTrap(
        `output-stream.blocking-write-zeroes-and-flush: ${len} bytes is more than ${WRITE_BUDGET} at once`,
      );
    const room = this.room(this.target.whenWritable?.() ?? null);
    if (room !== null) await room;
    this.write(len === 0n ? EMPTY : new Uint8Array(Number(len)));
  }

  /** Copies up to `len` bytes from `src`, as many as `check-write` allows now; `closed` once `src`
   * is exhausted (as in wasmtime). */
  splice(src: InputStream, len: bigint): bigint {
    const budget = this.checkWrite();
    if (budget === 0n) return 0n;
    const bytes = src.read(len > budget ? budget : len);
    this.write(bytes);
    return BigInt(bytes.length);
  }

  async blockingSplice(src: InputStream, len: bigint): Promise<bigint> {
    const room = this.room(this.subscribe());
    if (room !== null) await room;
    // A source that streams (an upstream response body, see outgoing-response.ts) may have
    // nothing yet: wait for it too, or a guest splicing in a loop would spin on the thread
    // without ever letting the data arrive. A buffered source is always ready.
    const data = this.room(src.subscribe());
    if (data !== null) await data;
    return this.splice(src, len);
  }

  /** The wait before a blocking operation, or null when there is none (checks the abort first). */
  private room(pollable: Pollable | null): Promise<void> | null {
    this.waiter.check();
    return pollable === null || pollable.ready() ? null : pollable.block();
  }
}

export const streamsImports = { InputStream, OutputStream };
