/**
 * wasi:filesystem/{types,preopens}: the directories given with `--dir HOST::GUEST`, read-write
 * (wasmtime's `FsPerms::ReadWrite`, the only kind its CLI makes), and nothing else: without
 * `--dir` the guest gets no preopens and so can never obtain a descriptor.
 *
 * Each preopened directory is opened once, when serving starts (`openPreopen`), and that
 * descriptor is kept for the life of the process (`closePreopens` at shutdown). Each instance,
 * when it is created (as wasmtime builds a `WasiCtx` per store), opens its own descriptor from
 * that one, never from the host path again: whatever a guest renames or plants where a preopen
 * used to be, later instances still get the directory opened at start (and an instance refuses to
 * start if the descriptor no longer holds it). It closes everything it holds when it goes away
 * (the host's abort signal). Every path a guest names is resolved by fs-walk.ts, which can never
 * leave the descriptor's directory: `..` past it, absolute paths and symbolic links leading out
 * are `not-permitted`, as under wasmtime (cap-std); so is creating or reading a symbolic link
 * whose target is absolute (cap-std's `escape_attempt`). Other failures carry the error code
 * wasmtime's errno mapping gives.
 *
 * Only regular files and directories are opened. A FIFO, device or socket is `unsupported`
 * (wasmtime would open it; here an open that waits for a FIFO's other end, or a device's, would
 * hold the executor thread, which nothing can interrupt): it is checked before opening, and every
 * open is non-blocking (`O_NONBLOCK`, `O_NOCTTY`) and checked again after, so one swapped in
 * meanwhile is closed at once.
 *
 * Bounds (per instance): `MAX_OPEN_DESCRIPTORS` host descriptors open at once besides the
 * preopens (files, directories, directory listings; more is `insufficient-memory`), reads of at
 * most `MAX_READ_BYTES` per call, writes of at most `MAX_WRITE_BYTES` per call (a stream write
 * past `check-write` traps; `write` writes that much and says so), paths of less than
 * `MAX_PATH_BYTES`, `MAX_SYMLINK_EXPANSIONS` link expansions per resolution,
 * `MAX_WALK_DESCRIPTORS` directories held open while resolving. All calls are synchronous on the
 * executor thread.
 */

import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  opendirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
  type Dir,
  type Dirent,
  type Stats,
} from 'node:fs';
import { errnoCode } from '../../../base/errno.ts';
import type { Preopen } from './api.ts';
import {
  FileHandle,
  FileInputStream,
  FileOutputStream,
  FileTable,
  MAX_READ_BYTES,
  MAX_WRITE_BYTES,
} from './fs-streams.ts';
import { fdPath, fsFail, guard, procFdAvailable, resolve, type FsErrorCode } from './fs-walk.ts';
import { IoError } from './io-error.ts';
import { HostTrap } from './result.ts';
import type { Waiter } from './wait.ts';

export { MAX_OPEN_DESCRIPTORS, MAX_READ_BYTES, MAX_WRITE_BYTES } from './fs-streams.ts';
export { MAX_PATH_BYTES, MAX_SYMLINK_EXPANSIONS, MAX_WALK_DESCRIPTORS } from './fs-walk.ts';

type DescriptorType =
  | 'unknown'
  | 'block-device'
  | 'character-device'
  | 'directory'
  | 'fifo'
  | 'symbolic-link'
  | 'regular-file'
  | 'socket';

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
  read: false,
  write: false,
  fileIntegritySync: false,
  dataIntegritySync: false,
  requestedWriteSync: false,
  mutateDirectory: false,
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
      return Number(t.val.seconds) + t.val.nanoseconds / 1e9;
  }
}

/**
 * `set-times` / `set-times-at`: `touch(atime, mtime)` given the current stat, or nothing at all
 * when neither changes. Node has no `UTIME_OMIT` (every utimes call sets both, as seconds in a
 * double): so with both `no-change` nothing is written, and with one of them it is set again to
 * its current value as closely as a double holds it (within a microsecond, not to the nanosecond).
 */
function setTimes(
  atime: NewTimestamp,
  mtime: NewTimestamp,
  stat: () => BigIntStats,
  touch: (atime: number, mtime: number) => void,
): void {
  for (const t of [atime, mtime]) if (t.tag === 'timestamp' && t.val.nanoseconds >= 1_000_000_000) fsFail('invalid');
  if (atime.tag === 'no-change' && mtime.tag === 'no-change') {
    stat(); // still fails as the call would (a missing path, a closed descriptor)
    return;
  }
  const s = stat();
  touch(timestampSeconds(atime, s.atimeNs), timestampSeconds(mtime, s.mtimeNs));
}

