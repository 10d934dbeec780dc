import { constants, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { errnoCode } from '../../base/errno.ts';
import { ComponentLoadError } from './errors.ts';
import { checkComponentPreamble, PREAMBLE_BYTES } from './inspect.ts';

/**
 * The largest component file Poolscope reads: 256 MiB. A componentize-js component is ~14 MB, a
 * Rust or Go one a few MB; anything far bigger is almost surely the wrong file, and reading it
 * would keep all of it in memory (and in every thread's compiled modules).
 */
export const MAX_COMPONENT_FILE_BYTES = 256 * 1024 * 1024;

/** Kernel pseudo-filesystems: their "files" are generated on read and are never components. */
const PSEUDO_FILESYSTEMS = ['/proc', '/sys'];

/**
 * Reads a component file, refusing anything that is not a regular file of at most `maxBytes`
 * before reading it: devices (`/dev/zero` never ends), FIFOs (a read blocks until a writer comes,
 * which wedges load, stop and shutdown), sockets, directories and /proc or /sys. The 8-byte
 * preamble is read and checked first, so a large non-component is refused after 8 bytes.
 */
export async function readComponentFile(
  path: string,
  spec: string,
  maxBytes = MAX_COMPONENT_FILE_BYTES,
): Promise<Uint8Array> {
  const label = spec === path ? path : `${spec} (${path})`;
  const real = await realpath(path).catch((error: unknown) => fail(error, spec, path, label));
  const pseudo = PSEUDO_FILESYSTEMS.find((root) => real === root || real.startsWith(`${root}/`));
  if (pseudo) {
    const where = real === path ? '' : ` (it resolves to ${real})`;
    throw new ComponentLoadError(
      `${label} is in ${pseudo}${where}, a kernel pseudo-filesystem: a component must be a regular .wasm file`,
    );
  }
  // stat, not open: opening a FIFO for reading blocks until a writer appears.
  checkRegularFile(await stat(real).catch((error: unknown) => fail(error, spec, path, label)), label, maxBytes);

  // O_NONBLOCK: should the path have been swapped for a FIFO since the stat, open still returns
  // at once, and the fstat below refuses it.
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
  const handle = await open(real, flags).catch((error: unknown) => fail(error, spec, path, label));
  try {
    const info = await handle.stat();
    checkRegularFile(info, label, maxBytes);
    const preamble = new Uint8Array(PREAMBLE_BYTES);
    const header = await readInto(handle, preamble, 0);
    checkComponentPreamble(preamble.subarray(0, header), spec);
    // Only now, for a component, is room made for the whole file.
    const bytes = new Uint8Array(Math.max(info.size, header));
    bytes.set(preamble);
    const total = header + (await readInto(handle, bytes.subarray(header), header));
    // A file that grew since the fstat would be read cut short: say so rather than fail later.
    if (total === info.size && (await readInto(handle, new Uint8Array(1), total)) > 0) {
      throw new ComponentLoadError(`${label} changed while it was being read; try again once it is written`);
    }
    return bytes.subarray(0, total);
  } finally {
    await handle.close();
  }
}

function checkRegularFile(info: Stats, label: string, maxBytes: number): void {
  const kind = notRegular(info);
  if (kind)
    throw new ComponentLoadError(
      `${label} is ${kind}, not a regular file: Poolscope loads components only from regular .wasm files`,
    );
  if (info.size > maxBytes) {
    throw new ComponentLoadError(
      `${label} is ${mib(info.size)}, more than the ${mib(maxBytes)} a component file may be: is it the right file?`,
    );
  }
}

function notRegular(info: Stats): string | null {
  if (info.isFile()) return null;
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'a special file';
}

/** Reads until `into` is full or the file ends; returns the byte count. */
async function readInto(handle: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await handle.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

function fail(error: unknown, spec: string, path: string, label: string): never {
  const code = errnoCode(error);
  if (code === 'ENOENT') throw new ComponentLoadError(`${spec}: no such file (${path})`);
  if (code === 'EACCES' || code === 'EPERM') throw new ComponentLoadError(`${label} cannot be read: permission denied`);
  throw new ComponentLoadError(`${label} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
}

function mib(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return `${Number.isInteger(value) ? value : value.toFixed(value < 1 ? 3 : 1)} MiB`;
}
