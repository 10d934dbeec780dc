import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/poolscope.ts', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  /** Resolves with the base URL once the CLI prints `Serving HTTP on …`. */
  serving: Promise<string>;
  /** Resolves with the exit code and everything printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  stderr(): string;
  /** Everything printed on stdout so far (e.g. `--events -`). */
  stdout(): string;
  /** Resolves once stdout so far matches `pattern`. */
  stdoutMatches(pattern: (stdout: string) => boolean): Promise<void>;
}

/** Runs the real `poolscope` CLI in a child process. */
export function runCli(args: string[]): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let resolveServing: (url: string) => void;
  let rejectServing: (error: Error) => void;
  const serving = new Promise<string>((resolve, reject) => {
    resolveServing = resolve;
    rejectServing = reject;
  });
  const stdoutWaiters: Array<{ pattern: (stdout: string) => boolean; resolve: () => void }> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of [...stdoutWaiters]) {
      if (waiter.pattern(stdout)) {
        stdoutWaiters.splice(stdoutWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const match = /Serving HTTP on (http:\/\/\S+)/.exec(stderr);
    if (match) resolveServing(match[1]!);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => {
      rejectServing(new Error(`poolscope exited (${code ?? signal}) before serving:\n${stderr}`));
      // Let the pipes drain before reporting what was printed.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
  serving.catch(() => {});
  const stdoutMatches = (pattern: (stdout: string) => boolean): Promise<void> =>
    pattern(stdout) ? Promise.resolve() : new Promise((resolve) => stdoutWaiters.push({ pattern, resolve }));
  return { child, serving, exited, stderr: () => stderr, stdout: () => stdout, stdoutMatches };
}

/**
 * `runCli` for one test file: every run still going when the file's tests end (one a failed
 * assertion left serving) is killed then. Call it at the file's top level.
 */
export function cliRunsStoppedAfterTests(): (args: string[]) => CliRun {
  const runs = new Set<CliRun>();
  after(async () => {
    for (const run of runs) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });
  return (args) => {
    const run = runCli(args);
    runs.add(run);
    void run.exited.then(() => runs.delete(run));
    return run;
  };
}
