/**
 * wasi:filesystem/{types,preopens}: the directories given with `--dir HOST::GUEST`, read-write
 * (wasmtime's `FsPerms::ReadWrite`, the only kind its CLI makes), and nothing else: without
 * `--dir` the guest gets no preopens and so can never obtain a descriptor.
 *
 * Each instance opens its preopened directories when it is created (as wasmtime builds a
 * `WasiCtx` per store) and closes everything it holds when it goes away (the host's abort
 * signal). Every path a guest names is resolved by fs-walk.ts, which can never leave the
 * descriptor's directory: `..` past it, absolute paths and symbolic links leading out are
 * `not-permitted`, as under wasmtime (cap-std). Other failures carry the error code wasmtime's
 * errno mapping gives.
 *
 * Bounds (per instance): `MAX_OPEN_DESCRIPTORS` host descriptors open at once besides the
 * preopens (files, directories, directory listings; more is `insufficient-memory`), reads of at
 * most `MAX_READ_BYTES` per call, paths of less than `MAX_PATH_BYTES`, `MAX_SYMLINK_EXPANSIONS`
 * link expansions per resolution. All calls are synchronous on the executor thread.
 */

import { createHash } from 'node:crypto';
import {
  closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, linkSync, lstatSync, lutimesSync, mkdirSync,
  openSync, opendirSync, readlinkSync, readSync, renameSync, rmdirSync, symlinkSync, unlinkSync, writeSync,
  type BigIntStats, type Dir, type Dirent, type Stats,
} from 'node:fs';
import type { Preopen } from './api.ts';
import { FileHandle, FileInputStream, FileOutputStream, FileTable, MAX_READ_BYTES } from './fs-streams.ts';
import { fdPath, fsFail, guard, procFdAvailable, resolve, type FsErrorCode } from './fs-walk.ts';
import { IoError } from './io-error.ts';
import { HostTrap } from './result.ts';
import type { Waiter } from './wait.ts';

export { MAX_OPEN_DESCRIPTORS, MAX_READ_BYTES } from './fs-streams.ts';
export { MAX_PATH_BYTES, MAX_SYMLINK_EXPANSIONS } from './fs-walk.ts';

type DescriptorType =
  | 'unknown' | 'block-device' | 'character-device' | 'directory' | 'fifo' | 'symbolic-link' | 'regular-file' | 'socket';

interface DescriptorFlags {
  read: boolean;
  write: boolean;
  fileIntegritySync: boolean;
  dataIntegritySync: boolean;
  requestedWriteSync: boolean;
  mutateDirectory: boolean;
}
interface PathFlags {
  symlinkFollow?: boolean;
}
interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}
interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}
type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

const NO_FLAGS: DescriptorFlags = Object.freeze({
  read: false, write: false, fileIntegritySync: false, dataIntegritySync: false, requestedWriteSync: false, mutateDirectory: false,
});

/** A u64 from the guest as a JS number, or `code` when past what Node's fs takes. */
function toNumber(value: bigint, code: FsErrorCode): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fsFail(code);
  return Number(value);
}

function typeOf(stats: Stats | BigIntStats | Dirent | Dirent<Buffer>): DescriptorType {
  if (stats.isFile()) return 'regular-file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symbolic-link';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return 'unknown';
}

const NS = 1_000_000_000n;
function datetime(ns: bigint): Datetime {
  return { seconds: ns / NS, nanoseconds: Number(ns % NS) };
}

function descriptorStat(s: BigIntStats) {
  return {
    type: typeOf(s),
    linkCount: s.nlink,
    size: s.size,
    dataAccessTimestamp: datetime(s.atimeNs),
    dataModificationTimestamp: datetime(s.mtimeNs),
    statusChangeTimestamp: datetime(s.ctimeNs),
  };
}

/** 128 bits that stay the same for one file (device and inode), as wasmtime's metadata hash. */
function metadataHash(s: BigIntStats): { lower: bigint; upper: bigint } {
  const digest = createHash('sha256').update(`${s.dev}:${s.ino}`).digest();
  const lower = digest.readBigUInt64LE(0);
  // wasmtime derives the upper half from the lower one the same way.
  return { lower, upper: lower ^ 4614256656552045848n };
}

/** A `new-timestamp` as seconds for Node's utimes; `current` for `no-change`. */
function timestampSeconds(t: NewTimestamp, current: bigint): number {
  switch (t.tag) {
    case 'no-change':
      return Number(current) / 1e9;
    case 'now':
      return Date.now() / 1000;
    case 'timestamp':
      if (t.val.nanoseconds >= 1_000_000_000) fsFail('invalid');
      return Number(t.val.seconds) + t.val.nanoseconds / 1e9;
  }
}

