/**
 * What an unexpected error does in the desktop app's main process: it is logged with its context
 * and the user is told once, and the app keeps running — the window stays, the engine keeps
 * serving. (Without a handler, Node would end the process and take the engine with it.) Errors a
 * request or a command causes never get here: they fail that request or command only.
 */

/** `process`, as far as this needs it (a parameter so tests can drive it). */
export interface ErrorSource {
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

export interface ErrorPolicyOptions {
  log(line: string): void;
  /** Tells the user (a dialog); called once per distinct message. */
  notify(message: string): void;
}

/** Repeats of one message are logged only at these counts, so a loop of errors cannot flood. */
const REPEAT_MARKS = new Set([2, 10, 100, 1000, 10_000]);

export function installMainProcessErrorPolicy(source: ErrorSource, options: ErrorPolicyOptions): void {
  const seen = new Map<string, number>();
  const report = (context: string, error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    const count = (seen.get(message) ?? 0) + 1;
    seen.set(message, count);
    if (count === 1) {
      const detail = error instanceof Error && error.stack ? error.stack : message;
      options.log(`error: unexpected error in the main process (${context}); the app keeps running: ${detail}`);
      try {
        options.notify(message);
      } catch (notifyError) {
        options.log(`error: could not show the error: ${String(notifyError)}`);
      }
    } else if (REPEAT_MARKS.has(count)) {
      options.log(`error: the same unexpected error again (${count} times so far): ${message}`);
    }
  };
  source.on('uncaughtException', (error, origin) =>
    report(origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception', error),
  );
  source.on('unhandledRejection', (reason) => report('unhandled rejection', reason));
}
