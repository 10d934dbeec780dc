/**
 * Where Electron's binary is, found the way the `electron` package finds it (path.txt, dist/,
 * ELECTRON_OVERRIDE_DIST_PATH) but without calling it: since electron 45, `require('electron')`
 * no longer just throws when the binary is missing — it runs the package's install.js to download
 * it (from GitHub), and throws "Electron failed to install correctly…" only when that fails.
 * Offline that is a slow, noisy failure; this check is instant and says precisely what is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary = { found: true; path: string; version: string } | { found: false; reason: string };

export function locateElectronBinary(from: string = import.meta.url, env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  let packageDir: string;
  let version: string;
  try {
    const packageJson = createRequire(from).resolve('electron/package.json');
    packageDir = dirname(packageJson);
    version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  } catch {
    return { found: false, reason: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, executable || 'electron');
    return existsSync(path)
      ? { found: true, path, version }
      : { found: false, reason: `ELECTRON_OVERRIDE_DIST_PATH points at ${override}, which holds no ${executable || 'electron'}` };
  }
  if (!executable) {
    return { found: false, reason: `electron ${version}'s download never completed: node_modules/electron/path.txt is missing` };
  }
  const path = join(packageDir, 'dist', executable);
  if (!existsSync(path)) return { found: false, reason: `node_modules/electron/dist/${executable} does not exist` };
  return { found: true, path, version };
}
