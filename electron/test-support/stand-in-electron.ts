/**
 * A STAND-IN for Electron's binary, which cannot be downloaded here: a folder shaped like an
 * unpacked Electron (an executable `electron`, a `version` file) whose executable runs the given
 * main-process file under plain Node with the FAKE `electron` module (fake-electron.ts), and
 * with type stripping off, so only JavaScript can run in it.
 *
 * What it proves: that what is launched (the bundle electron/build/main/main.mjs, its threads) is
 * JavaScript that starts, serves and answers without Electron's Node stripping any TypeScript;
 * that launch.ts runs the binary it finds; that electron-builder packages around it. What it
 * cannot prove: anything Electron itself does (electron/e2e.test.ts, where the binary exists).
 *
 * The executable carries a fuse wire after the sentinel @electron/fuses looks for, with
 * Electron's default fuses, so electron-builder's fuse flipping runs on it as on the real binary.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @electron/fuses' sentinel, then wire version 1 and its 8 fuses (Electron's defaults). */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const DEFAULT_FUSE_WIRE = '\x01\x08' + '10110001';

export interface StandInElectron {
  /** The folder: pass it as ELECTRON_OVERRIDE_DIST_PATH, or as electron-builder's electronDist. */
  dir: string;
  executable: string;
  remove(): void;
}

export function makeStandInElectron(version: string): StandInElectron {
  const dir = mkdtempSync(join(tmpdir(), 'poolscope-stand-in-electron-'));
  const source = readFileSync(new URL('./fake-electron.ts', import.meta.url), 'utf8');
  writeFileSync(join(dir, 'fake-electron.mjs'), stripTypeScriptTypes(source));
  writeFileSync(
    join(dir, 'register.mjs'),
    [
      "import { registerHooks } from 'node:module';",
      "import { isMainThread } from 'node:worker_threads';",
      // Threads inherit --import, but in Electron only the main process has `electron`: threads get nothing.
      'if (isMainThread) {',
      "  const FAKE = new URL('./fake-electron.mjs', import.meta.url).href;",
      "  registerHooks({ resolve: (specifier, context, next) => (specifier === 'electron' ? { url: FAKE, shortCircuit: true } : next(specifier, context)) });",
      '  const { app } = await import(FAKE);',
      // Electron is ready once the main file has run; a quit (or app.exit) ends the process.
      '  setImmediate(() => app.becomeReady());',
      '  void app.quitted.then(() => process.exit(app.exitCode ?? 0));',
      '}',
      '',
    ].join('\n'),
  );
  const executable = join(dir, 'electron');
  const script = [
    '#!/bin/sh',
    `# a stand-in for Electron ${version}: ${FUSE_SENTINEL}${DEFAULT_FUSE_WIRE}`,
    `exec ${shellQuote(process.execPath)} --no-experimental-strip-types --import ${shellQuote(join(dir, 'register.mjs'))} "$@"`,
    '',
  ].join('\n');
  writeFileSync(executable, script, 'latin1');
  chmodSync(executable, 0o755);
  writeFileSync(join(dir, 'version'), version);
  return { dir, executable, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The fuse wire after the sentinel in an executable: one '0'/'1' per fuse, in FuseV1Options order. */
export function readFuseWire(executable: string): string {
  const bytes = readFileSync(executable);
  const at = bytes.indexOf(FUSE_SENTINEL);
  if (at < 0) throw new Error(`${executable} has no fuse sentinel`);
  const wire = at + FUSE_SENTINEL.length;
  return bytes.subarray(wire + 2, wire + 2 + bytes[wire + 1]!).toString('latin1');
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
