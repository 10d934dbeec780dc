#!/usr/bin/env node
/** The `poolscope` command line: wasmtime-serve-compatible flags over the Poolscope engine. */
import { Command } from 'commander';
import { serveCommand } from './serve-command.ts';
import { leaksCommand } from './leaks-command.ts';
import { loadCommand } from './load-command.ts';
import { demoCommand } from './demo-command.ts';
import { dropStdioOutputOnceBroken } from '../events/broken-output.ts';
import { errnoCode } from '../../base/errno.ts';

/**
 * The CLI's policy for errors nothing else caught. A server (`serve`, `demo`) must not stop for a
 * request- or connection-scoped error while others use it: the error is logged with its stack and
 * the process keeps serving; exit code 70 (EX_SOFTWARE) still tells a script something went wrong.
 * A one-shot command (`load`, `leaks`) cannot trust its own result after one: it says so and exits 70.
 */
const SERVERS = new Set(['serve', 'demo']);
const isServer = SERVERS.has(process.argv[2] ?? '');
function onUnexpected(what: string) {
  return (error: unknown): void => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`internal error (${what}${isServer ? ', the server keeps running' : ''}): ${detail}\n`);
    if (isServer) process.exitCode = 70;
    else process.exit(70);
  };
}
// Before the policy below: a broken stdout or stderr must not become an error reported to stderr.
// A server goes on without its stdout (only `--events -` writes there). A one-shot command's
// result is its stdout: without it the command ends as a SIGPIPE would end it (128 + 13), so a
// script never takes a result it did not get for a success.
dropStdioOutputOnceBroken((error) => {
  if (!isServer) process.exit(141);
  process.stderr.write(
    `poolscope: stdout could not be written (${errnoCode(error) ?? error.message}): the events for it (--events -) are dropped from now on; the server goes on serving\n`,
  );
});
process.on('unhandledRejection', onUnexpected('unhandled rejection'));
process.on('uncaughtException', onUnexpected('uncaught exception'));

const program = new Command('poolscope')
  .description('serve wasi:http components through a pool of reusable instances, and watch what reuse does')
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(serveCommand())
  .addCommand(loadCommand())
  .addCommand(leaksCommand())
  .addCommand(demoCommand());

await program.parseAsync(process.argv);
