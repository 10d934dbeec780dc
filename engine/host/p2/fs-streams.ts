/**
 * Open host files of one guest instance, and the wasi:io streams over them
 * (`read-via-stream`, `write-via-stream`, `append-via-stream`).
 *
 * A `FileHandle` is a host file descriptor shared by the wasi descriptor that opened it and the
 * streams made from it (as wasmtime's streams hold a clone of the file): it closes when the last
 * of them is dropped, or when the instance goes away (`FileTable.closeAll`, on the host's abort
 * signal), whichever comes first. After that every use fails with `bad-descriptor`.
 *
 * All I/O is synchronous on the executor thread, in bounded pieces: a read returns at most
 * `MAX_READ_BYTES` (wasmtime's `MAX_READ_SIZE_ALLOC`), a stream write carries at most
 * `MAX_WRITE_BYTES`, what `check-write` allows (wasmtime's `FILE_WRITE_CAPACITY`); a bigger
 * one is a trap, as under wasmtime (which traps a write past `check-write`).
 */

import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { IoError } from './io-error.ts';
import { READY, type Pollable } from './poll.ts';
import { clampLength, HostTrap } from './result.ts';
import { failStream, InputStream, OutputStream, STREAM_CLOSED, type WriteTarget } from './streams.ts';
import { fdPath, fsErrorCode, fsFail, type FsErrorCode } from './fs-walk.ts';
import type { Waiter } from './wait.ts';

/** Most bytes one read returns (wasmtime's `MAX_READ_SIZE_ALLOC`, 64 KiB). */
export const MAX_READ_BYTES = 64 * 1024;
/** Most bytes one file write takes: what `check-write` reports for a file's output stream
 * (wasmtime's `FILE_WRITE_CAPACITY`, 1 MiB), and the most `descriptor.write` writes per call. */
export const MAX_WRITE_BYTES = 1024 * 1024;
/** Host descriptors (files, directories, directory listings) one instance may hold open at once,
 * besides its preopens; opening more fails with `insufficient-memory`. */
export const MAX_OPEN_DESCRIPTORS = 128;

const EMPTY = new Uint8Array(0);

/** The host descriptors of one instance: counted against `MAX_OPEN_DESCRIPTORS`, all closed when
 * the instance goes away. */
export class FileTable {
  readonly #open = new Set<{ close(): void }>();
  #counted = 0;
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Descriptors the guest holds open now (preopens excluded). */
  get openCount(): number {
    return this.#counted;
  }

