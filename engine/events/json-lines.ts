import { closeSync, constants, createWriteStream, openSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { formatBytes } from '../../base/bytes.ts';
import type { EventBus } from './event-bus.ts';

/**
 * How far an events file may fall behind the events (a stalled or slow disk) before events are
 * dropped rather than held in memory. Dropped events leave a gap in `seq`, and stderr says how many.
 */
export const EVENTS_BACKLOG_BYTES = 16 * 1024 * 1024;

export interface JsonLinesOptions {
  /** Where the writer's own problems are said (a failed or lagging file); stderr by default. */
  log?: (line: string) => void;
  /** The backlog bound, for tests; `EVENTS_BACKLOG_BYTES` by default. */
  backlogBytes?: number;
}

/**
 * `--events FILE` (`-` for stdout): every lifecycle event as one JSON line, for headless use.
 * The file is opened here, so a path that cannot be written throws at once (for the CLI to refuse
 * it); a write that fails later (a full disk, stdout's reader gone) stops the writing, not the server.
 */
export function writeEventsAsJsonLines(
  bus: EventBus,
  target: string,
  {
    log = (line) => void process.stderr.write(`${line}\n`),
    backlogBytes = EVENTS_BACKLOG_BYTES,
  }: JsonLinesOptions = {},
): { close(): Promise<void> } {
  const toStdout = target === '-';
  const out: Writable = toStdout ? process.stdout : createWriteStream('', { fd: openEventsFile(target) });
  let dropped = 0;
  const unsubscribe = bus.subscribe((event) => {
    if (out.writableLength > backlogBytes) {
      if (dropped++ === 0) {
        log(
          `--events ${target}: the file is ${formatBytes(backlogBytes)} behind; events are dropped until it catches up`,
        );
      }
      return;
    }
    out.write(`${JSON.stringify(event)}\n`);
  });
  let failed = false;
  const onError = (error: Error): void => {
    if (failed) return;
    failed = true;
    unsubscribe();
    // A broken stdout is said by the process's own stdout policy (broken-output.ts).
    if (!toStdout) log(`error: --events ${target}: ${error.message}; no more events are written to it`);
  };
  out.on('error', onError);
  return {
    close: () =>
      new Promise((resolve) => {
        unsubscribe();
        if (toStdout) out.off('error', onError); // the process's stdout outlives this writer
        if (dropped > 0) log(`--events ${target}: ${dropped} events were dropped while the file was behind`);
        if (toStdout || failed) resolve();
        else out.end(resolve);
      }),
  };
}

/**
 * Opens `target` for writing. A FIFO (`mkfifo`, a process substitution) is refused when nothing
 * reads it: opening its write end would otherwise wait for a reader, and the server with it,
 * before it serves anything. The check opens it without waiting (which fails with ENXIO when no
 * reader is there); a reader that leaves between that check and the real open is not caught.
 */
function openEventsFile(target: string): number {
  const probe = isFifo(target) ? openFifoWithoutWaiting(target) : null;
  try {
    return openSync(target, 'w');
  } finally {
    if (probe !== null) closeSync(probe);
  }
}

function isFifo(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false; // not there yet: a regular file is made
  }
}

/** The FIFO's write end, opened without waiting (ENXIO when nothing reads it: refused). */
function openFifoWithoutWaiting(target: string): number {
  try {
    return openSync(target, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENXIO')
      throw new Error(`${target} is a FIFO that nothing reads yet; start its reader first`);
    throw error;
  }
}
