/**
 * Builds what the desktop app needs before it starts or is packaged:
 *   - the main process, the engine it runs and the files its threads start from, bundled into
 *     JavaScript (electron/build/app/*.mjs): Electron's embedded Node is not relied on to strip
 *     TypeScript, and the package carries no engine sources;
 *   - the preload, bundled into one CommonJS file (sandboxed preloads cannot import modules, and
 *     Electron's renderer does not strip types): electron/build/preload.cjs;
 *   - the dashboard (renderer/dist), with Vite, when it is missing or older than its sources;
 *   - the demo guests (assets/guests/dist), when `--dist` (packaging) asks for everything.
 *
 *   node electron/build.ts          preload; main process and dashboard if stale (npm start, npm test)
 *   node electron/build.ts --dist   the same, and fails unless the dashboard and guests are built
 *   node electron/build.ts --force  rebuilds the main process even if it looks current
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PRELOAD_SOURCE = join(ROOT, 'electron', 'preload.ts');
export const PRELOAD_BUNDLE = join(ROOT, 'electron', 'build', 'preload.cjs');
export const RENDERER_DIR = join(ROOT, 'renderer');
export const RENDERER_INDEX = join(RENDERER_DIR, 'dist', 'index.html');
const VITE_CONFIG = join(RENDERER_DIR, 'vite.config.ts');
/** The main-process bundle's folder, relative to the root (engine/thread-entry.ts is told it). */
const APP_BUNDLE_PATH = 'electron/build/app/';
export const APP_BUNDLE_DIR = join(ROOT, ...APP_BUNDLE_PATH.split('/'));
/** What Electron runs (package.json `main`). */
export const MAIN_BUNDLE = join(APP_BUNDLE_DIR, 'main.mjs');
/** The bundle's entry points: the main process, and every file a thread starts from. */
const MAIN_ENTRIES = {
  main: 'electron/main.ts',
  'executor-thread': 'engine/worker/executor-thread.ts',
  'load-thread': 'engine/load/load-thread.ts',
  'instrument-thread': 'engine/component/instrument-thread.ts',
};

/** Newest modification time under the given files and folders (0 if none exist). */
export function newestMtime(paths: readonly string[]): number {
  let newest = 0;
  const visit = (path: string): void => {
    let info;
    try {
      info = statSync(path);
    } catch {
      return;
    }
    if (info.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== 'node_modules' && entry !== 'dist') visit(join(path, entry));
    } else {
      newest = Math.max(newest, info.mtimeMs);
    }
  };
  for (const path of paths) visit(path);
  return newest;
}

/** The dashboard's inputs: its sources, its config, and the protocol it shares with the engine. */
export function rendererInputs(root = ROOT): string[] {
  return [
    join(root, 'renderer', 'src'),
    join(root, 'renderer', 'public'),
    join(root, 'renderer', 'index.html'),
    join(root, 'renderer', 'vite.config.ts'),
    join(root, 'engine', 'protocol'),
  ];
}

export type RendererState = 'absent' | 'missing' | 'stale' | 'current';

