/**
 * Path resolution for wasi:filesystem that never leaves the directory a descriptor stands for.
 *
 * wasmtime resolves guest paths with cap-std: `openat2(RESOLVE_BENEATH)` where Linux has it,
 * else a walk one component at a time from the directory's file descriptor. Node has neither
 * `openat` nor `openat2`, so this is the walk, done through Linux's `/proc/self/fd/N`: naming
 * `/proc/self/fd/N/child` makes the kernel look `child` up in the directory that descriptor N
 * holds open, wherever that directory is now, as `openat(N, "child")` would. Each step opens one
 * component with `O_NOFOLLOW | O_DIRECTORY` and keeps it open, so:
 * - no step is re-resolved from a path string later (a rename or a symlink swapped in by someone
 *   else between two steps cannot redirect the walk);
 * - `..` pops back to the previous descriptor, and popping past the starting directory is an
 *   escape: `not-permitted`, as cap-std reports one (`PermissionDenied`, "a path led outside of
 *   the filesystem", which wasmtime maps to `not-permitted`);
 * - at most `MAX_WALK_DESCRIPTORS` of them stay open (a path may be thousands of directories
 *   deep, through links): past that the oldest is closed and only its device and inode kept; a
 *   `..` back to it opens `..` of the directory above it and checks that it is that same
 *   directory (it is, unless someone moved things meanwhile: then `not-permitted`);
 * - a symbolic link is read (never followed by the kernel) and its target walked in its place:
 *   an absolute target is an escape, `..` in it pops like any other;
 * - absolute guest paths are escapes; more than 40 link expansions is `loop` (cap-std's limit).
 *
 * The operation itself (open, stat, unlink, ...) is then done on `/proc/self/fd/PARENT/NAME`,
 * where NAME is a single component, never `..`, and is never followed by the kernel (`O_NOFOLLOW`,
 * `lstat`, `lutimes`, `unlink`, ...): a link in the last place is expanded here first when the
 * guest asked to follow it. This is cap-std's `via_parent` scheme (`open_parent` then the
 * `*_unchecked` call on the basename), so errors are the kernel's for the same calls.
 *
 * Without `/proc/self/fd` (not Linux, or /proc not mounted) there is no such walk: preopens are
 * refused (see `procFdAvailable`).
 */

import { closeSync, constants, existsSync, fstatSync, openSync, readlinkSync, type BigIntStats } from 'node:fs';
import { errnoCode } from '../../../base/errno.ts';
import { fail } from './result.ts';

/** The wasi:filesystem `error-code` cases this host produces (the WIT enum, kebab-case). */
export type FsErrorCode =
  | 'access'
  | 'already'
  | 'bad-descriptor'
  | 'busy'
  | 'exist'
  | 'file-too-large'
  | 'illegal-byte-sequence'
  | 'in-progress'
  | 'interrupted'
  | 'invalid'
  | 'io'
  | 'is-directory'
  | 'loop'
  | 'too-many-links'
  | 'name-too-long'
  | 'no-entry'
  | 'insufficient-memory'
  | 'insufficient-space'
  | 'not-directory'
  | 'not-empty'
  | 'unsupported'
  | 'overflow'
  | 'not-permitted'
  | 'pipe'
  | 'invalid-seek';

/** Throws `err(code)` for the current result-returning filesystem call. */
export function fsFail(code: FsErrorCode): never {
  fail(code);
}

/** errno → error-code, as wasmtime maps them (crates/wasi/src/filesystem.rs, `from_raw_os_error`);
 * anything else is `io`, as there. */
const ERRNO: Readonly<Record<string, FsErrorCode>> = {
  EPIPE: 'pipe',
  EPERM: 'not-permitted',
  ENOENT: 'no-entry',
  ENOMEM: 'insufficient-memory',
  EIO: 'io',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EACCES: 'access',
  ENOTDIR: 'not-directory',
  EISDIR: 'is-directory',
  EINVAL: 'invalid',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  ENOSPC: 'insufficient-space',
  ESPIPE: 'invalid-seek',
  EMLINK: 'too-many-links',
  ENAMETOOLONG: 'name-too-long',
  ENOTEMPTY: 'not-empty',
  ELOOP: 'loop',
  EOVERFLOW: 'overflow',
  EILSEQ: 'illegal-byte-sequence',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
  EALREADY: 'already',
  EINPROGRESS: 'in-progress',
  EINTR: 'interrupted',
};

