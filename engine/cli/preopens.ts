/**
 * `--dir HOST[::GUEST]` checked and resolved before serving starts: HOST must be a directory,
 * and the guest is given its real path (symbolic links resolved), which is also what the
 * `preopened … as …` line on stderr shows. Paths inside it are confined by the host
 * (engine/host/p2/fs-walk.ts), which needs Linux's /proc/self/fd.
 */
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Preopen } from '../host/p2/api.ts';
import { procFdAvailable } from '../host/p2/fs-walk.ts';
import type { DirSpec } from './parse.ts';

/** A `--dir` that cannot be served; the message is the whole line after `error: `. */
export class PreopenError extends Error {
  override name = 'PreopenError';
}

export async function resolvePreopens(dirs: readonly DirSpec[]): Promise<Preopen[]> {
  if (dirs.length === 0) return [];
  if (!procFdAvailable()) {
    throw new PreopenError(
      `--dir is not supported here: Poolscope confines guest paths through /proc/self/fd, which ${process.platform === 'linux' ? 'is not mounted' : `${process.platform} does not have`} (Node has no openat)`,
    );
  }
  const preopens: Preopen[] = [];
  for (const { host, guest } of dirs) {
    let real: string;
    try {
      real = await realpath(resolve(host));
      if (!(await stat(real)).isDirectory()) throw new PreopenError(`--dir ${host}: not a directory`);
    } catch (error) {
      if (error instanceof PreopenError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new PreopenError(`--dir ${host}: ${code === 'ENOENT' ? 'no such directory' : (error as Error).message}`);
    }
    preopens.push({ host: real, guest });
  }
  return preopens;
}

/** The line announcing one preopen on stderr at start. */
export function preopenLine(preopen: Preopen): string {
  return `preopened ${preopen.host} as ${preopen.guest} (read-write)`;
}
