#!/usr/bin/env node
/** The `poolscope` command line: wasmtime-serve-compatible flags over the Poolscope engine. */
import { Command } from 'commander';
import { serveCommand } from './serve-command.ts';
import { leaksCommand } from './leaks-command.ts';
import { loadCommand } from './load-command.ts';
import { demoCommand } from './demo-command.ts';

const program = new Command('poolscope')
  .description('serve wasi:http components through a pool of reusable instances, and watch what reuse does')
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(serveCommand())
  .addCommand(loadCommand())
  .addCommand(leaksCommand())
  .addCommand(demoCommand());

await program.parseAsync(process.argv);
