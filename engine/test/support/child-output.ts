import { spawn, type ChildProcess } from 'node:child_process';

export type OutputStream = 'stdout' | 'stderr';

export interface WaitOptions {
  /** Which stream to look at; both, interleaved in arrival order, when absent. */
  stream?: OutputStream;
  /** A hang guard, not a duration assertion. */
  timeoutMs?: number;
}

export interface ChildOutput {
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved, in the order the chunks arrived. */
  text(): string;
  /** The first match of `pattern`, as soon as the output shows it; rejects if the child closes first. */
  match(pattern: RegExp, options?: WaitOptions): Promise<RegExpExecArray>;
  /** `match`'s first capture group (the whole match when `pattern` has none), e.g. an address. */
  capture(pattern: RegExp, options?: WaitOptions): Promise<string>;
  /** Resolves once `holds(output)`, checked on every chunk; rejects if the child closes first. */
  until(what: string, holds: (output: string) => boolean, options?: WaitOptions): Promise<void>;
  /** How the child ended, once its pipes closed too (so every byte it printed is in). */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const DEFAULT_TIMEOUT_MS = 90_000;

/**
 * Collects a child process's output (it must be spawned with piped stdout/stderr) and wakes the
 * waiters on each chunk: waiting on output is waiting on an event, never a poll.
 */
export function watchOutput(child: ChildProcess): ChildOutput {
  const text = { stdout: '', stderr: '', both: '' };
  const checks = new Set<() => void>();
  let gone = false;
  const wakeAll = (): void => {
    for (const check of [...checks]) check();
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.setEncoding('utf8').on('data', (chunk: string) => {
      text[stream] += chunk;
      text.both += chunk;
      wakeAll();
    });
  }
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      gone = true;
      wakeAll();
      resolve({ code, signal });
    }),
  );

  /** Resolves with `probe()`'s first defined value, checked now and on every chunk. */
  const when = <T>(
    what: string,
    probe: (output: string) => T | undefined,
    { stream, timeoutMs = DEFAULT_TIMEOUT_MS }: WaitOptions = {},
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const output = (): string => text[stream ?? 'both'];
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        checks.delete(check);
        settle();
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${text.both}`))),
        timeoutMs,
      );
      const check = (): void => {
        const value = probe(output());
        if (value !== undefined) finish(() => resolve(value));
        else if (gone) finish(() => reject(new Error(`the process ended before ${what}:\n${text.both}`)));
      };
      checks.add(check);
      check();
    });

  const match = (pattern: RegExp, options?: WaitOptions): Promise<RegExpExecArray> =>
    when(
      `printing ${pattern}`,
      (output) => {
        pattern.lastIndex = 0; // a /g pattern would otherwise search on from its last match
        return pattern.exec(output) ?? undefined;
      },
      options,
    );

  return {
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    text: () => text.both,
    match,
    capture: async (pattern, options) => {
      const found = await match(pattern, options);
      return found[1] ?? found[0];
    },
    until: (what, holds, options) => when(what, (output) => (holds(output) ? true : undefined), options).then(() => {}),
    closed,
  };
}

/**
 * Runs the Node script `script` with `args` to its end and echoes its stdout as TAP comments, so a
 * smoke test's printed numbers show in the test log; returns its exit code and its output.
 */
export async function runScriptEchoed(
  script: string,
  args: string[],
): Promise<{ code: number | null; output: ChildOutput }> {
  const output = watchOutput(spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const { code } = await output.closed;
  process.stdout.write(
    output
      .stdout()
      .split('\n')
      .map((line) => `# ${line}`)
      .join('\n') + '\n',
  );
  return { code, output };
}
