/**
 * Fetching Electron's binary when `npm start` finds it missing. electron 45 has no npm install
 * script: its binary is downloaded lazily by the package's own installer (`install.js`, the
 * `install-electron` bin), which uses @electron/get — so ELECTRON_MIRROR, electron_config_cache,
 * electron_use_remote_checksums and the rest of its settings apply unchanged. This module runs that
 * installer with a progress line of its own and turns its failure into one reason; launch.ts decides
 * what to do with the outcome. The pure parts (decideDownload, condenseInstallerError,
 * webModeNotice, …) do no I/O.
 */
import { spawn } from 'node:child_process';
import { isAbsolute, relative } from 'node:path';
import type { MissingElectronBinary } from './electron-binary.ts';

/** How long one download attempt may take before it is stopped (100 MB at ~170 KB/s). */
export const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
/** What the user is told to expect: electron-v45 for linux-x64 is ~110 MB zipped. */
const DOWNLOAD_SIZE = 'about 100 MB';

/**
 * Electron's convention (its install.js up to v44, electron-builder, most CI setups): the variable
 * counts as set when it is non-empty, whatever its value.
 */
export function skipDownloadRequested(env: NodeJS.ProcessEnv): string | null {
  const value = env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  return value ? value : null;
}

/** The installer as the user would type it from `cwd` (relative when that is shorter and unambiguous). */
export function installerDisplay(installer: string, cwd: string): string {
  const rel = relative(cwd, installer);
  const shown = rel && !isAbsolute(rel) && !rel.startsWith('..') ? rel.split('\\').join('/') : installer;
  return /\s/.test(shown) ? JSON.stringify(shown) : shown;
}

/** The command that retries the download by hand, then starts the app. */
export function retryRemedy(installer: string, cwd: string): string {
  return `run \`node ${installerDisplay(installer, cwd)}\` and then \`npm start\` to retry`;
}

export type DownloadDecision =
  | { action: 'download'; installer: string; version: string }
  | { action: 'skip'; reason: string; remedy: string };

/**
 * Whether `npm start` should try to download the missing binary, or why not (with what to do).
 * No download when the package itself is missing, when ELECTRON_OVERRIDE_DIST_PATH points elsewhere
 * (install.js always extracts into the package's own dist/, so the override would still be empty),
 * or when ELECTRON_SKIP_BINARY_DOWNLOAD is set.
 */
export function decideDownload(binary: MissingElectronBinary, env: NodeJS.ProcessEnv, cwd: string): DownloadDecision {
  if (binary.missing === 'package')
    return { action: 'skip', reason: binary.reason, remedy: 'run `npm ci` and then `npm start`' };
  if (binary.missing === 'override') {
    return {
      action: 'skip',
      reason: binary.reason,
      remedy:
        "point ELECTRON_OVERRIDE_DIST_PATH at a folder holding Electron's binary (or unset it) and run `npm start` again",
    };
  }
  const { installer, version } = binary.package;
  if (!installer) {
    return {
      action: 'skip',
      reason: `electron ${version}'s package has no installer (install.js) to download it with`,
      remedy: 'reinstall it with `npm ci` and then run `npm start`',
    };
  }
  const skip = skipDownloadRequested(env);
  if (skip !== null) {
    return {
      action: 'skip',
      reason: `its download was skipped because ELECTRON_SKIP_BINARY_DOWNLOAD=${skip} is set`,
      remedy: `run \`node ${installerDisplay(installer, cwd)}\` and then \`npm start\` to get the desktop app`,
    };
  }
  return { action: 'download', installer, version };
}

/** The one sentence printed when the desktop app cannot open: why, then web mode, then what to do. */
export function webModeNotice(reason: string, remedy: string): string {
  return `Electron's binary is not installed (${reason}), so Poolscope opens in web mode instead: open the Dashboard URL below in your browser, or ${remedy}.`;
}

/** The first line `npm start` prints before downloading. */
export function downloadingLine(version: string, installer: string): string {
  return `Electron's binary is missing: downloading Electron ${version} (${DOWNLOAD_SIZE}, once) with ${installer}…`;
}

