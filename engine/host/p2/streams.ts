/**
 * wasi:io/streams. Our streams never block:
 * - input streams read from a fully buffered Uint8Array (request bodies, stdin);
 * - output streams hand every write straight to a `WriteTarget` (stdout/stderr sink, response
 *   body), so they are always writable and `flush` has nothing to wait for.
 */

import type { IoError } from './io-error.ts';
import { READY, type Pollable } from './poll.ts';
import { clampLength, fail, toLength, type ResultErr } from './result.ts';

/** `stream-error.closed`, thrown as a result error. Shared and frozen: the glue only reads it. */
export const STREAM_CLOSED: ResultErr<{ tag: 'closed' }> = Object.freeze({
  payload: Object.freeze({ tag: 'closed' as const }),
});

/** Throws `stream-error.last-operation-failed(error)`. */
export function failStream(error: IoError): never {
  fail({ tag: 'last-operation-failed', val: error });
}

/** How much `check-write` allows per write. Generous: targets accept any amount without blocking. */
const WRITE_BUDGET = 1n << 20n;

const EMPTY = new Uint8Array(0);

export class InputStream {
  private readonly data: Uint8Array;
  private offset = 0;

  constructor(data: Uint8Array) {
    this.data = data;
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

  blockingRead(len: bigint): Uint8Array {
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
}

export class OutputStream {
  readonly target: WriteTarget;

  constructor(target: WriteTarget) {
    this.target = target;
  }

  checkWrite(): bigint {
    this.target.check();
    return WRITE_BUDGET;
  }

  write(contents: Uint8Array): void {
    if (contents.length === 0) this.target.check();
    else this.target.write(contents);
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  flush(): void {
    this.target.check();
  }

  blockingFlush(): void {
    this.target.check();
  }

  subscribe(): Pollable {
    return READY;
  }

  writeZeroes(len: bigint): void {
    const n = toLength(len, 'output-stream.write-zeroes');
    this.write(n === 0 ? EMPTY : new Uint8Array(n));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }

  /** Copies up to `len` bytes from `src`; `closed` once `src` is exhausted (as in wasmtime). */
  splice(src: InputStream, len: bigint): bigint {
    this.target.check();
    const bytes = src.read(len > WRITE_BUDGET ? WRITE_BUDGET : len);
    this.write(bytes);
    return BigInt(bytes.length);
  }

  blockingSplice(src: InputStream, len: bigint): bigint {
    return this.splice(src, len);
  }
}

export const streamsImports = { InputStream, OutputStream };
