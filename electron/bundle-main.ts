/**
 * Bundles the desktop app's main process and the engine it runs into JavaScript, so Electron
 * runs no TypeScript (nothing relies on its Node stripping types) and the package carries none:
 *   - electron/build/main/: main.ts and the engine (stays inside app.asar when packaged, under
 *     the asar integrity fuses);
 *   - electron/build/threads/: the files threads start from, bundled on their own so that no
 *     main-process code shares their chunks (unpacked beside the asar when packaged: Node's
 *     loader starts threads from real files; see engine/thread-entry.ts).
 * Packages (node_modules) stay external: they are JavaScript already, and some find their own
 * files at run time (jco's wasm, binaryen).
 *
 * Each entry is a two-line bootstrap that turns source maps on, then imports its bundle: source
 * maps apply only to modules loaded after they are enabled, and each thread has its own switch.
 * So stack traces name the TypeScript sources (maps without their contents: the package still
 * carries no sources).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Plugin } from 'vite';
import { newestMtime, ROOT } from './project-files.ts';

interface Bundle {
  /** Folder relative to the root (engine/thread-entry.ts is told the threads'). */
  path: string;
  /** Entry name → its source, relative to the root. */
  entries: Record<string, string>;
}

const MAIN: Bundle = { path: 'electron/build/main/', entries: { main: 'electron/main.ts' } };
const THREADS: Bundle = {
  path: 'electron/build/threads/',
  entries: {
    'executor-thread': 'engine/thread/executor-thread.ts',
    'load-thread': 'engine/loadgen/load-thread.ts',
    'instrument-thread': 'engine/component/instrument-thread.ts',
  },
};

const dirOf = (bundle: Bundle, root = ROOT): string => join(root, ...bundle.path.split('/'));
export const MAIN_BUNDLE_DIR = dirOf(MAIN);
export const THREADS_BUNDLE_DIR = dirOf(THREADS);
/** What Electron runs (package.json `main`). */
export const MAIN_BUNDLE = join(MAIN_BUNDLE_DIR, 'main.mjs');
/** The files threads start from, by name. */
export const THREAD_ENTRY_NAMES = Object.keys(THREADS.entries);

/** The sources the bundles are made of: the shell, the engine, the layers under both (protocol, base), and the guest build the engine imports. */
export function mainProcessInputs(root = ROOT): string[] {
  const topLevelTs = (dir: string): string[] =>
    readdirSync(join(root, dir))
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
      .map((name) => join(root, dir, name));
  return [
    ...topLevelTs('electron'),
    join(root, 'engine'),
    join(root, 'protocol'),
    join(root, 'base'),
    ...topLevelTs(join('assets', 'guests')),
    join(root, 'package.json'),
  ];
}

/** Whether any bundle file is missing or older than any input. */
export function mainProcessStale(root = ROOT): boolean {
  const outputs = [
    ...Object.keys(MAIN.entries).map((name) => join(dirOf(MAIN, root), `${name}.mjs`)),
    ...Object.keys(THREADS.entries).map((name) => join(dirOf(THREADS, root), `${name}.mjs`)),
  ];
  if (!outputs.every((file) => existsSync(file))) return true;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  return newestMtime(mainProcessInputs(root)) > built;
}

/** Builds both bundles (the main process and the thread entries). */
export async function buildMainProcess(): Promise<string> {
  await buildBundle(MAIN);
  await buildBundle(THREADS);
  return MAIN_BUNDLE;
}

/** Builds the bundles when any is missing or older than its sources (or when forced). */
export async function ensureMainProcessBuilt(log: (line: string) => void, force = false): Promise<void> {
  if (!force && !mainProcessStale()) return;
  log(
    `bundling the main process and the engine → ${relative(ROOT, MAIN_BUNDLE_DIR)}, ${relative(ROOT, THREADS_BUNDLE_DIR)}…`,
  );
  await buildMainProcess();
}

async function buildBundle(bundle: Bundle): Promise<void> {
  const { build, normalizePath } = await import('vite');
  const dir = dirOf(bundle);
  // Built beside, then swapped in: nothing ever loads a half-written bundle.
  const staging = `${dir.replace(/[\\/]$/, '')}.staging-${process.pid}`;
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      root: ROOT,
      publicDir: false,
      define: { __POOLSCOPE_THREADS_DIR__: JSON.stringify(THREADS.path) },
      plugins: [importMetaUrlOfSource(dir, normalizePath)],
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
          input: Object.fromEntries(Object.entries(bundle.entries).map(([name, path]) => [name, join(ROOT, path)])),
          // Everything that is not one of our files: node: builtins, electron, node_modules packages.
          external: (id) =>
            !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[A-Za-z]:[\\/]/.test(id),
          output: {
            format: 'es',
            entryFileNames: '[name].bundle.mjs',
            chunkFileNames: '[name]-[hash].mjs',
            sourcemapExcludeSources: true,
          },
        },
      },
    });
    for (const name of Object.keys(bundle.entries)) {
      writeFileSync(
        join(staging, `${name}.mjs`),
        `// Written by electron/bundle-main.ts: source maps on, then the bundle (maps apply to modules loaded afterwards).\nprocess.setSourceMapsEnabled(true);\nawait import('./${name}.bundle.mjs');\n`,
      );
    }
    const previous = `${staging}-previous`;
    mkdirSync(join(dir, '..'), { recursive: true });
    if (existsSync(dir)) renameSync(dir, previous);
    renameSync(staging, dir);
    rmSync(previous, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Keeps `import.meta.url` meaning "where this module's source is": each of our modules finds the
 * project's files relative to its own place (`new URL('../../renderer/dist/', import.meta.url)`),
 * and a bundle puts many modules in one file elsewhere. The bundle sits at a fixed place under
 * the root, so each module's source URL is a constant path from the bundle's own URL, which holds
 * in the packaged app (inside app.asar) as well as here. Runs after TypeScript is stripped; an
 * occurrence right inside quotes is text, not the expression, and is left alone. The constant
 * goes on the module's first line, so line numbers (and the source map) stay as they were.
 */
function importMetaUrlOfSource(bundleDir: string, normalizePath: (path: string) => string): Plugin {
  const expression = /(?<!['"`])\bimport\.meta\.url\b(?!['"`])/g;
  const root = normalizePath(ROOT).replace(/\/?$/, '/');
  return {
    name: 'poolscope:import-meta-url-of-source',
    enforce: 'post',
    transform(code, id) {
      const file = normalizePath(id);
      if (!file.startsWith(root) || file.includes('/node_modules/') || !expression.test(code)) return null;
      const fromBundle = normalizePath(relative(bundleDir, id));
      // A module-level constant (the bundler renames it apart from the other modules' copies).
      const declaration = `const __sourceUrl = new URL(${JSON.stringify(fromBundle)}, import.meta.url).href; `;
      return { code: declaration + code.replace(expression, '__sourceUrl'), map: null };
    },
  };
}
