/**
 * The zoo: test fixtures built with toolchains nobody here wrote the runtime of (issue 14), so
 * the host is tested against guests shaped by someone else's bindings and runtime, not ours.
 * Sources are in zoo/; each guest's source opens with what it does and which tests use it.
 *
 *   zoo/js/       componentize-js (StarlingMonkey, WASIp2), built like build-js.ts's demos and
 *                 against the same world (js/wit/world.wit: it only exports the 0.2.10 handler;
 *                 componentize-js adds `wasi:http/outgoing-handler` for `fetch` itself)
 *   zoo/qjs-p3/   componentize-qjs (QuickJS, WASIp3), built like build-p3.ts's demos, against
 *                 zoo/qjs-p3/wit/world.wit
 *
 * build.ts owns the cache and the manifest, exactly as for the demos: this file contributes the
 * zoo's inputs to the same hash (every file under zoo/ and the zoo's format; the toolchains'
 * versions and js/wit are already hashed by build-js.ts and build-p3.ts) and builds one guest.
 * Outputs go to dist/<name>.wasm beside the demos. A cache hit loads neither toolchain.
 *
 * The zoo guests are not demos, with one exception: `js-fetch-event` is a good state-leak
 * teaching demo, so it is also listed in DEMO_GUESTS (as `demo:js-fetch-event`, hence its name
 * has no `zoo-` prefix: `demo:<name>` resolves to dist/<name>.wasm). Tests and the CLI reach every
 * zoo guest by path: `zooGuestPath(name)`, e.g. `poolscope serve assets/guests/dist/zoo-js-echo.wasm`.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JS_WORLD, stageJsWit } from './build-js.ts';
import { keysOf } from './keys-of.ts';
import { preopenHostRoot } from './shim-preopens.ts';

type Toolchain = 'componentize-js' | 'componentize-qjs';

interface ZooGuest {
  toolchain: Toolchain;
  /** Relative to zoo/. */
  source: string;
  description: string;
}

/** Every zoo guest: its toolchain, its source and what it does. The name is the file name in dist/. */
export const ZOO_GUESTS = {
  'js-fetch-event': {
    toolchain: 'componentize-js',
    source: 'js/js-fetch-event.js',
    description:
      'componentize-js (StarlingMonkey, WASIp2), the fetch-event style: 200 "Hello from a fetch event!" on a fresh instance; a reused one sets no response (StarlingMonkey\'s "FetchEvent#respondWith can\'t be called twice"): a leak that fails',
  },
  'zoo-js-fetch': {
    toolchain: 'componentize-js',
    source: 'js/zoo-js-fetch.js',
    description:
      "componentize-js (StarlingMonkey, WASIp2): fetch()es ?url=<URL> (needs --allow-http) and answers with the upstream's status, body and headers copied into a new fields; 502 with the error text when fetch fails",
  },
  'zoo-js-echo': {
    toolchain: 'componentize-js',
    source: 'js/zoo-js-echo.js',
    description:
      'componentize-js (StarlingMonkey, WASIp2, raw wasi:http bindings): echoes the request headers (copied into a new fields), x-echo-method, x-echo-path, the body, and the request trailers as response trailers',
  },
  'zoo-qjs-p3-headers': {
    toolchain: 'componentize-qjs',
    source: 'qjs-p3/zoo-qjs-p3-headers.js',
    description:
      'componentize-qjs (QuickJS, WASIp3): echoes the request headers (copied into a new fields), x-echo-method, x-echo-path, the body (through the guest), and the request trailers (copied) as response trailers',
  },
} as const satisfies Record<string, ZooGuest>;

export type ZooGuestName = keyof typeof ZOO_GUESTS;
export const ZOO_GUEST_NAMES: ZooGuestName[] = keysOf(ZOO_GUESTS);

/** The zoo guests that are also demos (`demo:<name>`), with the one-line description the CLI shows. */
export const ZOO_DEMO_GUESTS = {
  'js-fetch-event': ZOO_GUESTS['js-fetch-event'].description,
} as const;

/** Bump when the zoo's build options or WIT staging change in a way that changes the output. */
const ZOO_BUILD_FORMAT = 1;
const ZOO_QJS_WASI_VERSION = '0.3.0';
const ZOO_QJS_WORLD = 'poolscope:zoo-qjs-p3/http-guest';

const GUESTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const ZOO_DIR = path.join(GUESTS_DIR, 'zoo');
/** Same folder as build.ts's GUESTS_DIST_DIR (not imported from there: build.ts imports this file). */
const DIST_DIR = path.join(GUESTS_DIR, 'dist');

/** Path of one built zoo guest (call build.ts's ensureGuestsBuilt first: it builds the zoo too). */
export function zooGuestPath(name: ZooGuestName): string {
  return path.join(DIST_DIR, `${name}.wasm`);
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Hashes every zoo input into `hash` (build.ts's inputs hash). */
export async function addZooInputs(hash: Hash): Promise<void> {
  hash.update(
    `zoo.format=${ZOO_BUILD_FORMAT}\nzoo.qjs.wasi=${ZOO_QJS_WASI_VERSION}\nzoo.qjs.world=${ZOO_QJS_WORLD}\nzoo.js.world=${JS_WORLD}\n`,
  );
  const entries = await readdir(ZOO_DIR, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(ZOO_DIR, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
  for (const rel of files) hash.update(`zoo/${rel}\0${sha256(await readFile(path.join(ZOO_DIR, rel)))}\n`);
  for (const [name, guest] of Object.entries(ZOO_GUESTS)) {
    if (!files.includes(guest.source))
      throw new Error(`missing source for zoo guest '${name}': ${path.join(ZOO_DIR, guest.source)}`);
  }
}

/** A temp dir holding zoo/qjs-p3/wit plus jco's WASI 0.3.0 packages under deps/. Caller removes it. */
async function stageQjsWit(jcoRoot: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'poolscope-zoo-qjs-wit-'));
  await cp(path.join(ZOO_DIR, 'qjs-p3', 'wit'), dir, { recursive: true });
  await cp(path.join(jcoRoot, 'lib', 'wit', 'builtin', ZOO_QJS_WASI_VERSION), path.join(dir, 'deps'), {
    recursive: true,
  });
  return dir;
}

type ComponentizeJs = typeof import('@bytecodealliance/componentize-js').componentize;
type ComponentizeQjs = typeof import('componentize-qjs').componentize;

/** componentize-js after the shim can see the WIT (its version is checked by build-js.ts, which runs first). */
async function loadComponentizeJs(): Promise<ComponentizeJs> {
  await preopenHostRoot();
  return (await import('@bytecodealliance/componentize-js')).componentize;
}

async function loadComponentizeQjs(): Promise<ComponentizeQjs> {
  return (await import('componentize-qjs')).componentize;
}

/**
 * Builds every zoo guest, one at a time, handing each to `emit` (build.ts writes and records it).
 * A toolchain is loaded only if a guest needs it; each WIT directory is staged once.
 */
export async function buildZooGuests(
  jcoRoot: string,
  emit: (name: ZooGuestName, build: () => Promise<Uint8Array>) => Promise<void>,
): Promise<void> {
  const staged: Partial<Record<Toolchain, Promise<string>>> = {};
  const witFor = (toolchain: Toolchain): Promise<string> =>
    (staged[toolchain] ??= toolchain === 'componentize-js' ? stageJsWit(jcoRoot) : stageQjsWit(jcoRoot));
  try {
    for (const name of ZOO_GUEST_NAMES) {
      const guest: ZooGuest = ZOO_GUESTS[name];
      const sourcePath = path.join(ZOO_DIR, guest.source);
      await emit(name, async () => {
        try {
          if (guest.toolchain === 'componentize-js') {
            const componentize = await loadComponentizeJs();
            const { component } = await componentize({
              sourcePath,
              witPath: await witFor(guest.toolchain),
              worldName: JS_WORLD,
            });
            return component;
          }
          const componentize = await loadComponentizeQjs();
          // Relative imports (./lib.js) resolve under the source's folder during Wizer.
          const { component } = await componentize({
            witPath: await witFor(guest.toolchain),
            world: ZOO_QJS_WORLD,
            jsSource: await readFile(sourcePath, 'utf8'),
            jsPath: sourcePath,
            moduleRoot: path.dirname(sourcePath),
          });
          return new Uint8Array(component.buffer, component.byteOffset, component.byteLength);
        } catch (e) {
          throw new Error(
            `zoo guest '${name}': ${guest.toolchain} failed: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      });
    }
  } finally {
    for (const dir of Object.values(staged))
      await dir.then(
        (d) => rm(d, { recursive: true, force: true }),
        () => {},
      );
  }
}