export function describeDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 1000)} s`;
  return `${ms} ms`;
}

const STACK_FRAME = /^\s+at\s/;
const ERROR_LINE = /^(?:[A-Z]\w*)?(?:Error|Exception)(?: \[[\w-]+\])?: (.+)$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * The installer's failure in a few words for the fallback sentence: the message of the first
 * `SomeError: message` line (install.js prints the error's stack; an uncaught throw prints the
 * source line and a caret first), else the first line that is not a stack frame, a caret, a
 * progress bar or Node's version footer. Cut to its first sentence, without a final period, so it
 * reads inside the sentence's parentheses. null when the installer printed nothing useful.
 */
export function condenseInstallerError(output: string): string | null {
  const lines = output
    .replace(ANSI, '')
    .split(/\r\n|\r|\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '' && !STACK_FRAME.test(line));
  const message = lines.map((line) => ERROR_LINE.exec(line.trim())?.[1]).find((found) => found !== undefined);
  const meaningful =
    message ??
    lines
      .map((line) => line.trim())
      .find(
        (line) =>
          !/^\^+$/.test(line) && // the caret under an uncaught throw
          !/^Node\.js v\d/.test(line) && // Node's footer
          !/^\S+:\d+$/.test(line) && // file:line above the source line of an uncaught throw
          !/^Downloading .*\[.*\]/.test(line), // @electron/get's progress bar
      );
  if (!meaningful) return null;
  // biome-ignore lint/style/noNonNullAssertion: split returns at least one element
  let text = meaningful.split(/(?<=[.!?])\s+(?=[A-Z])/)[0]!.replace(/[.\s]+$/, '');
  if (text.length > 240) text = `${text.slice(0, 239)}…`;
  return text || null;
}

/**
 * Loaded into the installer with `--import`: Node's fetch rejects with a bare "fetch failed" and
 * keeps what went wrong (`connect ECONNREFUSED …`, `getaddrinfo ENOTFOUND github.com`, a TLS error)
 * in `error.cause`, which install.js does not print. This appends the cause to the message and the
 * stack's first line; the error is otherwise the same object.
 */
export const FETCH_CAUSE_HOOK = `
const originalFetch = globalThis.fetch;
if (typeof originalFetch === 'function') {
  globalThis.fetch = function fetch(...args) {
    return originalFetch.apply(this, args).catch((error) => {
      const cause = error && error.cause;
      const detail = cause && (cause.message || (Array.isArray(cause.errors) && cause.errors.map((e) => e && e.message).filter(Boolean).join(', ')) || cause.code);
      if (detail && typeof error.message === 'string' && !error.message.includes(detail)) {
        try {
          const head = error.name + ': ' + error.message;
          const stack = error.stack; // read first: V8 formats it lazily, from the message at that time
          error.message += ': ' + detail;
          if (typeof stack === 'string' && stack.startsWith(head)) error.stack = error.name + ': ' + error.message + stack.slice(head.length);
        } catch {}
      }
      throw error;
    });
  };
}
`;

export interface InstallerOptions {
  /** Absolute path of the electron package's install.js. */
  installer: string;
  version: string;
  env?: NodeJS.ProcessEnv;
  /** For showing the installer's path (default: where the user typed `npm start`). */
  cwd?: string;
  timeoutMs?: number;
  /** Progress ticks: every second in place on a TTY, a line every 10 s otherwise. */
  tickMs?: number;
  tty?: boolean;
  write?: (text: string) => void;
  /** Aborting stops the installer (ctrl-c, SIGTERM). */
  signal?: AbortSignal;
}

export type InstallerResult = { ok: true; seconds: number } | { ok: false; reason: string; aborted: boolean };

/**
 * Runs the electron package's installer (`node --import <fetch-cause hook> install.js`) with our
 * progress line on stderr. Its own output is captured (piped, so @electron/get's progress bar,
 * which draws only on a TTY, stays quiet) and condensed into the reason when it fails. Stopped
 * past `timeoutMs`. Never rejects.
 */
export function runElectronInstaller(options: InstallerOptions): Promise<InstallerResult> {
  const { installer, version, env = process.env, timeoutMs = DOWNLOAD_TIMEOUT_MS, signal } = options;
  const cwd = options.cwd ?? env.INIT_CWD ?? process.cwd();
  const tty = options.tty ?? process.stderr.isTTY === true;
  const tickMs = options.tickMs ?? (tty ? 1000 : 10_000);
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const shown = installerDisplay(installer, cwd);
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  write(`${downloadingLine(version, shown)}\n`);

  return new Promise((resolve) => {
    const hook = `--import=data:text/javascript,${encodeURIComponent(FETCH_CAUSE_HOOK)}`;
    const child = spawn(process.execPath, [hook, installer], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

    let ticked = false;
    const tick = setInterval(() => {
      ticked = true;
      write(tty ? `\r  ${seconds()} s…` : `  still downloading: ${seconds()} s\n`);
    }, tickMs);
    let stopped: 'timeout' | 'aborted' | null = null;
    let forceKill: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'aborted'): void => {
      stopped ??= why;
      child.kill('SIGTERM');
      forceKill ??= setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = (): void => stop('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();

    let settled = false;
    const finish = (result: InstallerResult): void => {
      if (settled) return;
      settled = true;
      clearInterval(tick);
      clearTimeout(timer);
      clearTimeout(forceKill);
      signal?.removeEventListener('abort', onAbort);
      if (tty && ticked) write('\r\x1b[K');
      if (result.ok) write(`  downloaded in ${result.seconds} s\n`);
      resolve(result);
    };
    child.on('error', (error) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      finish({ ok: false, aborted: false, reason: `its download could not start (${shown}: ${error.message})` });
    });
    child.on('close', (code, exitSignal) => {
      if (stopped === 'aborted') return finish({ ok: false, aborted: true, reason: 'its download was interrupted' });
      if (stopped === 'timeout')
        return finish({
          ok: false,
          aborted: false,
          reason: `its download did not finish within ${describeDuration(timeoutMs)}, so it was stopped`,
        });
      if (code === 0) return finish({ ok: true, seconds: seconds() });
      const detail =
        condenseInstallerError(stderr) ??
        condenseInstallerError(stdout) ??
        `${shown} exited with ${code === null ? `signal ${exitSignal}` : `code ${code}`}`;
      finish({ ok: false, aborted: false, reason: `its download failed: ${detail}` });
    });
  });
}
