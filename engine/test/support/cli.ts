import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { watchOutput, type ChildOutput } from './child-output.ts';

const CLI = fileURLToPath(new URL('../../cli/poolscope.ts', import.meta.url));

export interface CliRun extends ChildOutput {
  child: ChildProcess;
  /** Resolves with the base URL once the CLI prints `Serving HTTP on …`. */
  serving: Promise<string>;
  /** Resolves with the exit code and everything printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Runs the real `poolscope` CLI in a child process. */
export function runCli(args: string[]): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = watchOutput(child);
  const serving = output.capture(/Serving HTTP on (http:\/\/\S+)/, { stream: 'stderr' });
  serving.catch(() => {});
  const exited = output.closed.then(({ code, signal }) => ({
    code,
    signal,
    stdout: output.stdout(),
    stderr: output.stderr(),
  }));
  return { ...output, child, serving, exited };
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
