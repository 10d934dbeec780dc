/**
 * Where Electron's binary is, found the way the `electron` package finds it (path.txt, dist/,
 * ELECTRON_OVERRIDE_DIST_PATH) but without calling it: since electron 45, `require('electron')`
 * no longer just throws when the binary is missing — it runs the package's install.js to download
 * it (from GitHub), and throws "Electron failed to install correctly…" only when that fails.
 * This check is instant and says precisely what is missing; `npm start` then runs that install.js
 * itself, with a progress line of its own (electron-download.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The installed `electron` package: its folder, version and installer (its `install-electron` bin). */
export interface ElectronPackage {
  dir: string;
  version: string;
  /** Absolute path of the script that downloads the binary into `dir`/dist, or null if it has none. */
  installer: string | null;
}

/**
 * found, or why not: `package` — the electron package itself is missing; `override` —
 * ELECTRON_OVERRIDE_DIST_PATH names a folder without the binary (a download would not land there);
 * `download` — the package is there but its binary was never downloaded (or was removed).
 */
export type ElectronBinary =
  | { found: true; path: string; version: string }
  | { found: false; missing: 'package'; reason: string; package: null }
  | { found: false; missing: 'override' | 'download'; reason: string; package: ElectronPackage };

export type MissingElectronBinary = Extract<ElectronBinary, { found: false }>;

export function locateElectronBinary(
  from: string = import.meta.url,
  env: NodeJS.ProcessEnv = process.env,
): ElectronBinary {
  let pkg: ElectronPackage;
  try {
    const packageJson = createRequire(from).resolve('electron/package.json');
    const dir = dirname(packageJson);
    // The installed electron package's own package.json: it has a version (and may name a bin).
    const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as {
      version: string;
      bin?: string | Record<string, string>;
    };
    const bin = typeof manifest.bin === 'object' ? manifest.bin['install-electron'] : undefined;
    const installer =
      [bin, 'install.js']
        .filter((name): name is string => !!name)
        .map((name) => join(dir, name))
        .find((path) => existsSync(path)) ?? null;
    pkg = { dir, version: manifest.version, installer };
  } catch {
    return { found: false, missing: 'package', reason: 'the electron package is not installed', package: null };
  }
  const { dir, version } = pkg;
  const pathFile = join(dir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, executable || 'electron');
    return existsSync(path)
      ? { found: true, path, version }
      : {
          found: false,
          missing: 'override',
          reason: `ELECTRON_OVERRIDE_DIST_PATH points at ${override}, which holds no ${executable || 'electron'}`,
          package: pkg,
        };
  }
  if (!executable) {
    return {
      found: false,
      missing: 'download',
      reason: `electron ${version}'s binary has not been downloaded: node_modules/electron/path.txt is missing`,
      package: pkg,
    };
  }
  const path = join(dir, 'dist', executable);
  if (!existsSync(path))
    return {
      found: false,
      missing: 'download',
      reason: `node_modules/electron/dist/${executable} does not exist`,
      package: pkg,
    };
  return { found: true, path, version };
}