/** Opens a guest-requested file only if it is a regular file or directory (see the header);
 * `checkFirst`: look before opening (not needed with `O_DIRECTORY`, which opens nothing else). */
function openRegular(target: string, oflags: number, checkFirst: boolean): { fd: number; directory: boolean } {
  if (checkFirst) {
    let kind: DescriptorType | null = null;
    try {
      kind = typeOf(lstatSync(target));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    if (kind !== null && kind !== 'regular-file' && kind !== 'directory' && kind !== 'symbolic-link')
      fsFail('unsupported');
  }
  let fd: number;
  try {
    fd = openSync(target, oflags | constants.O_NONBLOCK | constants.O_NOCTTY, 0o666);
  } catch (error) {
    // A FIFO opened for writing with no reader, a socket, a device without a driver.
    if (errnoCode(error) === 'ENXIO') fsFail('unsupported');
    throw error;
  }
  let s: Stats;
  try {
    s = fstatSync(fd);
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
  if (!s.isFile() && !s.isDirectory()) {
    closeQuietly(fd);
    fsFail('unsupported');
  }
  return { fd, directory: s.isDirectory() };
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

  /** This descriptor's file, which it must have been opened to write (else `not-permitted`, as
   * wasmtime's `write_not_permitted` check). */
  #writableFile(): FileHandle {
    const file = this.#file();
    if (!this.#opened.flags.write) fsFail('not-permitted');
    return file;
  }

  readViaStream(offset: bigint): FileInputStream {
    return guard(() => {
      if (this.#opened.kind === 'dir') fsFail('is-directory');
      return new FileInputStream(this.#file(), toNumber(offset, 'invalid'), this.#context.waiter);
    });
  }

  writeViaStream(offset: bigint): FileOutputStream {
    return guard(() => new FileOutputStream(this.#writableFile(), toNumber(offset, 'invalid'), this.#context.waiter));
  }

  appendViaStream(): FileOutputStream {
    return guard(() => new FileOutputStream(this.#writableFile(), 'append', this.#context.waiter));
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
      const fd = this.#fd;
      setTimes(
        atime,
        mtime,
        () => fstatSync(fd, { bigint: true }),
        (a, m) => futimesSync(fd, a, m),
      );
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

  /** One `pwrite` of at most `MAX_WRITE_BYTES`; the count written says how much went (wasmtime
   * passes the whole buffer to one `pwrite`, which may also write less). */
  write(buffer: Uint8Array, offset: bigint): bigint {
    return guard(() => {
      const fd = this.#writableFile().fd;
      const n = Math.min(buffer.length, MAX_WRITE_BYTES);
      return BigInt(writeSync(fd, buffer, 0, n, toNumber(offset, 'file-too-large')));
    });
  }

  readDirectory(): DirectoryEntryStream {
    return guard(() => {
      const fd = this.#dir();
      this.#context.table.checkRoom();
      return new DirectoryEntryStream(
        // Names as Buffers (they need not be UTF-8): Node takes 'buffer', @types/node's options omit it.
        opendirSync(fdPath(fd), { encoding: 'buffer' } as never),
        this.#opened.handle,
        this.#context.table,
      );
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
      resolve(this.#dir(), path, pathFlags.symlinkFollow === true, (walk, name) =>
        descriptorStat(lstatSync(walk.at(name), { bigint: true })),
      ),
    );
  }

  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    guard(() =>
      resolve(this.#dir(), path, pathFlags.symlinkFollow === true, (walk, name) => {
        const target = walk.at(name);
        setTimes(
          atime,
          mtime,
          () => lstatSync(target, { bigint: true }),
          (a, m) => lutimesSync(target, a, m),
        );
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
      const { fd, directory } = resolve(dir, path, pathFlags.symlinkFollow === true, (walk, name) =>
        openRegular(walk.at(name), oflags, !openFlags.directory),
      );
      const handle = new FileHandle(fd, this.#context.table, true);
      const opened: Opened = directory
        ? { kind: 'dir', handle, flags: { ...NO_FLAGS, read: true } }
        : { kind: 'file', handle, flags: { ...NO_FLAGS, read, write } };
      return new Descriptor(this.#context, opened);
    });
  }

  /** A link whose text is absolute is `not-permitted` (cap-std's `read_link` refuses it as an
   * escape attempt); text that is not UTF-8 is `illegal-byte-sequence`, as wasmtime. */
  readlinkAt(path: string): string {
    return guard(() =>
      resolve(this.#dir(), path, false, (walk, name) => {
        const raw = readlinkSync(walk.at(name), { encoding: 'buffer' });
        let target: string;
        try {
          target = utf8.decode(raw);
        } catch {
          fsFail('illegal-byte-sequence');
        }
        if (target.startsWith('/')) fsFail('not-permitted');
        return target;
      }),
    );
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

  /** A relative target is stored as given (as cap-std does); following it later is what is
   * confined, so a link climbing out of the directory can exist but never be followed. An
   * absolute target is `not-permitted` (cap-std's `symlink` refuses it as an escape attempt;
   * wasmtime's p1_symlink_create expects that). */
  symlinkAt(oldPath: string, newPath: string): void {
    guard(() => {
      if (oldPath.includes('\0')) fsFail('invalid');
      if (oldPath.startsWith('/')) fsFail('not-permitted');
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
      resolve(this.#dir(), path, pathFlags.symlinkFollow === true, (walk, name) =>
        metadataHash(lstatSync(walk.at(name), { bigint: true })),
      ),
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
 * huge directory costs no memory); `.` and `..` are left out, as under wasmtime. It keeps a share
 * of its directory's descriptor until it is done (the guest may drop the descriptor first). */
export class DirectoryEntryStream {
  readonly #dir: Dir;
  readonly #directory: FileHandle;
  #done = false;
  readonly #untrack: () => void;

  constructor(dir: Dir, directory: FileHandle, table: FileTable) {
    this.#dir = dir;
    this.#directory = directory.retain();
    this.#untrack = table.add({ close: () => this.#close() }, true);
  }

  readDirectoryEntry(): { type: DescriptorType; name: string } | undefined {
    return guard(() => {
      if (this.#done) return undefined;
      // Opened with encoding 'buffer' (readDirectory); @types/node's Dir types entries as strings.
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
      if (type === 'unknown')
        type = typeOf(lstatSync(Buffer.concat([Buffer.from(`${fdPath(this.#directory.fd)}/`), entry.name])));
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
    this.#directory.release();
  }
}

export interface FilesystemImports {
  'wasi:filesystem/types': Record<string, unknown>;
  'wasi:filesystem/preopens': Record<string, unknown>;
}

/**
 * Opens `host` (an absolute, symlink-free path: the CLI resolves it) as a preopened directory for
 * the life of the process: `O_DIRECTORY | O_NOFOLLOW`, so it is that directory and not a link
 * planted since. Throws the OS error (`ENOENT`, `ENOTDIR`, ...). Close with `closePreopens`.
 */
export function openPreopen(host: string, guest: string): Preopen {
  if (!procFdAvailable())
    throw new Error('preopened directories need /proc/self/fd (Linux) to keep guest paths inside them');
  const fd = openSync(host, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const s = fstatSync(fd, { bigint: true });
    return { host, guest, fd, dev: String(s.dev), ino: String(s.ino) };
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
}

/** Closes what `openPreopen` opened, once nothing will start an instance with them again. */
export function closePreopens(preopens: readonly Preopen[]): void {
  for (const { fd } of preopens) closeQuietly(fd);
}

/** This instance's own descriptor for `preopen`, opened from the descriptor held since start
 * (through `/proc/self/fd`, which reopens exactly what it holds), and checked to be that directory. */
function openInstancePreopen({ host, guest, fd: held, dev, ino }: Preopen): number {
  const where = `preopened directory ${host} (${guest})`;
  let fd: number;
  try {
    fd = openSync(fdPath(held), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    throw new Error(
      code === 'ENOENT'
        ? `cannot open ${where}: descriptor ${held}, which has held it since serving started, is closed`
        : `cannot open ${where} from descriptor ${held}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let s: BigIntStats;
  try {
    s = fstatSync(fd, { bigint: true });
  } catch (error) {
    closeQuietly(fd);
    throw new Error(`cannot open ${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (String(s.dev) !== dev || String(s.ino) !== ino) {
    closeQuietly(fd);
    throw new Error(
      `cannot open ${where}: descriptor ${held} no longer holds the directory opened when serving started ` +
        `(device ${dev}, inode ${ino}; now device ${s.dev}, inode ${s.ino}); refusing to start the instance`,
    );
  }
  return fd;
}

/**
 * The two filesystem interfaces for one instance: its own descriptors for the preopens, opened now
 * from the ones held since start (one that cannot be opened fails the instance, as
 * `WasiCtxBuilder::preopened_dir` fails wasmtime's store), everything closed when `signal` aborts.
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
    for (const preopen of preopens)
      roots.push({ handle: new FileHandle(openInstancePreopen(preopen), table, false), guest: preopen.guest });
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
        return roots.map(({ handle, guest }) => [
          new Descriptor(ctx, { kind: 'dir', handle: handle.retain(), flags: preopenFlags }),
          guest,
        ]);
      },
    },
  };
}
