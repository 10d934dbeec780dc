import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { ASYNC_EXPORTS, ASYNC_IMPORTS } from '../host/p2/jspi.ts';
import { rethrowHostImportRejections } from './jspi-glue.ts';
import { fixOwnHandleTables } from './p3-handle-table-glue.ts';
import { DEFAULT_MAX_MEMORY_BYTES, limitDefinedMemories } from './memory-limit.ts';
import { instrumentInThread } from './instrument-in-thread.ts';

// The package does not export its package.json; its entry point sits in dist/ beside it.
const JCO_TRANSPILE_VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.resolve('@bytecodealliance/jco-transpile')), 'utf8'),
).version;
/** Bump when the transpile options or the glue fix-ups below change, so old cache entries are
 * not reused. */
const OPTIONS_REVISION = 4;

export interface TranspiledComponent {
  sha256: string;
  dir: string;
  /** File URL of the generated ES module that exports `instantiate`. */
  moduleUrl: string;
  /** Core module file names, as the generated code asks for them. */
  coreModuleFiles: string[];
  imports: string[];
  exports: Array<[string, 'function' | 'instance']>;
}

interface CacheMeta {
  imports: string[];
  exports: Array<[string, 'function' | 'instance']>;
  coreModuleFiles: string[];
}

export function defaultCacheDir(): string {
  return process.env.POOLSCOPE_CACHE_DIR ?? join(homedir(), '.cache', 'poolscope');
}

/**
 * jco transpile, in-process, cached on disk by the sha256 of the component bytes (and jco's
 * version): transpiling a 13 MB JS guest takes seconds, loading the cached output milliseconds.
 */
export async function transpileCached(bytes: Uint8Array, cacheDir = defaultCacheDir()): Promise<TranspiledComponent> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const dir = join(cacheDir, 'transpiled', `${sha256}-jco${JCO_TRANSPILE_VERSION}-r${OPTIONS_REVISION}`);
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) await transpileInto(bytes, dir);
  // transpileInto wrote this file (below) into a directory named for these very bytes and versions.
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as CacheMeta;
  return { sha256, dir, moduleUrl: new URL(`file://${join(dir, 'guest.js')}`).href, ...meta };
}

/** jco's options. JSPI: a WASIp2 blocking call suspends only its instance (see host/p2/jspi.ts). */
export const TRANSPILE_OPTIONS = {
  name: 'guest',
  instantiation: 'async',
  asyncMode: 'jspi',
  asyncImports: ASYNC_IMPORTS,
  asyncExports: ASYNC_EXPORTS,
} satisfies Parameters<typeof transpileBytes>[1];

async function transpileInto(bytes: Uint8Array, dir: string): Promise<void> {
  const result = await transpileBytes(bytes, TRANSPILE_OPTIONS);
  // Write beside the final place, then rename: a crash mid-write never leaves a half entry.
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await rm(staging, { recursive: true, force: true });
  for (const [name, content] of Object.entries(result.files)) {
    if (name.endsWith('.d.ts')) continue;
    const path = join(staging, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, name.endsWith('.js') ? fixGlue(new TextDecoder().decode(content)) : content);
  }
  await writeFile(join(staging, 'package.json'), '{"type":"module"}\n');
  const meta: CacheMeta = {
    imports: result.imports,
    exports: result.exports,
    coreModuleFiles: Object.keys(result.files).filter((name) => name.endsWith('.wasm')),
  };
  await writeFile(join(staging, 'meta.json'), JSON.stringify(meta, null, 2));
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
}

/** jco's generated glue with our fix-ups of its bugs (jspi-glue.ts, p3-handle-table-glue.ts). */
function fixGlue(glue: string): string {
  return fixOwnHandleTables(rethrowHostImportRejections(glue)).glue;
}

/**
 * Compiles the core modules, each first made interruptible (see interrupt-instrument.ts; cached
 * on disk beside the original, as instrumenting a 14 MB module takes seconds) unless
 * `interruptible: false`, then each defined memory's maximum lowered to `maxMemoryBytes` (see
 * memory-limit.ts). The limit is applied here, never written to the disk cache, and nothing
 * compiled is kept between calls: modules compiled under one limit cannot be handed out under
 * another. Throws `MemoryLimitError` when a memory's minimum is over the limit.
 */
export async function compileCoreModules(
  component: TranspiledComponent,
  options: { maxMemoryBytes?: number; interruptible?: boolean } = {},
): Promise<Record<string, WebAssembly.Module>> {
  const limit = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  const names = component.coreModuleFiles;
  const read = (options.interruptible ?? true) ? await readInterruptible(component.dir, names) : null;
  const limited = await Promise.all(
    names.map(
      async (name, i) =>
        [name, limitDefinedMemories(read?.[i] ?? (await readFile(join(component.dir, name))), limit)] as const,
    ),
  );
  // Every module is checked before any is compiled, so a refused limit costs no compilation.
  const entries = await Promise.all(
    limited.map(async ([name, bytes]) => [name, await WebAssembly.compile(bytes)] as const),
  );
  return Object.fromEntries(entries);
}

/**
 * `<name>.interruptible.wasm` beside `name`, made on first use. Change the suffix whenever the
 * instrumentation changes what it writes, so old files are not reused.
 */
export function interruptibleFileName(name: string): string {
  return `${name.replace(/\.wasm$/, '')}.interruptible.wasm`;
}

/**
 * Each module's `<name>.interruptible.wasm`, in order; the ones not made yet are made on one
 * thread (instrument-in-thread.ts) and written beside the originals.
 */
async function readInterruptible(dir: string, names: string[]): Promise<Uint8Array<ArrayBuffer>[]> {
  const modules = names.map((name) => ({ name, path: join(dir, interruptibleFileName(name)) }));
  const missing = modules.filter(({ path }) => !existsSync(path));
  const made = await instrumentInThread(await Promise.all(missing.map(({ name }) => readFile(join(dir, name)))));
  await Promise.all(
    made.map(async (bytes, i) => {
      const path = missing[i]?.path;
      if (!path) throw new Error(`the instrumenting thread answered ${made.length} modules for ${missing.length}`);
      // Write beside, then rename: a crash or a concurrent loader never sees half a file.
      const staging = `${path}.tmp-${process.pid}-${Date.now()}`;
      await writeFile(staging, bytes);
      await rename(staging, path);
    }),
  );
  return Promise.all(modules.map(({ path }) => readFile(path)));
}
