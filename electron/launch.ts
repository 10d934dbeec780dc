/**
 * `npm start`: builds what is stale (the dashboard, the main-process bundle, the preload), then
 * opens the desktop app — Electron running MAIN_ENTRY, the bundled main process. Where Electron's binary is missing (electron 45 downloads it lazily,
 * not at `npm ci`), it runs the electron package's own installer first, with a progress line
 * (electron-download.ts). Only where that fails or is not wanted (offline, blocked,
 * ELECTRON_SKIP_BINARY_DOWNLOAD set) does it say why in one sentence, with the command to retry,
 * and serve the same dashboard in web mode instead:
 * `poolscope serve demo:counter --max-instance-reuse-count 128 --idle-instance-timeout 30s --ui`.
 *
 *   node electron/launch.ts [component] [--addr HOST:PORT] [serve flags, web mode only]
 *
 * POOLSCOPE_SKIP_UI_BUILD=1 skips the dashboard build (tests; someone else is building it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { buildPreload, ensureRendererBuilt, ROOT } from './build.ts';
import { ensureMainProcessBuilt, MAIN_BUNDLE } from './bundle-main.ts';
import { locateElectronBinary, type ElectronBinary } from './electron-binary.ts';
import { decideDownload, retryRemedy, runElectronInstaller, webModeNotice } from './electron-download.ts';
import { parseLaunchArgs } from './launch-args.ts';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** What Electron runs: the main process, bundled with the engine (electron/build.ts). */
export const MAIN_ENTRY = MAIN_BUNDLE;

/**
 * The web-mode command: the given component (default the counter demo) with what the desktop app
 * starts with (reuse 128, idle instances kept 30 s so requests typed by hand reach the same one)
 * and the dashboard. The user's flags come last, so theirs win.
 */
export function webModeArgs(args: readonly string[]): string[] {
  const { component } = parseLaunchArgs(args);
  const rest = args.filter((arg) => parseLaunchArgs([arg]).component === null);
  const starting = ['--max-instance-reuse-count', '128', '--idle-instance-timeout', '30s', '--ui'];
  return [join(ROOT, 'engine', 'cli', 'poolscope.ts'), 'serve', component ?? 'demo:counter', ...starting, ...rest];
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

/**
 * Electron's binary, downloaded first when it is missing and wanted. `{ found: false }` comes with
 * the one sentence to print; a ctrl-c or SIGTERM during the download exits (the installer with it).
 */
async function ensureElectronBinary(): Promise<{ found: true; path: string } | { found: false; notice: string }> {
  const located = locateElectronBinary();
  if (located.found) return located;
  const cwd = process.env.INIT_CWD ?? process.cwd(); // where the user typed `npm start`
  const decision = decideDownload(located, process.env, cwd);
  if (decision.action === 'skip') return { found: false, notice: webModeNotice(decision.reason, decision.remedy) };

  const controller = new AbortController();
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted ??= signal;
    controller.abort();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);
  const result = await runElectronInstaller({
    installer: decision.installer,
    version: decision.version,
    cwd,
    signal: controller.signal,
  });
  for (const signal of signals) process.off(signal, onSignal);
  if (interrupted) process.exit(128 + constants.signals[interrupted]);

  const remedy = retryRemedy(decision.installer, cwd);
  if (!result.ok) return { found: false, notice: webModeNotice(result.reason, remedy) };
  const relocated: ElectronBinary = locateElectronBinary();
  if (relocated.found) return relocated;
  return { found: false, notice: webModeNotice(`its installer finished, but ${relocated.reason}`, remedy) };
}

/** Opens the desktop app: Electron's binary running MAIN_ENTRY with the launch arguments. */
async function launchDesktopApp(binary: string, args: string[]): Promise<void> {
  await ensureMainProcessBuilt(log);
  await buildPreload();
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would make the binary a plain Node
  runToCompletion(binary, [MAIN_ENTRY, ...args], env);
}

async function main(args: string[]): Promise<void> {
  if (!process.env.POOLSCOPE_SKIP_UI_BUILD) ensureRendererBuilt(log);
  const electron = await ensureElectronBinary();
  if (!electron.found) {
    log(electron.notice);
    runToCompletion(process.execPath, webModeArgs(args));
    return;
  }
  await launchDesktopApp(electron.path, args);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    log(`poolscope: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