  /** Fails with `insufficient-memory` when the guest holds the most it may; `bad-descriptor`
   * once the instance is gone. Call before opening anything for the guest. */
  checkRoom(): void {
    if (this.#closed) fsFail('bad-descriptor');
    if (this.#counted >= MAX_OPEN_DESCRIPTORS) fsFail('insufficient-memory');
  }

  /** Tracks something open; `counted` says whether it counts against the guest's limit. */
  add(entry: { close(): void }, counted: boolean): () => void {
    this.#open.add(entry);
    if (counted) this.#counted++;
    return () => {
      if (this.#open.delete(entry) && counted) this.#counted--;
    };
  }

  /** Closes everything (the instance is gone). Idempotent. */
  closeAll(): void {
    this.#closed = true;
    for (const entry of [...this.#open]) entry.close();
    this.#open.clear();
    this.#counted = 0;
  }
}

/** One host file descriptor, shared by reference count. */
export class FileHandle {
  readonly #fd: number;
  /** The same file opened `O_APPEND` for `append-via-stream` (made on first use, closed with this). */
  #appendFd: number | null = null;
  #refs = 1;
  #closed = false;
  readonly #untrack: () => void;

  constructor(fd: number, table: FileTable, counted: boolean) {
    this.#fd = fd;
    this.#untrack = table.add({ close: () => this.#close() }, counted);
  }

  /** The descriptor, or `bad-descriptor` once closed. */
  get fd(): number {
    if (this.#closed) fsFail('bad-descriptor');
    return this.#fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The file opened again with `O_WRONLY | O_APPEND`, so that each write lands at the end of the
   * file as it is then, atomically (Node cannot set `O_APPEND` on an open descriptor; the kernel
   * reopens exactly this file through `/proc/self/fd`, wherever it is now). One per handle, shared
   * by its append streams: the guest cannot multiply host descriptors this way.
   */
  get appendFd(): number {
    const fd = this.fd;
    this.#appendFd ??= openSync(
      fdPath(fd),
      constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK | constants.O_NOCTTY,
    );
    return this.#appendFd;
  }

  retain(): this {
    if (!this.#closed) this.#refs++;
    return this;
  }

  release(): void {
    if (this.#closed) return;
    if (--this.#refs === 0) this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#untrack();
    for (const fd of this.#appendFd === null ? [this.#fd] : [this.#fd, this.#appendFd]) {
      try {
        closeSync(fd);
      } catch {
        // nothing left to release
      }
    }
  }
}

/** A stream error for a failed file operation: `filesystem-error-code` hands `code` back. */
function streamFailure(what: string, error: unknown): never {
  const code: FsErrorCode | undefined = fsErrorCode(error);
  if (code === undefined) throw error;
  failStream(new IoError(`${what}: ${error instanceof Error ? error.message : String(error)}`, undefined, code));
}

/** `read-via-stream`: reads the file from `offset` on, in pieces of at most `MAX_READ_BYTES`;
 * `closed` at the end of the file (or after a failure was reported once). */
export class FileInputStream extends InputStream {
  readonly #file: FileHandle;
  readonly #waiter: Waiter;
  #position: number;
  #done = false;

  constructor(file: FileHandle, offset: number, waiter: Waiter) {
    super(EMPTY, waiter);
    this.#file = file.retain();
    this.#position = offset;
    this.#waiter = waiter;
  }

  /** Unknown without reading: files are not buffered. */
  override get remaining(): number {
    return 0;
  }

  override read(len: bigint): Uint8Array {
    if (this.#done || this.#file.closed) throw STREAM_CLOSED;
    const n = clampLength(len, MAX_READ_BYTES);
    if (n === 0) return EMPTY;
    const buffer = new Uint8Array(n);
    let got: number;
    try {
      got = readSync(this.#file.fd, buffer, 0, n, this.#position);
    } catch (error) {
      this.#done = true;
      streamFailure('read', error);
    }
    if (got === 0) {
      this.#done = true;
      throw STREAM_CLOSED;
    }
    this.#position += got;
    return got === n ? buffer : buffer.subarray(0, got);
  }

  /** Never waits longer than the read itself: local files are read synchronously. */
  override blockingRead(len: bigint): Uint8Array {
    this.#waiter.check();
    return this.read(len);
  }

  override skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  override blockingSkip(len: bigint): bigint {
    this.#waiter.check();
    return this.skip(len);
  }

  override subscribe(): Pollable {
    return READY;
  }

  [Symbol.dispose](): void {
    this.#done = true;
    this.#file.release();
  }
}

/** Where `write-via-stream` / `append-via-stream` bytes go: at the stream's position, or at
 * the end of the file as it is at each write (an `O_APPEND` descriptor, so concurrent appenders,
 * in this process or not, never overwrite each other). */
class FileWriteTarget implements WriteTarget {
  readonly file: FileHandle;
  #position: number | 'append';
  #failed = false;

  constructor(file: FileHandle, position: number | 'append') {
    this.file = file.retain();
    this.#position = position;
  }

  write(bytes: Uint8Array): void {
    this.check();
    if (bytes.length > MAX_WRITE_BYTES) {
      throw new HostTrap(
        `output-stream.write: ${bytes.length} bytes is more than check-write allows (${MAX_WRITE_BYTES})`,
      );
    }
    try {
      const fd = this.#position === 'append' ? this.file.appendFd : this.file.fd;
      let done = 0;
      while (done < bytes.length) {
        // Position null: the descriptor's own, which O_APPEND moves to the end at each write.
        const at = this.#position === 'append' ? null : this.#position;
        const n = writeSync(fd, bytes, done, bytes.length - done, at);
        done += n;
        if (at !== null) this.#position = at + n;
      }
    } catch (error) {
      this.#failed = true;
      streamFailure('write', error);
    }
  }

  /** `closed` after a reported failure or once the file is closed. */
  check(): void {
    if (this.#failed || this.file.closed) throw STREAM_CLOSED;
  }

  /** Files are written synchronously: the whole budget is free again after every write. */
  capacity(): number {
    return MAX_WRITE_BYTES;
  }
}

/** An output stream over a file; dropping it releases its share of the file. */
export class FileOutputStream extends OutputStream {
  constructor(file: FileHandle, position: number | 'append', waiter: Waiter) {
    super(new FileWriteTarget(file, position), waiter);
  }

  [Symbol.dispose](): void {
    // The constructor gives every FileOutputStream a FileWriteTarget.
    (this.target as FileWriteTarget).file.release();
  }
}
