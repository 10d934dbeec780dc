import type { ChildProcess } from 'node:child_process';

/**
 * Resolves with `probe()`'s first truthy value, checked every 20 ms: for state the fake Electron
 * changes without an event to wait on. The timeout is a hang guard, not a duration assertion.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface ProcessOutput {
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  text(): string;
  /** The first capture group of `pattern` once the output matches it; rejects if the process exits first. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The exit code (null when ended by a signal). */
  exited: Promise<number | null>;
}

/** Collects a child's output and wakes on each chunk: no polling. */
export function waitForOutput(child: ChildProcess): ProcessOutput {
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const wake of [...waiters]) wake();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let gone = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      gone = true;
      for (const wake of [...waiters]) wake();
      resolve(code);
    }),
  );
  return {
    text: () => text,
    exited,
    line: (pattern, timeoutMs = 90_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern}:\n${text}`)), timeoutMs);
        const finish = (error: Error | null, value = ''): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(value);
        };
        const check = (): void => {
          const match = pattern.exec(text);
          if (match) finish(null, match[1] ?? match[0]);
          else if (gone) finish(new Error(`the process exited before printing ${pattern}:\n${text}`));
        };
        waiters.add(check);
        check();
      }),
  };
}
