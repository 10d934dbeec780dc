/**
 * Builds what the desktop app needs before it starts or is packaged:
 *   - the main process, the engine it runs and the files its threads start from, bundled into
 *     JavaScript when stale (bundle-main.ts: electron/build/main/, electron/build/threads/);
 *   - the preload, bundled into one CommonJS file (sandboxed preloads cannot import modules, and
 *     Electron's renderer does not strip types): electron/build/preload.cjs;
 *   - the dashboard (renderer/dist), with Vite, when it is missing or older than its sources;
 *   - the demo guests (assets/guests/dist), when `--dist` (packaging) asks for everything.
 *
 *   node electron/build.ts          preload; main process and dashboard if stale (npm start, npm test)
 *   node electron/build.ts --dist   the same, and fails unless the dashboard and guests are built
 *   node electron/build.ts --force  rebuilds the main-process bundles even if they look current
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureMainProcessBuilt } from './bundle-main.ts';
import { newestMtime, ROOT } from './project-files.ts';

export { ROOT };

export const PRELOAD_SOURCE = join(ROOT, 'electron', 'preload.ts');
export const PRELOAD_BUNDLE = join(ROOT, 'electron', 'build', 'preload.cjs');
export const RENDERER_DIR = join(ROOT, 'renderer');
export const RENDERER_INDEX = join(RENDERER_DIR, 'dist', 'index.html');
const VITE_CONFIG = join(RENDERER_DIR, 'vite.config.ts');

/** The dashboard's inputs: its sources, its config, and the layers it shares with the engine (protocol, base). */
export function rendererInputs(root = ROOT): string[] {
  return [
    join(root, 'renderer', 'src'),
    join(root, 'renderer', 'public'),
    join(root, 'renderer', 'index.html'),
    join(root, 'renderer', 'vite.config.ts'),
    join(root, 'protocol'),
    join(root, 'base'),
  ];
}

export type RendererState = 'absent' | 'missing' | 'stale' | 'current';

/** absent: no renderer sources yet; missing: never built; stale: sources newer than the build. */
export function rendererState(root = ROOT): RendererState {
  if (!existsSync(join(root, 'renderer', 'vite.config.ts')) || !existsSync(join(root, 'renderer', 'index.html')))
    return 'absent';
  const index = join(root, 'renderer', 'dist', 'index.html');
  if (!existsSync(index)) return 'missing';
  return newestMtime(rendererInputs(root)) > statSync(index).mtimeMs ? 'stale' : 'current';
}

export interface BuildLog {
  (line: string): void;
}

/**
 * Builds the dashboard when it is missing or stale (`npx vite build --config renderer/vite.config.ts`).
 * Never throws: a failed build leaves the previous one (if any) in place and says so.
 */
export function ensureRendererBuilt(log: BuildLog): RendererState | 'failed' {
  const state = rendererState();
  if (state === 'absent') {
    log('dashboard sources (renderer/) not there yet: skipping its build');
    return state;
  }
  if (state === 'current') return state;
  log(`dashboard ${state === 'missing' ? 'not built' : 'older than its sources'}: building it with Vite…`);
  const viteBin = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = existsSync(viteBin)
    ? spawnSync(process.execPath, [viteBin, 'build', '--config', VITE_CONFIG, '--logLevel', 'warn'], {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
      })
    : spawnSync('npx', ['vite', 'build', '--config', VITE_CONFIG, '--logLevel', 'warn'], {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
        shell: process.platform === 'win32',
      });
  if (result.status === 0) return state;
  log(
    `dashboard build failed (exit ${result.status ?? result.signal}); ${existsSync(RENDERER_INDEX) ? 'using the previous build' : 'the window will say it is not built'}`,
  );
  return 'failed';
}

/**
 * Bundles the preload (and the channel map it imports) into one CommonJS file, written beside and
 * renamed into place: tests read it and packaging copies it while another build may be running.
 */
export async function buildPreload(): Promise<string> {
  const { build } = await import('vite');
  mkdirSync(dirname(PRELOAD_BUNDLE), { recursive: true });
  const staging = mkdtempSync(join(dirname(PRELOAD_BUNDLE), '.preload-'));
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      root: join(ROOT, 'electron'),
      build: {
        lib: { entry: PRELOAD_SOURCE, formats: ['cjs'], fileName: () => 'preload.cjs' },
        outDir: staging,
        emptyOutDir: false,
        minify: false,
        sourcemap: false,
        target: 'es2023',
        copyPublicDir: false,
        reportCompressedSize: false,
        rolldownOptions: { external: ['electron'] },
      },
    });
    renameSync(join(staging, 'preload.cjs'), PRELOAD_BUNDLE);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return PRELOAD_BUNDLE;
}

async function main(argv: string[]): Promise<void> {
  const dist = argv.includes('--dist');
  const log: BuildLog = (line) => process.stderr.write(`${line}\n`);
  await ensureMainProcessBuilt(log, argv.includes('--force'));
  await buildPreload();
  log(`preload → ${PRELOAD_BUNDLE}`);
  const renderer = ensureRendererBuilt(log);
  if (dist) {
    if (renderer === 'failed' || renderer === 'absent' || !existsSync(RENDERER_INDEX))
      throw new Error('the dashboard (renderer/dist) must build before packaging');
    const guests = spawnSync(process.execPath, [join(ROOT, 'assets', 'guests', 'build.ts')], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (guests.status !== 0) throw new Error('the demo guests (assets/guests/dist) must build before packaging');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`electron build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
