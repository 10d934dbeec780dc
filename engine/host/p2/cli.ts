/**
 * wasi:cli: environment, exit, the standard streams and the terminal interfaces.
 * The guest sees the environment it was given, no arguments, the working directory it was given
 * (`-S cwd`; none by default), an empty stdin and no terminal; stdout/stderr go to `options.output` unbuffered.
 */

import { GuestExit, type GuestOutputSink } from './api.ts';
import { InputStream, OutputStream, type WriteTarget } from './streams.ts';
import type { Waiter } from './wait.ts';

/** stdout or stderr: every write goes to the output sink as is. */
class GuestOutputTarget implements WriteTarget {
  private readonly output: GuestOutputSink;
  private readonly stream: 'stdout' | 'stderr';

  constructor(output: GuestOutputSink, stream: 'stdout' | 'stderr') {
    this.output = output;
    this.stream = stream;
  }

  write(bytes: Uint8Array): void {
    this.output.write(this.stream, bytes);
  }

  check(): void {}
}

/** wasi:cli/terminal-input.terminal-input: no methods; never handed out (stdin is no terminal). */
export class TerminalInput {}
/** wasi:cli/terminal-output.terminal-output: likewise. */
export class TerminalOutput {}

const NO_ARGUMENTS: string[] = [];

export interface CliImports {
  'wasi:cli/environment': Record<string, unknown>;
  'wasi:cli/exit': Record<string, unknown>;
  'wasi:cli/stdin': Record<string, unknown>;
  'wasi:cli/stdout': Record<string, unknown>;
  'wasi:cli/stderr': Record<string, unknown>;
  'wasi:cli/terminal-input': Record<string, unknown>;
  'wasi:cli/terminal-output': Record<string, unknown>;
  'wasi:cli/terminal-stdin': Record<string, unknown>;
  'wasi:cli/terminal-stdout': Record<string, unknown>;
  'wasi:cli/terminal-stderr': Record<string, unknown>;
}

export function createCliImports(
  env: ReadonlyArray<readonly [string, string]>,
  output: GuestOutputSink,
  waiter: Waiter,
  initialCwd?: string,
): CliImports {
  // Copied once: the guest may be handed the same list on every call (the glue only reads it).
  const environment: Array<[string, string]> = env.map(([k, v]) => [k, v]);
  // One stream object per standard stream and instance. They hold no per-handle state and have
  // no drop behaviour, so returning the same object from every get-* call is safe.
  const stdin = new InputStream(new Uint8Array(0), waiter);
  const stdout = new OutputStream(new GuestOutputTarget(output, 'stdout'), waiter);
  const stderr = new OutputStream(new GuestOutputTarget(output, 'stderr'), waiter);
  const notATerminal = (): undefined => undefined;

  return {
    'wasi:cli/environment': {
      getEnvironment: (): Array<[string, string]> => environment,
      getArguments: (): string[] => NO_ARGUMENTS,
      initialCwd: (): string | undefined => initialCwd,
    },
    'wasi:cli/exit': {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw new GuestExit(status.tag === 'ok' ? 0 : 1);
      },
      exitWithCode(code: number): never {
        throw new GuestExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: (): InputStream => stdin },
    'wasi:cli/stdout': { getStdout: (): OutputStream => stdout },
    'wasi:cli/stderr': { getStderr: (): OutputStream => stderr },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: notATerminal },
    'wasi:cli/terminal-stdout': { getTerminalStdout: notATerminal },
    'wasi:cli/terminal-stderr': { getTerminalStderr: notATerminal },
  };
}