/** absent: no renderer sources yet; missing: never built; stale: sources newer than the build. */
export function rendererState(root = ROOT): RendererState {
  if (!existsSync(join(root, 'renderer', 'vite.config.ts')) || !existsSync(join(root, 'renderer', 'index.html'))) return 'absent';
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
    ? spawnSync(process.execPath, [viteBin, 'build', '--config', VITE_CONFIG, '--logLevel', 'warn'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    : spawnSync('npx', ['vite', 'build', '--config', VITE_CONFIG, '--logLevel', 'warn'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
  if (result.status === 0) return state;
  log(`dashboard build failed (exit ${result.status ?? result.signal}); ${existsSync(RENDERER_INDEX) ? 'using the previous build' : 'the window will say it is not built'}`);
  return 'failed';
}

/** The main process's inputs: the shell's sources, the engine, and the guest build the engine imports. */
export function mainProcessInputs(root = ROOT): string[] {
  const electron = join(root, 'electron');
  const shell = readdirSync(electron).filter((name) => name.endsWith('.ts')).map((name) => join(electron, name));
  return [...shell, join(root, 'engine'), join(root, 'assets', 'guests'), join(root, 'package.json')];
}

/** Whether the main-process bundle is missing or older than any of its inputs. */
export function mainProcessStale(root = ROOT): boolean {
  const bundle = join(root, ...APP_BUNDLE_PATH.split('/'), 'main.mjs');
  return !existsSync(bundle) || newestMtime(mainProcessInputs(root)) > statSync(bundle).mtimeMs;
}

/**
 * Bundles the main process, the engine and the thread entry points into ES modules in
 * electron/build/app/. Packages (node_modules) stay external: they are JavaScript already, and
 * some find their own files at run time (jco's wasm, binaryen). Threads start from their own
 * bundled files (engine/thread-entry.ts).
 */
export async function buildMainProcess(): Promise<string> {
  const { build } = await import('vite');
  // Built beside, then swapped in: a running app (or test) never sees a half-written bundle.
  const staging = `${APP_BUNDLE_DIR}.staging-${process.pid}`;
  await build({
    configFile: false,
    logLevel: 'warn',
    root: ROOT,
    publicDir: false,
    define: { __POOLSCOPE_BUNDLE_DIR__: JSON.stringify(APP_BUNDLE_PATH) },
    plugins: [importMetaUrlOfSource(APP_BUNDLE_DIR)],
    build: {
      ssr: true,
      outDir: staging,
      emptyOutDir: true,
      minify: false,
      sourcemap: true,
      target: 'esnext',
      copyPublicDir: false,
      reportCompressedSize: false,
      rolldownOptions: {
        input: Object.fromEntries(Object.entries(MAIN_ENTRIES).map(([name, path]) => [name, join(ROOT, path)])),
        // Everything that is not one of our files: node: builtins, electron, node_modules packages.
        external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[A-Za-z]:[\\/]/.test(id),
        output: { format: 'es', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
      },
    },
  });
  const previous = `${APP_BUNDLE_DIR}.previous-${process.pid}`;
  if (existsSync(APP_BUNDLE_DIR)) renameSync(APP_BUNDLE_DIR, previous);
  renameSync(staging, APP_BUNDLE_DIR);
  rmSync(previous, { recursive: true, force: true });
  return MAIN_BUNDLE;
}

/**
 * Keeps `import.meta.url` meaning "where this module's source is": each of our modules finds the
 * project's files relative to its own place (`new URL('../../renderer/dist/', import.meta.url)`),
 * and a bundle puts many modules in one file elsewhere. The bundle sits at a fixed place under
 * the root, so each module's source URL is a constant path from the bundle's own URL, which holds
 * in the packaged app (inside app.asar) as well as here. Runs after TypeScript is stripped; an
 * occurrence right inside quotes is text, not the expression, and is left alone.
 */
function importMetaUrlOfSource(bundleDir: string): Plugin {
  const expression = /(?<!['"`])\bimport\.meta\.url\b(?!['"`])/g;
  return {
    name: 'poolscope:import-meta-url-of-source',
    enforce: 'post',
    transform(code, id) {
      if (!id.startsWith(ROOT) || id.includes(`${sep}node_modules${sep}`) || !expression.test(code)) return null;
      const fromBundle = relative(bundleDir, id).split(sep).join('/');
      // A module-level constant (the bundler renames it apart from the other modules' copies).
      const declaration = `const __sourceUrl = new URL(${JSON.stringify(fromBundle)}, import.meta.url).href;\n`;
      return { code: declaration + code.replace(expression, '__sourceUrl'), map: null };
    },
  };
}

/** Bundles the preload (and the channel map it imports) into one CommonJS file. */
export async function buildPreload(): Promise<string> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    logLevel: 'warn',
    root: join(ROOT, 'electron'),
    build: {
      lib: { entry: PRELOAD_SOURCE, formats: ['cjs'], fileName: () => 'preload.cjs' },
      outDir: join(ROOT, 'electron', 'build'),
      emptyOutDir: false,
      minify: false,
      sourcemap: false,
      target: 'es2023',
      copyPublicDir: false,
      reportCompressedSize: false,
      rolldownOptions: { external: ['electron'] },
    },
  });
  return PRELOAD_BUNDLE;
}

/** Builds the main-process bundle when it is missing or older than its sources (or when forced). */
export async function ensureMainProcessBuilt(log: BuildLog, force = false): Promise<void> {
  if (!force && !mainProcessStale()) return;
  log(`bundling the main process and the engine → ${relative(ROOT, APP_BUNDLE_DIR)}…`);
  await buildMainProcess();
}

async function main(argv: string[]): Promise<void> {
  const dist = argv.includes('--dist');
  const log: BuildLog = (line) => process.stderr.write(`${line}\n`);
  await ensureMainProcessBuilt(log, argv.includes('--force'));
  await buildPreload();
  log(`preload → ${PRELOAD_BUNDLE}`);
  const renderer = ensureRendererBuilt(log);
  if (dist) {
    if (renderer === 'failed' || renderer === 'absent' || !existsSync(RENDERER_INDEX)) throw new Error('the dashboard (renderer/dist) must build before packaging');
    const guests = spawnSync(process.execPath, [join(ROOT, 'assets', 'guests', 'build.ts')], { cwd: ROOT, stdio: 'inherit' });
    if (guests.status !== 0) throw new Error('the demo guests (assets/guests/dist) must build before packaging');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`electron build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
