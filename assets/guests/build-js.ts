/**
 * The componentize-js demo guests: JavaScript sources in js/ → WASIp2
 * `wasi:http/incoming-handler` components, built in-process by componentize-js's Node API
 * (StarlingMonkey, i.e. SpiderMonkey compiled to wasm, pre-initialised by Wizer, a native binary
 * it spawns). `jco componentize` calls the same `componentize()`.
 *
 * build.ts owns the cache and the manifest; this file contributes the js inputs to its hash
 * (every file under js/, componentize-js's version, the WASI version) and builds one guest.
 * Each component is about 14 MB (the engine) and takes 5–40 s to build, so a cache hit never
 * loads componentize-js. Like the QuickJS guests, the output bytes are not reproducible.
 *
 * The wasi:* WIT is not committed. componentize-js 0.22's engine is built against WASI 0.2.10
 * and the world's export must match it exactly, but jco ships the full WASI WIT only for 0.2.12:
 * the build stages jco's 0.2.12 packages relabelled as 0.2.10 (0.2.x releases differ only in
 * `@since`/`@unstable` gates), with the `network-error-code` gate dropped, because the engine's
 * own sockets WIT has that function and merging the two worlds fails without it.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keysOf } from './keys-of.ts';
import { readNameAndVersion } from './package-json.ts';
import { preopenHostRoot } from './shim-preopens.ts';

/** The componentize-js guests, with the one-line description the CLI shows for `demo:<name>`. */
export const JS_DEMO_GUESTS = {
  'js-hello': 'componentize-js (StarlingMonkey, WASIp2): answers 200 with the body "Hello, WASI!"',
  'js-counter':
    'componentize-js (StarlingMonkey, WASIp2): answers "count=N", N = requests this instance has handled (module-level state)',
} as const;

export type JsGuestName = keyof typeof JS_DEMO_GUESTS;
export const JS_GUEST_NAMES: JsGuestName[] = keysOf(JS_DEMO_GUESTS);

/** Bump when buildJsGuest's options or the WIT staging change in a way that changes the output. */
const JS_BUILD_FORMAT = 1;
/** The version of `wasi:http/incoming-handler` the engine exports (checked against it at build time). */
export const JS_WASI_VERSION = '0.2.10';
/** Where jco's full WASI WIT comes from (relabelled as JS_WASI_VERSION). */
const WIT_SOURCE_VERSION = '0.2.12';
export const JS_WORLD = 'poolscope:demo-js/http-guest';
const TOOL = '@bytecodealliance/componentize-js';

const JS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'js');
const JS_WIT_DIR = path.join(JS_DIR, 'wit');

export interface JsInputs {
  toolVersion: string;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** componentize-js's package root (its entry is src/componentize.js), or undefined when it is not installed. */
async function toolRoot(): Promise<{ root: string; version: string } | undefined> {
  let dir: string;
  try {
    dir = path.dirname(fileURLToPath(import.meta.resolve(TOOL)));
  } catch {
    return undefined;
  }
  while (dir !== path.dirname(dir)) {
    try {
      const pkg = await readNameAndVersion(path.join(dir, 'package.json'));
      if (pkg.name === TOOL && pkg.version) return { root: dir, version: pkg.version };
    } catch {
      // no package.json here: keep walking up
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

/** Hashes every js input into `hash` (build.ts's inputs hash) and returns what it read. */
export async function addJsInputs(hash: Hash): Promise<JsInputs> {
  const version = (await toolRoot())?.version ?? 'missing';
  hash.update(
    `js.format=${JS_BUILD_FORMAT}\njs.tool=${TOOL}@${version}\njs.wasi=${JS_WASI_VERSION}\njs.world=${JS_WORLD}\n`,
  );
  const entries = await readdir(JS_DIR, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(JS_DIR, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
  for (const rel of files) hash.update(`js/${rel}\0${sha256(await readFile(path.join(JS_DIR, rel)))}\n`);
  for (const name of JS_GUEST_NAMES) {
    if (!files.includes(`${name}.js`))
      throw new Error(`missing source for guest '${name}': ${path.join(JS_DIR, `${name}.js`)}`);
  }
  return { toolVersion: version };
}

/**
 * A temp dir holding js/wit plus jco's WASI 0.2.12 packages under deps/, relabelled as
 * JS_WASI_VERSION (see the header). Caller removes it.
 */
export async function stageJsWit(jcoRoot: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'poolscope-js-wit-'));
  await cp(JS_WIT_DIR, dir, { recursive: true });
  const deps = path.join(dir, 'deps');
  await cp(path.join(jcoRoot, 'lib', 'wit', 'builtin', WIT_SOURCE_VERSION), deps, { recursive: true });
  const from = `@${WIT_SOURCE_VERSION}`;
  for (const entry of await readdir(deps, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.wit')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    const relabelled = text
      .replaceAll(from, `@${JS_WASI_VERSION}`)
      .split('\n')
      .filter((line) => !/@unstable\(feature\s*=\s*network-error-code\)/.test(line))
      .join('\n');
    await writeFile(file, relabelled);
  }
  return dir;
}

/** The engine must export the handler at JS_WASI_VERSION, or componentNew fails with a puzzling error. */
async function checkEngineVersion(root: string): Promise<void> {
  const engine = path.join(root, 'lib', 'starlingmonkey_embedding.wasm');
  // Export names are plain UTF-8 in the binary: a byte search is enough, no need to compile 10 MB.
  const found = /wasi:http\/incoming-handler@(\d+\.\d+\.\d+)#handle/.exec(
    (await readFile(engine)).toString('latin1'),
  )?.[1];
  if (found !== JS_WASI_VERSION) {
    throw new Error(
      `componentize-js's engine exports wasi:http/incoming-handler@${found ?? '?'}, but the js guests target @${JS_WASI_VERSION}: update JS_WASI_VERSION in build-js.ts and js/wit/world.wit`,
    );
  }
}

type Componentize = typeof import('@bytecodealliance/componentize-js').componentize;
let componentizeFn: Promise<Componentize> | undefined;

/** Loaded on first use only (its splicer is large), after the shim can see the WIT files. */
function loadComponentize(): Promise<Componentize> {
  componentizeFn ??= (async () => {
    const tool = await toolRoot();
    if (!tool) throw new Error(`the js guests need the '${TOOL}' package (a devDependency)`);
    await checkEngineVersion(tool.root);
    await preopenHostRoot();
    // Imported by a variable's name, so untyped: componentize-js's entry exports `componentize`.
    const mod = (await import(TOOL)) as { componentize: Componentize };
    return mod.componentize;
  })().catch((e: unknown) => {
    componentizeFn = undefined;
    throw e;
  });
  return componentizeFn;
}

/**
 * Builds one js guest. Default features (stdio, random, clocks, http, fetch-event): the guests
 * answer through the `fetch` event, which needs `http`, and stdio reports uncaught errors.
 */
export async function buildJsGuest(name: JsGuestName, witPath: string): Promise<Uint8Array> {
  const componentize = await loadComponentize();
  try {
    const { component } = await componentize({
      sourcePath: path.join(JS_DIR, `${name}.js`),
      witPath,
      worldName: JS_WORLD,
    });
    return component;
  } catch (e) {
    throw new Error(`guest '${name}': componentize-js failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
