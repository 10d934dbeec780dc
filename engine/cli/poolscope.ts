#!/usr/bin/env node
/** The `poolscope` command line: wasmtime-serve-compatible flags over the Poolscope engine. */
import { Command } from 'commander';
import { serveCommand } from './serve-command.ts';
import { leaksCommand } from './leaks-command.ts';
import { loadCommand } from './load-command.ts';
import { demoCommand } from './demo-command.ts';

/**
 * The CLI's policy for errors nothing else caught: a request- or connection-scoped error must not
 * stop a server that others are using, so it is logged with its stack and the process keeps
 * serving; the exit code (70, EX_SOFTWARE) still tells a script that something went wrong.
 */
function keepServing(what: string) {
  return (error: unknown): void => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`internal error (${what}, the server keeps running): ${detail}\n`);
    process.exitCode = 70;
  };
}
process.on('unhandledRejection', keepServing('unhandled rejection'));
process.on('uncaughtException', keepServing('uncaught exception'));

const program = new Command('poolscope')
  .description('serve wasi:http components through a pool of reusable instances, and watch what reuse does')
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(serveCommand())
  .addCommand(loadCommand())
  .addCommand(leaksCommand())
  .addCommand(demoCommand());

await program.parseAsync(process.argv);