/** What a descriptor stands for. */
type Opened =
  | { kind: 'dir'; handle: FileHandle; flags: DescriptorFlags }
  | { kind: 'file'; handle: FileHandle; flags: DescriptorFlags };

/** The per-instance state every descriptor of one host shares. */
interface FsContext {
  table: FileTable;
  waiter: Waiter;
}

export class Descriptor {
  readonly #ctx: FsContext | undefined;
  readonly #state: Opened | undefined;
  #dropped = false;

  /** Made by the host only (the glue never constructs descriptors); one made otherwise stands
   * for nothing, and every call on it fails with `bad-descriptor`. */
  constructor(ctx?: FsContext, opened?: Opened) {
    this.#ctx = ctx;
    this.#state = opened;
  }

  get #opened(): Opened {
    if (this.#state === undefined) fsFail('bad-descriptor');
    return this.#state;
  }

  get #context(): FsContext {
    if (this.#ctx === undefined) fsFail('bad-descriptor');
    return this.#ctx;
  }

  /** The open host descriptor (`bad-descriptor` once the instance is gone). */
  get #fd(): number {
    return this.#opened.handle.fd;
  }

  /** This descriptor's directory (`not-directory` for a file). */
  #dir(): number {
    if (this.#opened.kind !== 'dir') fsFail('not-directory');
    return this.#fd;
  }

  /** This descriptor's file (`bad-descriptor` for a directory, as wasmtime's `file()`). */
  #file(): FileHandle {
    if (this.#opened.kind !== 'file') fsFail('bad-descriptor');
    void this.#fd; // bad-descriptor once closed
    return this.#opened.handle;
  }

  readViaStream(offset: bigint): FileInputStream {
    return guard(() => {
      if (this.#opened.kind === 'dir') fsFail('is-directory');
      return new FileInputStream(this.#file(), toNumber(offset, 'invalid'), this.#context.waiter);
    });
  }

  writeViaStream(offset: bigint): FileOutputStream {
    return guard(() => new FileOutputStream(this.#file(), toNumber(offset, 'invalid'), this.#context.waiter));
  }

  appendViaStream(): FileOutputStream {
    return guard(() => new FileOutputStream(this.#file(), 'append', this.#context.waiter));
  }

  /** Advice is only advice: accepted on files (Node cannot pass it on), as the WIT allows. */
  advise(_offset: bigint, _length: bigint, _advice: string): void {
    guard(() => this.#file());
  }

  syncData(): void {
    guard(() => fdatasyncSync(this.#fd));
  }

  getFlags(): DescriptorFlags {
    return guard(() => {
      void this.#fd;
      return this.#opened.flags;
    });
  }

  getType(): DescriptorType {
    return guard(() => {
      const fd = this.#fd;
      return this.#opened.kind === 'dir' ? 'directory' : typeOf(fstatSync(fd));
    });
  }

  setSize(size: bigint): void {
    guard(() => ftruncateSync(this.#file().fd, toNumber(size, 'file-too-large')));
  }

  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
    guard(() => {
      const s = fstatSync(this.#fd, { bigint: true });
      futimesSync(this.#fd, timestampSeconds(atime, s.atimeNs), timestampSeconds(mtime, s.mtimeNs));
    });
  }

  /** At most `MAX_READ_BYTES`; `[[], true]` at the end of the file. */
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    return guard(() => {
      const fd = this.#file().fd;
      const n = length > BigInt(MAX_READ_BYTES) ? MAX_READ_BYTES : Number(length);
      const buffer = new Uint8Array(n);
      const got = n === 0 ? 0 : readSync(fd, buffer, 0, n, toNumber(offset, 'invalid'));
      return [buffer.subarray(0, got), got === 0 && n > 0];
    });
  }

  write(buffer: Uint8Array, offset: bigint): bigint {
    return guard(() => BigInt(writeSync(this.#file().fd, buffer, 0, buffer.length, toNumber(offset, 'file-too-large'))));
  }

  readDirectory(): DirectoryEntryStream {
    return guard(() => {
      const fd = this.#dir();
      this.#context.table.checkRoom();
      return new DirectoryEntryStream(opendirSync(fdPath(fd), { encoding: 'buffer' } as never), fd, this.#context.table);
    });
  }

  sync(): void {
    guard(() => fsyncSync(this.#fd));
  }

  createDirectoryAt(path: string): void {
    guard(() => resolve(this.#dir(), path, false, (walk, name) => mkdirSync(walk.at(name))));
  }

  stat() {
    return guard(() => descriptorStat(fstatSync(this.#fd, { bigint: true })));
  }

  statAt(pathFlags: PathFlags, path: string) {
    return guard(() =>
      resolve(this.#dir(), path, pathFlags.symlinkFollow === true, (walk, name) => descriptorStat(lstatSync(walk.at(name), { bigint: true }))),
    );
  }

  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    guard(() =>
      resolve(this.#dir(), path, pathFlags.symlinkFollow === true, (walk, name) => {
        const target = walk.at(name);
        const s = lstatSync(target, { bigint: true });
        lutimesSync(target, timestampSeconds(atime, s.atimeNs), timestampSeconds(mtime, s.mtimeNs));
      }),
    );
  }

  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    guard(() => {
      // As wasmtime: a hard link is never made to what a symbolic link points at.
      if (oldPathFlags.symlinkFollow === true) fsFail('invalid');
      const from = this.#dir();
      const to = newDescriptor.#dir();
      resolve(from, oldPath, false, (oldWalk, oldName) =>
        resolve(to, newPath, false, (newWalk, newName) => linkSync(oldWalk.at(oldName), newWalk.at(newName))),
      );
    });
  }

  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: Partial<DescriptorFlags>): Descriptor {
    return guard(() => {
      const dir = this.#dir();
      // As wasmtime's open_at: the sync flags are not supported; a directory is never created,
      // truncated or required not to exist.
      if (flags.fileIntegritySync || flags.dataIntegritySync || flags.requestedWriteSync) fsFail('unsupported');
      if (openFlags.directory && (openFlags.create || openFlags.exclusive || openFlags.truncate)) fsFail('invalid');
      this.#context.table.checkRoom();
      let write = flags.write === true;
      let oflags = constants.O_NOFOLLOW;
      if (openFlags.create) {
        oflags |= constants.O_CREAT | (openFlags.exclusive ? constants.O_EXCL : 0);
        write = true;
      }
      if (openFlags.truncate) {
        oflags |= constants.O_TRUNC;
        write = true;
      }
      if (openFlags.directory) oflags |= constants.O_DIRECTORY;
      // Not opened for writing: opened for reading (wasmtime does the same).
      const read = flags.read === true || flags.write !== true;
      oflags |= read && write ? constants.O_RDWR : write ? constants.O_WRONLY : constants.O_RDONLY;
      const fd = resolve(dir, path, pathFlags.symlinkFollow === true, (walk, name) => openSync(walk.at(name), oflags, 0o666));
      let isDirectory: boolean;
      try {
        isDirectory = fstatSync(fd).isDirectory();
      } catch (error) {
        closeQuietly(fd);
        throw error;
      }
      const handle = new FileHandle(fd, this.#context.table, true);
      const opened: Opened = isDirectory
        ? { kind: 'dir', handle, flags: { ...NO_FLAGS, read: true } }
        : { kind: 'file', handle, flags: { ...NO_FLAGS, read, write } };
      return new Descriptor(this.#context, opened);
    });
  }

  readlinkAt(path: string): string {
    return guard(() => resolve(this.#dir(), path, false, (walk, name) => readlinkSync(walk.at(name))));
  }

  removeDirectoryAt(path: string): void {
    guard(() => resolve(this.#dir(), path, false, (walk, name) => rmdirSync(walk.at(name))));
  }

  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    guard(() => {
      const from = this.#dir();
      const to = newDescriptor.#dir();
      resolve(from, oldPath, false, (oldWalk, oldName) =>
        resolve(to, newPath, false, (newWalk, newName) => renameSync(oldWalk.at(oldName), newWalk.at(newName))),
      );
    });
  }

  /** The link's text is stored as given (as cap-std does); following it later is what is
   * confined, so a link pointing out of the directory can exist but never be followed. */
  symlinkAt(oldPath: string, newPath: string): void {
    guard(() => {
      if (oldPath.includes('\0')) fsFail('invalid');
      resolve(this.#dir(), newPath, false, (walk, name) => symlinkSync(oldPath, walk.at(name)));
    });
  }

  unlinkFileAt(path: string): void {
    guard(() => resolve(this.#dir(), path, false, (walk, name) => unlinkSync(walk.at(name))));
  }

  isSameObject(other: Descriptor): boolean {
    if (this === other) return true;
    try {
      const a = fstatSync(this.#fd, { bigint: true });
      const b = fstatSync(other.#fd, { bigint: true });
      return a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  }

  metadataHash() {
    return guard(() => metadataHash(fstatSync(this.#fd, { bigint: true })));
  }

  metadataHashAt(pathFlags: PathFlags, path: string) {
    return guard(() =>
      resolve(this.#dir(), path, pathFlags.symlinkFollow === true, (walk, name) => metadataHash(lstatSync(walk.at(name), { bigint: true }))),
    );
  }

  /** The guest dropped its handle: release this descriptor's share of the host descriptor. */
  [Symbol.dispose](): void {
    if (this.#dropped) return;
    this.#dropped = true;
    this.#state?.handle.release();
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing to release
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `read-directory`: the entries of a directory, read one at a time from an open listing (so a
 * huge directory costs no memory); `.` and `..` are left out, as under wasmtime. */
export class DirectoryEntryStream {
  readonly #dir: Dir;
  readonly #dirFd: number;
  #done = false;
  readonly #untrack: () => void;

  constructor(dir: Dir, dirFd: number, table: FileTable) {
    this.#dir = dir;
    this.#dirFd = dirFd;
    this.#untrack = table.add({ close: () => this.#close() }, true);
  }

  readDirectoryEntry(): { type: DescriptorType; name: string } | undefined {
    return guard(() => {
      if (this.#done) return undefined;
      const entry = this.#dir.readSync() as Dirent<Buffer> | null;
      if (entry === null) {
        this.#close();
        return undefined;
      }
      let name: string;
      try {
        name = utf8.decode(entry.name);
      } catch {
        fsFail('illegal-byte-sequence');
      }
      let type = typeOf(entry);
      // The listing did not say (DT_UNKNOWN): ask, without following a link.
      if (type === 'unknown') type = typeOf(lstatSync(Buffer.concat([Buffer.from(`${fdPath(this.#dirFd)}/`), entry.name])));
      return { type, name };
    });
  }

  [Symbol.dispose](): void {
    this.#close();
  }

  #close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#untrack();
    try {
      this.#dir.closeSync();
    } catch {
      // already closed
    }
  }
}

export interface FilesystemImports {
  'wasi:filesystem/types': Record<string, unknown>;
  'wasi:filesystem/preopens': Record<string, unknown>;
}

/**
 * The two filesystem interfaces for one instance: its preopens opened now (a directory that
 * cannot be opened fails the instance, as `WasiCtxBuilder::preopened_dir` fails wasmtime's store),
 * everything closed when `signal` aborts.
 */
export function createFilesystemImports(
  preopens: readonly Preopen[],
  waiter: Waiter,
  signal: AbortSignal | undefined,
): FilesystemImports {
  const table = new FileTable();
  const ctx: FsContext = { table, waiter };
  const roots: Array<{ handle: FileHandle; guest: string }> = [];
  if (preopens.length > 0 && !procFdAvailable()) {
    throw new Error('preopened directories need /proc/self/fd (Linux) to keep guest paths inside them');
  }
  try {
    for (const { host, guest } of preopens) {
      let fd: number;
      try {
        fd = openSync(host, constants.O_RDONLY | constants.O_DIRECTORY);
      } catch (error) {
        throw new Error(`cannot open preopened directory ${host}: ${(error as Error).message}`);
      }
      roots.push({ handle: new FileHandle(fd, table, false), guest });
    }
  } catch (error) {
    table.closeAll();
    throw error;
  }
  signal?.addEventListener('abort', () => table.closeAll(), { once: true });
  if (signal?.aborted) table.closeAll();

  const preopenFlags: DescriptorFlags = { ...NO_FLAGS, read: true, mutateDirectory: true };
  return {
    'wasi:filesystem/types': {
      Descriptor,
      DirectoryEntryStream,
      /** The filesystem error code behind a stream error, if it came from a file. */
      filesystemErrorCode(err: IoError): string | undefined {
        return err instanceof IoError ? err.fsCode : undefined;
      },
    },
    'wasi:filesystem/preopens': {
      /** A new descriptor per call (wasmtime pushes a new table entry each time), sharing the
       * instance's open directory. */
      getDirectories(): Array<[Descriptor, string]> {
        if (table.closed) throw new HostTrap('wasi:filesystem/preopens.get-directories: the instance is gone');
        return roots.map(({ handle, guest }) => [new Descriptor(ctx, { kind: 'dir', handle: handle.retain(), flags: preopenFlags }), guest]);
      },
    },
  };
}