/** The error-code for a Node fs error, or undefined when `error` is not one (a host bug: rethrow). */
export function fsErrorCode(error: unknown): FsErrorCode | undefined {
  const code = errnoCode(error);
  if (code === undefined) return undefined;
  if (code === 'ERR_INVALID_ARG_VALUE') return 'invalid'; // a NUL byte in a path
  if (!/^E[A-Z0-9]+$/.test(code)) return undefined;
  return ERRNO[code] ?? 'io';
}

/**
 * Runs a filesystem call: `err(code)` results pass through, Node fs errors become the matching
 * `err(code)`, anything else (a host bug) propagates and traps the guest.
 */
export function guard<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error !== null && typeof error === 'object' && Object.hasOwn(error, 'payload')) throw error;
    const code = fsErrorCode(error);
    if (code === undefined) throw error;
    fsFail(code);
  }
}

/** cap-std's limit on symbolic link expansions in one resolution (`MAX_SYMLINK_EXPANSIONS`). */
export const MAX_SYMLINK_EXPANSIONS = 40;
/** Longest guest path accepted, in UTF-8 bytes (Linux's PATH_MAX): longer is `name-too-long`. */
export const MAX_PATH_BYTES = 4096;

/** Directories one resolution holds open at once (see `Walk`); deeper ones are reopened. */
export const MAX_WALK_DESCRIPTORS = 16;

const PROC_FD = '/proc/self/fd/';
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Whether this process can walk paths through `/proc/self/fd` (Linux with /proc mounted). */
export function procFdAvailable(): boolean {
  return process.platform === 'linux' && existsSync('/proc/self/fd');
}

/** The path that names what open descriptor `fd` holds, wherever it is now. */
export function fdPath(fd: number): string {
  return `${PROC_FD}${fd}`;
}

/** `path` split as cap-std's `split_parent` does: the directories to walk, then the last
 * component, which is a plain name or `.` (for `.`, `x/`, `x/.`, `x/..`: "this directory"). */
export function splitParent(path: string): { parents: string[]; name: string } {
  if (path === '') fsFail('no-entry');
  if (path.startsWith('/')) fsFail('not-permitted');
  const parts = path.split('/');
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (parts.length === 1 && last === '.') return { parents: [], name: '.' };
  if (last !== '' && last !== '.' && last !== '..') return { parents: parts.slice(0, -1), name: last };
  return { parents: parts, name: '.' };
}

/** Rejects what no resolution may start from: a NUL byte, or an over-long path. */
function checkPath(path: string): void {
  if (path.includes('\0')) fsFail('invalid');
  if (Buffer.byteLength(path) >= MAX_PATH_BYTES) fsFail('name-too-long');
}

/** A directory the walk went into: open (`fd`), or closed with its identity kept (`fd` -1). */
interface Level {
  fd: number;
  dev: bigint;
  ino: bigint;
}

/**
 * One resolution: a stack of directory descriptors, starting at (but never closing) `start`, of
 * which the top `MAX_WALK_DESCRIPTORS` are open. Close it when done (`resolve` does).
 */
export class Walk {
  readonly #start: number;
  readonly #levels: Level[] = [];
  /** Levels below this index are closed; the ones from it up are open. */
  #firstOpen = 0;
  #expansions = 0;

  constructor(start: number) {
    this.#start = start;
  }

  /** The directory the walk is in. */
  get dir(): number {
    return this.#levels.at(-1)?.fd ?? this.#start;
  }

  /** Host descriptors this walk holds open now (the start is not its own). */
  get openCount(): number {
    return this.#levels.length - this.#firstOpen;
  }

  /** The path naming `name` inside the current directory; `name` is one component, never `..`. */
  at(name: string): string {
    return `${PROC_FD}${this.dir}/${name}`;
  }

