/**
 * `--dir HOST[::GUEST]` checked, resolved and opened before serving starts: HOST must be a
 * directory, the guest is given its real path (symbolic links resolved), which is also what the
 * `preopened … as …` line on stderr shows, and it is opened there and then, once for the life of
 * the process (engine/host/p2/filesystem.ts, `openPreopen`): every instance starts from that open
 * directory, never from the path again. Paths inside it are confined by the host
 * (engine/host/p2/fs-walk.ts), which needs Linux's /proc/self/fd.
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errnoCode } from '../../base/errno.ts';
import type { Preopen } from '../host/p2/api.ts';
import { closePreopens, openPreopen } from '../host/p2/filesystem.ts';
import { procFdAvailable } from '../host/p2/fs-walk.ts';
import type { DirSpec } from './parse.ts';

/** A `--dir` that cannot be served; the message is the whole line after `error: `. */
export class PreopenError extends Error {
  override name = 'PreopenError';
}

/** The `--dir` directories, opened; close them with `closePreopens` (re-exported here) once the
 * server has stopped. On failure nothing stays open. */
export async function resolvePreopens(dirs: readonly DirSpec[]): Promise<Preopen[]> {
  if (dirs.length === 0) return [];
  if (!procFdAvailable()) {
    throw new PreopenError(
      `--dir is not supported here: Poolscope confines guest paths through /proc/self/fd, which ${process.platform === 'linux' ? 'is not mounted' : `${process.platform} does not have`} (Node has no openat)`,
    );
  }
  const preopens: Preopen[] = [];
  try {
    for (const { host, guest } of dirs) {
      try {
        preopens.push(openPreopen(await realpath(resolve(host)), guest));
      } catch (error) {
        const code = errnoCode(error);
        const why =
          code === 'ENOENT'
            ? 'no such directory'
            : code === 'ENOTDIR'
              ? 'not a directory'
              : error instanceof Error
                ? error.message
                : String(error);
        throw new PreopenError(`--dir ${host}: ${why}`);
      }
    }
  } catch (error) {
    closePreopens(preopens);
    throw error;
  }
  return preopens;
}

export { closePreopens };

/** The line announcing one preopen on stderr at start. */
export function preopenLine(preopen: Preopen): string {
  return `preopened ${preopen.host} as ${preopen.guest} (read-write)`;
}
