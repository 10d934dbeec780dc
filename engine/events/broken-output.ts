/**
 * What a process of ours does when the reader of its stdout or stderr goes away
 * (`poolscope serve … --events - | head -1`, a terminal or a parent process that is gone): that
 * stream's output is dropped from then on, and everything else goes on.
 *
 * Why it is needed: Node never destroys a broken stdio stream, so every later write fails with
 * EPIPE and emits 'error' again. Unhandled, that error reaches the uncaught-error policy, which
 * writes it to stderr, which fails again: a loop of failed writes at a full core, for as long as
 * the server runs. A server must not die, nor spin, because its log reader left.
 */

/** A stdio stream, as far as this needs it (a parameter so tests can hand it a pipe of their own). */
export interface OutputStream {
  write: NodeJS.WritableStream['write'];
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * From `stream`'s first write error on, its writes are dropped (their callbacks still run, with no
 * error, so writers waiting on them go on). `onBroken` runs once, with that first error; it must
 * not write to `stream` itself.
 */
export function dropOutputOnceBroken(stream: OutputStream, onBroken: (error: Error) => void = () => {}): void {
  let broken = false;
  // Stays installed: writes already under way when the first error came fail after it.
  stream.on('error', (error) => {
    if (broken) return;
    broken = true;
    stream.write = dropWrite;
    onBroken(error);
  });
}

function dropWrite(_chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
  const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
  if (typeof done === 'function') process.nextTick(done, null);
  return true;
}

/**
 * The policy for this process's own stdout and stderr: both drop their output once broken. A
 * broken stderr is never reported (there is nowhere to); what a broken stdout does is the
 * caller's `onStdoutBroken` (it may write to stderr).
 */
export function dropStdioOutputOnceBroken(onStdoutBroken: (error: Error) => void = () => {}): void {
  dropOutputOnceBroken(process.stderr);
  dropOutputOnceBroken(process.stdout, onStdoutBroken);
}