  /** Walks into each directory of `components` (`.`, empty and `..` handled here). */
  descend(components: readonly string[]): void {
    const queue = [...components];
    let component: string | undefined;
    while ((component = queue.shift()) !== undefined) {
      if (component === '' || component === '.') continue;
      if (component === '..') {
        this.#up();
        continue;
      }
      let fd: number;
      try {
        fd = openSync(this.at(component), DIR_FLAGS);
      } catch (error) {
        const code = errnoCode(error);
        // O_NOFOLLOW | O_DIRECTORY on a symlink: ENOTDIR (or ELOOP). Is it one?
        if (code === 'ENOTDIR' || code === 'ELOOP') {
          const target = this.linkTarget(component);
          if (target !== null) {
            queue.unshift(...this.expand(target));
            continue;
          }
        }
        throw error;
      }
      this.#push(fd);
    }
  }

  /** The target of `name` if it is a symbolic link in the current directory, else null (also
   * when it does not exist: the operation reports that). */
  linkTarget(name: string): string | null {
    if (name === '.') return null;
    try {
      return readlinkSync(this.at(name));
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EINVAL' || code === 'ENOENT') return null;
      throw error;
    }
  }

  /** A link's target as components to walk in its place (relative to the link's directory). */
  expand(target: string): string[] {
    if (++this.#expansions > MAX_SYMLINK_EXPANSIONS) fsFail('loop');
    if (target === '') fsFail('no-entry');
    if (target.startsWith('/')) fsFail('not-permitted');
    return target.split('/');
  }

  close(): void {
    for (const level of this.#levels.splice(this.#firstOpen)) closeQuietly(level.fd);
    this.#levels.length = 0;
    this.#firstOpen = 0;
  }

  #push(fd: number): void {
    this.#levels.push({ fd, dev: 0n, ino: 0n });
    if (this.openCount <= MAX_WALK_DESCRIPTORS) return;
    // Too many open: close the oldest, remembering which directory it was.
    // biome-ignore lint/style/noNonNullAssertion: openCount > MAX_WALK_DESCRIPTORS, so #firstOpen indexes an open level
    const oldest = this.#levels[this.#firstOpen]!;
    const stats = fstatSync(oldest.fd, { bigint: true });
    closeSync(oldest.fd);
    oldest.fd = -1;
    oldest.dev = stats.dev;
    oldest.ino = stats.ino;
    this.#firstOpen++;
  }

  #up(): void {
    const top = this.#levels.pop();
    if (top === undefined) fsFail('not-permitted');
    try {
      const below = this.#levels.length - 1;
      const level = this.#levels[below];
      if (level && below < this.#firstOpen) this.#reopen(level, top.fd);
    } finally {
      closeQuietly(top.fd);
    }
  }

  /** Opens `level` again as `..` of the directory that was walked into from it (`childFd`), and
   * refuses if that is not the same directory any more (it or its child was moved meanwhile). */
  #reopen(level: Level, childFd: number): void {
    const fd = openSync(`${PROC_FD}${childFd}/..`, DIR_FLAGS);
    let stats: BigIntStats;
    try {
      stats = fstatSync(fd, { bigint: true });
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    if (stats.dev !== level.dev || stats.ino !== level.ino) {
      closeQuietly(fd);
      fsFail('not-permitted');
    }
    level.fd = fd;
    this.#firstOpen--;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to release
  }
}

/**
 * Resolves `path` relative to directory descriptor `start` and runs `op` on its last component:
 * `op(walk, name)` must act on `walk.at(name)` without following it. With `follow`, a symbolic
 * link in last place is expanded first (and so on, up to the expansion limit).
 */
export function resolve<T>(start: number, path: string, follow: boolean, op: (walk: Walk, name: string) => T): T {
  checkPath(path);
  const walk = new Walk(start);
  try {
    let rest = path;
    for (;;) {
      const { parents, name } = splitParent(rest);
      walk.descend(parents);
      if (follow) {
        const target = walk.linkTarget(name);
        if (target !== null) {
          walk.expand(target); // counts it, and refuses an absolute or empty target
          rest = target;
          continue;
        }
      }
      return op(walk, name);
    }
  } finally {
    walk.close();
  }
}
