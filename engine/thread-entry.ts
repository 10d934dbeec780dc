import { basename } from 'node:path';

/**
 * Set by the desktop app's bundler (electron/bundle-main.ts) to the thread bundle's folder,
 * relative to the project root; undefined when Node runs the TypeScript sources.
 */
declare const __POOLSCOPE_THREADS_DIR__: string | undefined;

/**
 * The file a worker thread starts from, given its source (`new URL('./x-thread.ts', import.meta.url)`).
 * - From sources: that file, type-stripped by Node.
 * - In the desktop app, every thread entry is a file of its own in the thread bundle's folder,
 *   named after its source (`x-thread.mjs`). (The bundler makes `import.meta.url` name a module's
 *   source place, so this file's URL is the project root's `engine/thread-entry.ts`.)
 * - In the packaged app that folder sits inside `app.asar`, and is also unpacked beside it
 *   (electron-builder `asarUnpack`): threads start from the real files in `app.asar.unpacked`, so
 *   Node's own loader reads them and their imports without Electron's asar layer.
 */
export function threadEntry(source: URL): URL {
  const url =
    typeof __POOLSCOPE_THREADS_DIR__ === 'string'
      ? new URL(`../${__POOLSCOPE_THREADS_DIR__}${basename(source.pathname, '.ts')}.mjs`, import.meta.url)
      : source;
  return url.href.includes('/app.asar/') ? new URL(url.href.replace('/app.asar/', '/app.asar.unpacked/')) : url;
}
