/**
 * `npm start`: builds what is stale (the dashboard, the preload), then opens the desktop app —
 * Electron running electron/main.ts. Where Electron's binary is not installed (CI, or an install
 * with the download skipped), it says so in one sentence and serves the same dashboard in web mode
 * instead: `poolscope serve demo:counter --max-instance-reuse-count 128 --ui`.
 *
 *   node electron/launch.ts [component] [--addr HOST:PORT] [serve flags, web mode only]
 *
 * POOLSCOPE_SKIP_UI_BUILD=1 skips the dashboard build (tests; someone else is building it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildPreload, ensureRendererBuilt, ROOT } from './build.ts';
import { locateElectronBinary } from './electron-binary.ts';
import { parseLaunchArgs } from './launch-args.ts';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The one sentence printed when the desktop app cannot open. */
export function webModeNotice(reason: string): string {
  return `Electron's binary is not installed (${reason}), so Poolscope opens in web mode instead: open the Dashboard URL below in your browser.`;
}

/** The web-mode command: the given component (default the counter demo) with reuse 128 and the dashboard. */
export function webModeArgs(args: readonly string[]): string[] {
  const { component } = parseLaunchArgs(args);
  const rest = args.filter((arg) => parseLaunchArgs([arg]).component === null);
  return [join(ROOT, 'engine', 'cli', 'poolscope.ts'), 'serve', component ?? 'demo:counter', '--max-instance-reuse-count', '128', '--ui', ...rest];
}

/**
 * Runs a child until it exits and exits with its status. The child gets its own process group (not
 * on Windows), so a terminal's ctrl-c reaches it once, forwarded from here: twice would mean
 * "stop now" to `poolscope serve`, and in-flight requests would not finish.
 */
function runToCompletion(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', env, detached: process.platform !== 'win32' });
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward(signal));
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  child.on('error', (error) => {
    log(`could not start ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return child;
}

async function main(args: string[]): Promise<void> {
  if (!process.env.POOLSCOPE_SKIP_UI_BUILD) ensureRendererBuilt(log);
  const electron = locateElectronBinary();
  if (!electron.found) {
    log(webModeNotice(electron.reason));
    runToCompletion(process.execPath, webModeArgs(args));
    return;
  }
  await buildPreload();
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would make the binary a plain Node
  runToCompletion(electron.path, [join(ROOT, 'electron', 'main.ts'), ...args], env);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    log(`poolscope: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
